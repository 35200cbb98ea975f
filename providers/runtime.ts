// What the serialized shims (dynamic.ts) call inside the provider host: the stack configuration the host
// was given, the map from resource kind to implementation, and the checks every call's result passes on
// its way back to the engine. Loaded from dist/ at run time, so it is always the current code.

import * as pulumi from "@pulumi/pulumi";
import { SHIM_PROTOCOL, type ShimMethod } from "./dynamic";
import * as anchored from "./anchors";
// Types only: the tenant layer (MSAL, HTTP clients) is loaded when a provider first needs a tenant, so a
// program that merely declares resources never loads it.
import type { TenantClient } from "./tenant";
import type { TenantRole } from "./tenant/settings";

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

// Loaded on first use, so a kind's module (and the clients it pulls in) is only loaded by a stack that has
// such a resource.
const IMPLEMENTATIONS: Record<string, () => ResourceImplementation<any, any>> = {
  organizationCustomization: () => require("./organizationCustomization").organizationCustomizationImpl,
  migrationApp: () => require("./migrationApp").migrationAppImpl,
  migrationAppSecretRetirement: () => require("./migrationAppSecretRetirement").migrationAppSecretRetirementImpl,
  adminConsent: () => require("./adminConsent").adminConsentImpl,
  migrationEndpoint: () => require("./migrationEndpoint").migrationEndpointImpl,
  organizationRelationship: () => require("./organizationRelationship").organizationRelationshipImpl,
  scopingGroup: () => require("./scopingGroup").scopingGroupImpl,
  sourceMailboxes: () => require("./sourceMailboxes").sourceMailboxesImpl,
  mailUser: () => require("./mailUser").mailUserImpl,
  migrationBatch: () => require("./migrationBatch").migrationBatchImpl,
  readiness: () => require("./readiness").readinessImpl,
  licenceAssignment: () => require("./licence").licenceAssignmentImpl,
};

export const RESOURCE_KINDS = Object.keys(IMPLEMENTATIONS);

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
  const { tenantClient } = require("./tenant") as typeof import("./tenant");
  const { readTenantSettings } = require("./tenant/settings") as typeof import("./tenant/settings");
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

/** The provider object today's shim returns for a kind: every method goes through `dispatch`. */
export function provider(protocol: number, kind: string): Record<ShimMethod, (...args: unknown[]) => Promise<unknown>> {
  const f = (method: ShimMethod) => (...args: unknown[]) => dispatch(protocol, kind, method, args);
  return { configure: f("configure"), check: f("check"), diff: f("diff"), create: f("create"), read: f("read"), update: f("update"), delete: f("delete") };
}

export async function dispatch(protocol: number, kind: string, method: ShimMethod, args: unknown[]): Promise<unknown> {
  if (protocol !== SHIM_PROTOCOL) {
    throw new Error(
      `This resource's state was written by xtmm shim protocol ${protocol}, which this version (${SHIM_PROTOCOL}) ` +
        "does not understand. Run `pulumi up` with the version that wrote it.",
    );
  }
  if (method === "configure") {
    const req = args[0] as pulumi.dynamic.ConfigureRequest;
    configureRuntime((key) => req.config.get(key));
    return undefined;
  }
  const load = IMPLEMENTATIONS[kind];
  if (!load) throw new Error(`Unknown xtmm resource kind "${kind}" (known: ${RESOURCE_KINDS.join(", ")}).`);
  const impl = load();
  try {
    return await call(impl, kind, method, args);
  } catch (e) {
    throw scrubbed(e);
  }
}

async function call(impl: ResourceImplementation, kind: string, method: ShimMethod, args: unknown[]): Promise<unknown> {
  switch (method) {
    case "check": {
      const [olds, news] = args as [Props, Props];
      const { rest, anchors } = anchored.split(withoutProvider(news));
      const result = await impl.check(anchored.split(withoutProvider(olds)).rest, rest);
      return result.inputs ? { ...result, inputs: anchored.recorded(result.inputs, anchors) } : result;
    }
    case "diff": {
      const [id, olds, news] = args as [string, Props, Props];
      const o = withoutProvider(olds);
      const n = anchored.split(withoutProvider(news));
      return impl.diff(id, anchored.split(o).rest, anchored.settled(o, n.rest, n.anchors));
    }
    case "create": {
      const { rest, anchors } = anchored.split(withoutProvider(args[0] as Props));
      const result = await impl.create(rest);
      if (typeof result.id !== "string" || result.id === "") throw new Error(`${kind}.create returned no id`);
      assertPlainJson(`${kind}.create`, result.outs);
      return { ...result, outs: anchored.recorded(result.outs, anchors) };
    }
    case "read": {
      const [id, props] = args as [string, Props];
      const { rest, anchors } = anchored.split(withoutProvider(props));
      const result = await impl.read(id, rest);
      if (result.id !== "") assertPlainJson(`${kind}.read`, result.props);
      if (result.id !== "" && result.inputs) assertPlainJson(`${kind}.read (inputs)`, result.inputs);
      if (result.id === "") return result;
      // A read that also returns inputs (drift shown as changed inputs) keeps the anchors on them too.
      return { ...result, props: anchored.recorded(result.props, anchors), ...(result.inputs ? { inputs: anchored.recorded(result.inputs, anchors) } : {}) };
    }
    case "update": {
      const [id, olds, news] = args as [string, Props, Props];
      const { rest, anchors } = anchored.split(withoutProvider(news));
      const result = await impl.update(id, anchored.split(withoutProvider(olds)).rest, rest);
      assertPlainJson(`${kind}.update`, result.outs);
      return { ...result, outs: anchored.recorded(result.outs, anchors) };
    }
    case "delete": {
      const [id, props] = args as [string, Props];
      return impl.delete(id, anchored.split(withoutProvider(props)).rest);
    }
    default:
      throw new Error(`Unknown provider method "${String(method)}".`);
  }
}

function withoutProvider(p: Props | undefined): Props {
  const { __provider: _ignored, ...rest } = p ?? {};
  return rest;
}

// The host turns a thrown error into a gRPC status carrying its message (and, for a partial failure, its
// id/properties/reasons), so that is what gets scrubbed; the stack stays out (it goes to the host's stderr).
function scrubbed(e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const clean = new Error(redact(err.message));
  for (const k of ["id", "properties", "reasons"] as const) {
    if (k in err) (clean as unknown as Props)[k] = (err as unknown as Props)[k];
  }
  clean.stack = redact(err.stack ?? clean.message);
  return clean;
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
