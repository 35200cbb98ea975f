// What every provider asks of the host it runs in: the stack configuration the host was given, the tenant
// client of a role, the engine's log, the redaction every message passes, and the shapes a resource kind
// implements. Nothing here knows a resource kind, so every provider can import it and nothing imports back.

import * as pulumi from "@pulumi/pulumi";
import type { TenantClient } from "./tenant";
import type { TenantRole } from "./tenant/settings";
import { tenantClient } from "./tenant";
import { readTenantSettings } from "./tenant/settings";

export type Props = Record<string, unknown>;

/** What the engine sends for a value not known during preview (`pulumi.runtime.unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/**
 * One resource kind's behaviour. Inputs and outputs arrive without `__provider` (the host adds it back);
 * outputs must be plain JSON. `read` returns an empty id when the object is gone, and `inputs` only when it
 * saw drift in something an input asks for: the engine then keeps them as the resource's inputs, so the next
 * change plan (`preview --diff`, which shows old inputs against new ones) names the input the up restores.
 */
export interface ResourceImplementation<I extends Props = Props, O extends Props = Props> {
  check(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult<Props>>;
  diff(id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: I): Promise<{ id: string; outs: O }>;
  read(id: string, props: O): Promise<{ id: string; props?: O; inputs?: I }>;
  update(id: string, olds: O, news: I): Promise<{ outs: O }>;
  delete(id: string, props: O): Promise<void>;
}

/** What `read` answers for an object that no longer exists: the engine drops it from the state on refresh. */
export const gone = (): { id: string } => ({ id: "" });

type ConfigGet = (key: string) => string | undefined;
let configGet: ConfigGet | undefined;

const SECRET_KEYS = ["source", "target"].flatMap((r) => [`${r}ClientSecret`, `${r}CertificatePassword`]);

/**
 * Keeps the stack configuration the host was configured with (keys without the project prefix). The host
 * calls this once per distinct shim text; every call carries the same stack config.
 */
export function configureRuntime(get: ConfigGet): void {
  // Must not throw: the host caches a provider whose configure threw and never configures it again.
  configGet = get;
}

function secretValues(): string[] {
  const out: string[] = [];
  for (const key of SECRET_KEYS) {
    try {
      const v = configGet?.(key);
      if (v && v.length >= 4) out.push(v);
    } catch {
      // No configuration, hence no configured secret to hide.
    }
  }
  return out;
}

function safeGet(get: ConfigGet, key: string): string | undefined {
  try {
    return get(key);
  } catch {
    // The host's Config throws a TypeError when no Configure call ever reached it.
    throw new Error(
      "The xtmm provider received no stack configuration (the engine sends Configure before any resource call; " +
        "a test harness must too).",
    );
  }
}

/** The stack configuration value for a key without the project prefix. */
export function stackConfig(key: string): string | undefined {
  if (!configGet) {
    throw new Error("The xtmm provider was not configured: no stack configuration reached it.");
  }
  return safeGet(configGet, key);
}

/** The tenant client for a role, from the stack configuration (settings are read when first needed). */
export function tenantFor(role: TenantRole): TenantClient {
  return tenantClient(readTenantSettings(stackConfig, role));
}

/** Messages shown by the engine with the resource (the host has no engine connection: they go to its console). */
export const log = {
  info: (msg: string) => pulumi.log.info(redact(msg)),
  warn: (msg: string) => pulumi.log.warn(redact(msg)),
};

/** Removes configured secret values from a text; the last guard before anything leaves the provider. */
export function redact(text: string): string {
  let out = text;
  for (const s of secretValues()) out = out.split(s).join("[secret]");
  return out;
}

/** Outputs must survive the host's Struct conversion unchanged: no undefined, Date, class instance, NaN. */
export function assertPlainJson(what: string, value: unknown): void {
  const walk = (v: unknown, at: string): void => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new Error(`${what}: output ${at} is ${v}, not a JSON number`);
      return;
    }
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}[${i}]`));
    if (typeof v === "object" && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
      for (const [k, x] of Object.entries(v as Props)) walk(x, at ? `${at}.${k}` : k);
      return;
    }
    const shape = v === undefined ? "undefined" : typeof v === "object" ? (v as object).constructor?.name : typeof v;
    throw new Error(`${what}: output ${at || "(root)"} is ${shape}, not plain JSON`);
  };
  walk(value ?? {}, "");
}
