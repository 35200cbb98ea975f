// The one way tests run Pulumi's real dynamic-provider host (harness/providerHost.ts): started, configured as
// the engine configures it (Configure first), and stopped by the test file or test that started it. When a
// host stops, the check that no secret reached its console runs: both tenants' operator secrets when the host
// was started for an emulator, every `…ClientSecret` value of the configuration it was sent, and whatever
// else the test names.

import type { EmulatorEndpointsInfo } from "../../emulator/stackConfig";
import { emulatorStackConfig } from "../../emulator/stackConfig";
import { startProviderHost, type ProviderHost } from "../../harness/providerHost";
import { expectNoSecrets } from "./secrets";

export interface HostSetup {
  /** Keys added to the emulator pair's stack configuration (`pwshPath` or `xtmm:pwshPath`). */
  config?: Record<string, string>;
  /** The whole stack configuration, instead of the emulator pair's; `null`: the host is never configured. */
  stackConfig?: Record<string, string> | null;
  /** Extra environment of the host process. */
  env?: Record<string, string>;
  /** More values that must not reach the host's console, read when it stops. */
  secrets?: () => Iterable<string>;
}

type Configured = Awaited<ReturnType<ProviderHost["configure"]>>;

interface Running {
  host: ProviderHost;
  configured?: Configured;
  /** Read at start: the emulator may have stopped by the time the host does. */
  secrets: string[];
  setup: HostSetup;
}

function configFor(emulator: EmulatorEndpointsInfo | undefined, setup: HostSetup): Record<string, string> | null {
  if (setup.stackConfig !== undefined) return setup.stackConfig;
  if (emulator) return emulatorStackConfig(emulator, setup.config);
  return setup.config ?? null;
}

async function launch(emulator: EmulatorEndpointsInfo | undefined, setup: HostSetup): Promise<Running> {
  const config = configFor(emulator, setup);
  const secrets = [
    ...(emulator ? [emulator.tenants.source.clientSecret, emulator.tenants.target.clientSecret] : []),
    ...Object.entries(config ?? {})
      .filter(([k]) => /ClientSecret$/.test(k))
      .map(([, v]) => v),
  ];
  const host = await startProviderHost({ caFile: emulator?.caFile, env: setup.env });
  try {
    const configured = config ? await host.configure(config) : undefined;
    return { host, configured, secrets, setup };
  } catch (e) {
    await host.stop();
    throw e;
  }
}

async function stop(running: Running): Promise<void> {
  const out = running.host.output();
  await running.host.stop();
  const secrets = [...running.secrets, ...(running.setup.secrets?.() ?? [])];
  // A host that was never handed a secret has nothing to leak.
  if (secrets.length > 0) expectNoSecrets(out, secrets, "the provider host's console");
}

type EmulatorGetter = () => EmulatorEndpointsInfo;

/**
 * Jest: hosts started on demand during the file (or describe block), each stopped and checked in its
 * afterAll. For tests that start a host per case, or several differently configured ones.
 */
export function useProviderHosts(emulator?: EmulatorGetter): (setup?: HostSetup) => Promise<ProviderHost> {
  const running: Running[] = [];
  afterAll(async () => {
    const failures: unknown[] = [];
    for (const r of running.splice(0)) await stop(r).catch((e) => failures.push(e));
    if (failures.length > 0) throw failures[0];
  });
  return async (setup = {}) => {
    const r = await launch(emulator?.(), setup);
    running.push(r);
    return r.host;
  };
}

export interface HostHandle {
  /** The running host (only inside tests and hooks, after beforeAll). */
  (): ProviderHost;
  /** The host's answer to Configure (undefined when it was not configured). */
  configured(): Configured | undefined;
}

/**
 * Jest: one host for the file (or describe block), started in beforeAll for the emulator's pair (or for
 * `setup.stackConfig` alone when no emulator is given), stopped and checked in afterAll.
 */
export function useProviderHost(emulator: EmulatorGetter, setup?: HostSetup): HostHandle;
export function useProviderHost(setup: HostSetup): HostHandle;
export function useProviderHost(first: EmulatorGetter | HostSetup, second: HostSetup = {}): HostHandle {
  const [emulator, setup] = typeof first === "function" ? [first, second] : [undefined, first];
  let running: Running | undefined;
  beforeAll(async () => {
    running = await launch(emulator?.(), setup);
  });
  afterAll(async () => {
    if (!running) return;
    const r = running;
    running = undefined;
    await stop(r);
  });
  const handle = (() => {
    if (!running) throw new Error("the provider host has not started (useProviderHost's beforeAll has not run)");
    return running.host;
  }) as HostHandle;
  handle.configured = () => running?.configured;
  return handle;
}

/** A host for one test: started, handed to `body`, stopped (and checked when `body` succeeded). */
export async function withProviderHost<T>(
  emulator: EmulatorEndpointsInfo | undefined,
  setup: HostSetup,
  body: (host: ProviderHost) => Promise<T>,
): Promise<T> {
  const running = await launch(emulator, setup);
  let result: T;
  try {
    result = await body(running.host);
  } catch (e) {
    await running.host.stop();
    throw e;
  }
  await stop(running);
  return result;
}
