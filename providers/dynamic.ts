// The dynamic-provider shim and the base class every xtmm resource extends.
//
// Pulumi stores the provider's serialized code with every resource (`__provider`) and runs THAT code for
// refresh and destroy. Our serialized provider is therefore a shim that knows only its resource kind and
// where the compiled implementation lives; the implementation is `require`d at run time from
// `<root>/dist/providers/runtime.js`. State stays small, a code change needs no replacement, `destroy`
// runs the current code, and no client or secret is ever captured by the serializer.

import * as pulumi from "@pulumi/pulumi";

/**
 * Version of the contract between shims already written into state files and `runtime.dispatch`. Shims
 * from every earlier version must keep working, so `dispatch` only ever gains versions.
 */
export const SHIM_PROTOCOL = 1;

/** The methods the engine may call; `runtime.dispatch` routes each one to the kind's implementation. */
export type ShimMethod = "configure" | "check" | "diff" | "create" | "read" | "update" | "delete";

/**
 * The serialized provider for one resource kind. Everything the methods use is either captured by value
 * (the kind, the protocol number) or written as a literal `require` evaluated inside the host, so the
 * serializer has nothing else to capture. Keep it that way: an import used in here would be serialized
 * with it.
 */
//
// The root is resolved inside the host process: its cwd is the program directory (the project root) when
// the engine starts it; tests point XTMM_ROOT at the checkout. Comments inside the functions below would
// be serialized into every resource's state, so they live here.
export function shimProvider(kind: string): pulumi.dynamic.ResourceProvider {
  const protocol = SHIM_PROTOCOL;
  const forward = (method: string, args: unknown[]): Promise<any> => {
    const join = require("path").join;
    const root = process.env.XTMM_ROOT || process.cwd();
    return require(join(root, "dist", "providers", "runtime.js")).dispatch(protocol, kind, method, args);
  };
  return {
    configure: (req) => forward("configure", [req]),
    check: (olds, news) => forward("check", [olds, news]),
    diff: (id, olds, news) => forward("diff", [id, olds, news]),
    create: (inputs) => forward("create", [inputs]),
    read: (id, props) => forward("read", [id, props]),
    update: (id, olds, news) => forward("update", [id, olds, news]),
    delete: (id, props) => forward("delete", [id, props]),
  };
}

// One shim object per kind, so `dynamic.Resource`'s serialization cache (keyed by object) serializes each
// kind once per program run however many resources of it there are.
const shims = new Map<string, pulumi.dynamic.ResourceProvider>();
function shimFor(kind: string): pulumi.dynamic.ResourceProvider {
  let shim = shims.get(kind);
  if (!shim) {
    shim = shimProvider(kind);
    shims.set(kind, shim);
  }
  return shim;
}

/** Package-like module of every xtmm type token: `pulumi-nodejs:dynamic/xtmm:<Type>`. */
export const TYPE_MODULE = "xtmm";

/** The type token the engine records for a resource type (the dynamic-provider package prefix is fixed by Pulumi). */
export function typeToken(type: string): string {
  return `pulumi-nodejs:dynamic/${TYPE_MODULE}:${type}`;
}

/**
 * Inputs another resource's outputs supply, each with the anchor that keeps it the same (providers/anchors.ts):
 * `{ appId: "<the migration app's identity>" }`. Lets preview tell an unchanged app id from a new one.
 */
export interface Anchored {
  anchors?: Record<string, string>;
}

export interface XtmmResourceSpec {
  /** Key of the implementation in `runtime.ts`. */
  kind: string;
  /** Type name shown by Pulumi, e.g. "OrganizationCustomization". */
  type: string;
  /** Every output the resource publishes; seeded as undefined so the declared properties get resolved. */
  outputs: readonly string[];
  /** Outputs the engine must store as secrets although no input of the same name was secret. */
  secretOutputs?: readonly string[];
}

/**
 * Base of every xtmm resource class. Subclasses declare their outputs with `declare readonly` (a class
 * field would shadow the property Pulumi resolves) and pass their spec.
 */
export abstract class XtmmResource extends pulumi.dynamic.Resource {
  protected constructor(
    spec: XtmmResourceSpec,
    name: string,
    props: Record<string, pulumi.Input<unknown>>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(shimFor(spec.kind), name, seededProps(spec, props), resourceOptions(spec, opts), TYPE_MODULE, spec.type);
  }
}

/** Props with every declared output present (undefined until the engine resolves it); inputs win. */
export function seededProps(spec: XtmmResourceSpec, props: Record<string, unknown>): Record<string, unknown> {
  const seeded: Record<string, unknown> = {};
  for (const output of spec.outputs) seeded[output] = undefined;
  return { ...seeded, ...props };
}

/** The caller's options plus the kind's secret outputs in `additionalSecretOutputs`. */
export function resourceOptions(
  spec: XtmmResourceSpec,
  opts?: pulumi.CustomResourceOptions,
): pulumi.CustomResourceOptions | undefined {
  const secret = [...new Set([...(opts?.additionalSecretOutputs ?? []), ...(spec.secretOutputs ?? [])])];
  return secret.length > 0 ? { ...opts, additionalSecretOutputs: secret } : opts;
}
