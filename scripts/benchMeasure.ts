// How the bench measures a run: the calls the emulator saw (by surface, tenant and cmdlet), the provider
// host's memory, and the bytes a resource takes in the checkpoint.

import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import type { Emulator } from "../emulator";
import type { RequestRecord } from "../emulator/server";
import type { ResourceState } from "../harness/engine";
import { isReadCmdlet } from "../providers/tenant/writeClock";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** The provider host's pid: our child process running Pulumi's dynamic-provider entry point. */
export function hostPid(): number | undefined {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("dynamic-provider"))
        return Number(entry);
    } catch {
      // A process that ended while we looked.
    }
  }
  return undefined;
}

export function memoryKb(pid: number | undefined, field: "VmHWM" | "VmRSS"): number | undefined {
  if (!pid) return undefined;
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : undefined;
}

/** Calls the emulator saw since `mark`, by surface and tenant (Exchange paths carry the tenant id). */
/** An emulator request that changes something: an Exchange cmdlet other than Get-/Test-, a Graph call other than GET. */
export const isWrite = (r: RequestRecord): boolean =>
  r.surface === "exchange" ? !!r.cmdlet && !isReadCmdlet(r.cmdlet) : r.method !== "GET";

export function callsSince(emu: Emulator, mark: number) {
  const calls = emu.requests.slice(mark);
  const exchange = (tenantId?: string) =>
    calls.filter(
      (r) => r.surface === "exchange" && (!tenantId || r.path.toLowerCase().includes(tenantId.toLowerCase())),
    );
  const byCmdlet = (rs: RequestRecord[]) =>
    rs.reduce<Record<string, number>>(
      (acc, r) => ((acc[r.cmdlet ?? r.path] = (acc[r.cmdlet ?? r.path] ?? 0) + 1), acc),
      {},
    );
  return {
    all: calls,
    source: exchange(emu.tenants.source.tenantId),
    target: exchange(emu.tenants.target.tenantId),
    exchange: exchange(),
    graph: calls.filter((r) => r.surface === "graph"),
    writes: calls.filter((r) => r.surface !== "login" && isWrite(r)),
    reads: (rs: RequestRecord[]) => rs.filter((r) => !isWrite(r)),
    byCmdlet,
  };
}

/** Outputs as the checkpoint stores them: a secret output becomes an envelope around its ciphertext. */
export function sealed(outputs: Record<string, unknown>, secretOutputs: string[]): Record<string, unknown> {
  const out = { ...outputs };
  for (const k of secretOutputs) {
    if (out[k] === undefined) continue;
    // AES-GCM ciphertext of the JSON value (nonce + tag), base64, as the passphrase secrets manager stores it.
    const ciphertext = randomBytes(JSON.stringify(out[k]).length + 28).toString("base64");
    out[k] = { [specialSigKey]: specialSecretSig, ciphertext: `v1:${ciphertext}` };
  }
  return out;
}

export const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** What the engine's checkpoint keeps for one resource, in bytes (indented, as a file backend writes it). */
export function checkpointBytes(
  s: ResourceState,
  secretOutputs: string[],
  parent: string,
  dependencies: string[],
): number {
  const outputs = sealed(s.outputs, secretOutputs);
  const entry = {
    urn: s.urn,
    custom: true,
    id: s.id,
    type: s.type,
    inputs: s.inputs,
    outputs,
    parent,
    dependencies,
    provider: `urn:pulumi:bench::xtmm::pulumi:providers:pulumi-nodejs::default::00000000-0000-0000-0000-000000000000`,
    propertyDependencies: {},
    created: new Date().toISOString(),
    modified: new Date().toISOString(),
  };
  return Buffer.byteLength(JSON.stringify(entry, null, 4));
}
