// The dynamic-provider shim and the base class every xtmm resource extends.
//
// Pulumi stores the provider's serialized code with every resource (`__provider`) and runs THAT code for
// refresh and destroy. Our serialized provider is therefore a shim that knows only its resource kind and
// where the compiled implementation lives; the implementation is `require`d at run time from
// `<root>/dist/providers/runtime.js`. State stays small, a code change needs no replacement, `destroy`
// runs the current code, and no client or secret can ever be captured in it.

import * as pulumi from "@pulumi/pulumi";

/**
 * Version of the contract between shims already written into state files and `runtime.dispatch`. Shims
 * from every earlier version must keep working, so `dispatch` only ever gains versions.
 */
export const SHIM_PROTOCOL = 1;

/** The methods the engine may call; `runtime.dispatch` routes each one to the kind's implementation. */
export type ShimMethod = "configure" | "check" | "diff" | "create" | "read" | "update" | "delete";

/**
 * The provider text stored with every resource of one kind: a CommonJS module whose `handler()` returns the
 * provider object, as the dynamic-provider host evaluates it (`require-from-string`, then `.handler()`).
 *
 * Written by hand rather than produced by the SDK's closure serializer, for two reasons. Size: the engine
 * stores the text twice per resource (inputs and outputs), so every byte here is two bytes per user in a
 * large wave's checkpoint; one line naming the kind is all it needs, as `runtime.provider` builds the methods.
 * Stability: the text is a contract with every stack that holds it, and the serializer's output changes with
 * the SDK. The texts written before (test/fixtures/shims/: the serializer's, then a longer hand-written one)
 * call `runtime.dispatch(protocol, kind, method, args)`, which stays; a resource keeps its text in its outputs
 * until its next create or update.
 *
 * The root is resolved inside the host process: its cwd is the program directory (the project root) when the
 * engine starts it; tests point XTMM_ROOT at the checkout.
 */
export function shimSource(kind: string): string {
  return `exports.handler = () => require((process.env.XTMM_ROOT || process.cwd()) + "/dist/providers/runtime.js").provider(${SHIM_PROTOCOL}, ${JSON.stringify(kind)});\n`;
}

/** The provider object a shim text evaluates to, as the host gets it (for tests and tools). */
export function shimProvider(kind: string): pulumi.dynamic.ResourceProvider {
  const module = { exports: {} as { handler?: () => pulumi.dynamic.ResourceProvider } };
  new Function("exports", "require", "module", shimSource(kind))(module.exports, require, module);
  return module.exports.handler!();
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
 * Base of every xtmm resource class: a custom resource of the dynamic-provider package (the type token
 * `pulumi-nodejs:dynamic/xtmm:<Type>` and the `__provider` input are all `pulumi.dynamic.Resource` adds, and
 * what the engine and the host go by). Subclasses declare their outputs with `declare readonly` (a class field
 * would shadow the property Pulumi resolves) and pass their spec.
 */
export abstract class XtmmResource extends pulumi.CustomResource {
  protected constructor(
    spec: XtmmResourceSpec,
    name: string,
    props: Record<string, pulumi.Input<unknown>>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    if ("__provider" in props) throw new Error(`${spec.type} ${name}: __provider is reserved for the shim`);
    super(
      typeToken(spec.type),
      name,
      { ...seededProps(spec, props), __provider: shimSource(spec.kind) },
      resourceOptions(spec, opts),
    );
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
