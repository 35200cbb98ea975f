// The one way tests get an emulator: started before the file's tests, stopped after them, and every
// test fails when the emulator saw a request that Microsoft's reference does not allow — unless the test
// takes those violations itself with `expectViolations()`.

import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from "undici";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import { startEmulator, type Emulator } from "../../emulator";
import type { EmulatorOptions } from "../../emulator/options";
import type { Violation } from "../../emulator/http";
import { findTenant, type TenantState } from "../../emulator/model";
import { emulatorStackConfig } from "../../emulator/stackConfig";
import { readTenantSettings, type TenantRole, type TenantSettings } from "../../providers/tenant/settings";

export interface EmulatorHandle {
  /** The running emulator (only inside tests and hooks, after beforeAll). */
  (): Emulator;
  /** Returns and clears the violations recorded so far, so the test that provoked them on purpose passes. */
  expectViolations(): Violation[];
  /** fetch that trusts the emulator's CA. */
  fetch(url: string | URL, init?: UndiciRequestInit): ReturnType<typeof undiciFetch>;
}

const agents = new WeakMap<Emulator, Agent>();

export function trustedAgent(emulator: Emulator): Agent {
  let agent = agents.get(emulator);
  if (!agent) {
    agent = new Agent({ connect: { ca: emulator.caPem } });
    agents.set(emulator, agent);
  }
  return agent;
}

/** undici fetch bound to an Agent that trusts the emulator's CA (and nothing else is changed). */
export function trustedFetch(emulator: Emulator) {
  return (url: string | URL, init: UndiciRequestInit = {}) =>
    undiciFetch(url, { ...init, dispatcher: trustedAgent(emulator) });
}

/** An MSAL network module over undici that trusts the emulator's CA, for tests that drive the real MSAL. */
export function msalNetworkClient(emulator: Emulator): INetworkModule {
  const f = trustedFetch(emulator);
  const call = async <T>(
    method: "GET" | "POST",
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const res = await f(url, {
      method,
      headers: options?.headers,
      body: method === "POST" ? options?.body : undefined,
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const text = await res.text();
    return { headers, body: (text ? JSON.parse(text) : {}) as T, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options) => call("GET", url, options),
    sendPostRequestAsync: (url, options) => call("POST", url, options),
  };
}

export function formatViolations(v: Violation[]): string {
  return v.map((x) => `  [${x.surface}] ${x.kind}: ${x.detail}`).join("\n");
}

/** Throws (failing the current test) when the emulator recorded violations; clears them so the next test starts clean. */
export function assertNoViolations(emulator: Emulator): void {
  const v = emulator.violations();
  if (v.length === 0) return;
  emulator.clearViolations();
  throw new Error(
    `the emulator recorded ${v.length} request(s) that Microsoft's reference does not allow:\n${formatViolations(v)}`,
  );
}

export function useEmulator(opts: Partial<EmulatorOptions> = {}): EmulatorHandle {
  let emulator: Emulator | undefined;
  const get = (() => {
    if (!emulator) throw new Error("the emulator is not running: call it inside a test or hook, after beforeAll");
    return emulator;
  }) as EmulatorHandle;
  get.expectViolations = () => {
    const v = get().violations();
    get().clearViolations();
    return v;
  };
  get.fetch = (url, init) => trustedFetch(get())(url, init);

  beforeAll(async () => {
    emulator = await startEmulator(opts);
  });
  afterEach(() => {
    if (emulator) assertNoViolations(emulator);
  });
  afterAll(async () => {
    if (!emulator) return;
    const left = emulator.violations();
    const agent = agents.get(emulator);
    await emulator.stop();
    if (agent) await agent.close();
    emulator = undefined;
    if (left.length > 0)
      throw new Error(`the emulator recorded violations outside any test:\n${formatViolations(left)}`);
  });
  return get;
}

/** The emulated state of one tenant of the pair, for a test to read or change directly. */
export function tenantOf(emulator: Emulator, role: TenantRole): TenantState {
  const tenant = findTenant(emulator.state, emulator.tenants[role].tenantId);
  if (!tenant) throw new Error(`the emulator holds no ${role} tenant (id ${emulator.tenants[role].tenantId})`);
  return tenant;
}

/**
 * One tenant's settings for the emulator, read through the same `readTenantSettings` the providers use, from
 * the same stack configuration the provider-host tests send; `over` replaces whole fields (a credential, a
 * concurrency, a pwsh path) for the case at hand.
 */
export function emulatorTenantSettings(
  emulator: Emulator,
  role: TenantRole,
  over: Partial<TenantSettings> = {},
): TenantSettings {
  const config = emulatorStackConfig(emulator);
  return { ...readTenantSettings((key) => config[key], role), ...over };
}
