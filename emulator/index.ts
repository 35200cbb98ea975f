// Starts the tenant-pair emulator: key material, state (seeded, or loaded from a state file), the
// surfaces, and one HTTPS server for all of them. Tests use it in-process; the CLI wraps it.

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { EmuContext, EmuRequest, Surface, SurfaceHandler, Violation } from "./http";
import { deserializeState, serializeState, type EmulatorState, type TenantState } from "./model";
import { NO_FAULTS, type EmulatorOptions, type FaultSpec, type TargetedFault } from "./options";
import { DEFAULT_GRAPH_KNOBS } from "./graph/knobs";
import { DEFAULT_EXCHANGE_KNOBS } from "./exchange/knobs";
import { seedDirectory } from "./graph/seed";
import { seedExchange } from "./exchange/seed";
import { handleGraph } from "./graph";
import { handleExchange } from "./exchange";
import { createPki } from "./pki";
import { createLogin } from "./login";
import { FaultPlan, seededRandom } from "./faults";
import { createServer, type RequestRecord } from "./server";
import { createAdmin } from "./admin";

export interface TenantInfo {
  tenantId: string;
  domain: string;
  clientId: string;
  clientSecret: string;
}

export interface Emulator {
  url: string;
  caFile: string;
  caPem: string;
  endpoints: { login: string; graph: string; exchange: string };
  tenants: { source: TenantInfo; target: TenantInfo };
  state: EmulatorState;
  options: EmulatorOptions;
  /** Exactly the CLI's JSON line. */
  summary(): object;
  violations(): Violation[];
  clearViolations(): void;
  requests: RequestRecord[];
  inject(f: TargetedFault): void;
  setFaults(f: Partial<FaultSpec>): void;
  approveDeviceCode(userCode: string): void;
  stop(): Promise<void>;
}

export function defaultOptions(opts: Partial<EmulatorOptions> = {}): EmulatorOptions {
  return {
    port: 0,
    host: "127.0.0.1",
    mailboxes: 0,
    latencyMs: 0,
    tokenLifetimeSeconds: 3600,
    ...opts,
    faults: { ...NO_FAULTS, ...(opts.faults ?? {}) },
    graph: { ...DEFAULT_GRAPH_KNOBS, ...(opts.graph ?? {}) },
    exchange: { ...DEFAULT_EXCHANGE_KNOBS, ...(opts.exchange ?? {}) },
  };
}

function seedState(options: EmulatorOptions, now: number): EmulatorState {
  const state: EmulatorState = { tenants: new Map(), violations: [] };
  // Seeding draws from its own stream so the ids of a pair depend on the seed alone.
  const random = seededRandom(options.faults.seed ^ 0x5eed);
  seedDirectory(state, now, random);
  seedExchange(state, { mailboxes: options.mailboxes }, now, random);
  return state;
}

function tenantInfo(state: EmulatorState, label: string): TenantInfo {
  const t: TenantState | undefined = [...state.tenants.values()].find((x) => x.label === label);
  if (!t) throw new Error(`the emulator state has no tenant labelled '${label}'`);
  return {
    tenantId: t.tenantId,
    domain: t.initialDomain,
    clientId: t.operator.clientId,
    clientSecret: t.operator.clientSecret,
  };
}

export async function startEmulator(opts: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  const options = defaultOptions(opts);
  const pki = createPki();
  const state =
    options.stateFile && existsSync(options.stateFile)
      ? deserializeState(readFileSync(options.stateFile, "utf8"))
      : seedState(options, Date.now());
  // Violations belong to the run that saw them; a reloaded pair starts clean.
  state.violations = [];

  const faults = new FaultPlan(options.faults);
  const login = createLogin(pki.tokenKey);
  const requestIds = new WeakMap<EmuRequest, string>();
  const requests: RequestRecord[] = [];
  const random = seededRandom(options.faults.seed ^ 0x1d5);

  const ctx: EmuContext = {
    state,
    options,
    baseUrl: "", // set once the port is known
    now: () => Date.now(),
    authenticate: (req, audience) => login.authenticate(req, audience, ctx, requestIds.get(req) ?? ""),
    violation: (v) => {
      state.violations.push({ ...v, at: new Date().toISOString() });
    },
    random,
  };

  let summary: object = {};
  const emulator: Emulator = {
    url: "",
    caFile: pki.caFile,
    caPem: pki.caPem,
    endpoints: { login: "", graph: "", exchange: "" },
    tenants: { source: tenantInfo(state, "source"), target: tenantInfo(state, "target") },
    state,
    options,
    summary: () => summary,
    violations: () => [...state.violations],
    clearViolations: () => {
      state.violations.length = 0;
    },
    requests,
    inject: (f) => faults.inject(f),
    setFaults: (f) => {
      faults.update(f);
      options.faults = faults.current;
    },
    approveDeviceCode: (userCode) => login.approveDeviceCode(ctx, userCode),
    stop: async () => {},
  };

  const surfaces: Record<Surface, SurfaceHandler> = {
    login: login.handle,
    graph: handleGraph,
    exchange: handleExchange,
    admin: createAdmin({
      summary: () => summary,
      violations: emulator.violations,
      requests,
      setFaults: emulator.setFaults,
      currentFaults: () => faults.current,
      inject: emulator.inject,
      approveDeviceCode: emulator.approveDeviceCode,
    }),
  };
  const server = createServer({
    ctx,
    faults,
    requests,
    requestIds,
    surfaces,
    tls: { cert: pki.serverCertPem, key: pki.serverKeyPem },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  ctx.baseUrl = url;
  emulator.url = url;
  emulator.endpoints = { login: url, graph: `${url}/graph`, exchange: `${url}/exchange` };
  summary = { url, caFile: pki.caFile, endpoints: emulator.endpoints, tenants: emulator.tenants };

  let stopped = false;
  emulator.stop = async () => {
    if (stopped) return;
    stopped = true;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    if (options.stateFile) {
      // Written beside the file and renamed over it, so a reader (the next sandbox run) sees the old pair or
      // the new one, never half of one.
      const partial = `${options.stateFile}.${process.pid}.partial`;
      writeFileSync(partial, serializeState(state), { mode: 0o600 });
      renameSync(partial, options.stateFile);
    }
    pki.dispose();
  };
  return emulator;
}
