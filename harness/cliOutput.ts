// What the Pulumi CLI gives back and how the end-to-end tests read it: the change plan of `pulumi preview
// --json`, the checkpoint of `pulumi stack export` (resources by name, where secrets are, a secret's plaintext
// under --show-secrets), and every file under a folder for "no secret in any file" checks.

import * as fs from "node:fs";
import * as path from "node:path";
import { specialSigKey } from "@pulumi/pulumi/runtime/rpc";

export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }> | null;
}

export interface PreviewDigest {
  steps: PreviewStep[];
  diagnostics?: { urn?: string; message: string; severity: string }[];
  changeSummary?: Record<string, number>;
}

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  additionalSecretOutputs?: string[];
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  /** Where the program declared the resource, and the call stack the SDK sent then (innermost frame first). */
  sourcePosition?: string;
  stackTrace?: { sourcePosition?: string }[];
  /** When the engine created the resource and last changed it (RFC 3339). */
  created?: string;
  modified?: string;
}

export interface StackExport {
  deployment: { resources?: StateResource[]; pending_operations?: unknown[] };
}

/** The resource's name: the last part of its URN. */
export const nameOf = (urn: string): string => urn.split("::").pop() ?? urn;

/** The checkpoint's resource of that name (the last part of its URN). */
export const resourceNamed = (s: StackExport, name: string): StateResource | undefined =>
  (s.deployment.resources ?? []).find((r) => nameOf(r.urn) === name);

/** The changes of a preview, as "op name" (same steps left out), sorted. */
export function changesOf(p: PreviewDigest): string[] {
  return p.steps
    .filter((s) => s.op !== "same")
    .map((s) => `${s.op} ${nameOf(s.urn)}`)
    .sort();
}

/** The signature key Pulumi puts on a secret in a checkpoint (`stack export`): `{<sig>: SECRET_SIG, ciphertext | plaintext}`. */
export const SECRET_SIG_KEY = specialSigKey;

/** Where a checkpoint (or any JSON) holds secrets: `<resource name>.<inputs|outputs>.<key path>`, sorted. */
export function secretPaths(state: StackExport): string[] {
  const out: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (v && typeof v === "object") {
      if (SECRET_SIG_KEY in v) out.push(at);
      else for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
    }
  };
  for (const r of state.deployment.resources ?? []) {
    walk(r.inputs, `${nameOf(r.urn)}.inputs`);
    walk(r.outputs, `${nameOf(r.urn)}.outputs`);
  }
  return out.sort();
}

/** A value of `pulumi stack export --show-secrets`: a secret there is `{<sig>, plaintext: <JSON text>}`. */
export function revealed(v: unknown): unknown {
  return v && typeof v === "object" && "plaintext" in v
    ? JSON.parse(String((v as { plaintext: unknown }).plaintext))
    : v;
}

/** Every file under a folder, as text (for "no secret in any file" checks). */
export function filesUnder(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push({ file: p, text: fs.readFileSync(p, "utf8") });
  }
  return out;
}
