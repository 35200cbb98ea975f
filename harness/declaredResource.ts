// A resource as the program declares it and the engine receives it: captured under \`pulumi.runtime.setMocks\`
// with the exact \`__provider\` text, secret inputs unwrapped as the engine sends them, and the preview's
// not-yet-known values.

import * as pulumi from "@pulumi/pulumi";
import { type Props, UNKNOWN } from "./providerHost";
import { specialSigKey } from "@pulumi/pulumi/runtime/rpc";

export interface DeclaredResource {
  /** Type token, e.g. `pulumi-nodejs:dynamic/xtmm:OrganizationCustomization`. */
  type: string;
  name: string;
  /** Inputs as the engine sends them to the host (secrets as plain values), `__provider` included. */
  inputs: Props;
  /** Inputs the program marked secret. */
  secretInputs?: string[];
  /** The `deleteBeforeReplace` resource option. */
  deleteBeforeReplace?: boolean;
}

/** The signature key of a secret (or resource reference) envelope on the wire. */
/** The key Pulumi marks a secret (and other special values) with on the wire and in a checkpoint. */
export const SECRET_SIG = specialSigKey;

/** Replaces the named top-level inputs with the preview sentinel, as the engine sends not-yet-known values. */
export function withUnknowns(r: DeclaredResource, ...keys: string[]): DeclaredResource {
  const inputs = { ...r.inputs };
  for (const k of keys) inputs[k] = UNKNOWN;
  return { ...r, inputs };
}

/**
 * Registers a resource under `pulumi.runtime.setMocks` and returns what the program would send the engine:
 * the type token, the name and the inputs with the exact `__provider` text `dynamic.Resource` serialized.
 * Feeding that text to the host is the serializability check the engine itself makes.
 */
export async function declareResource(
  make: () => pulumi.CustomResource,
  opts: { deleteBeforeReplace?: boolean } = {},
): Promise<DeclaredResource> {
  let captured: { type: string; name: string; inputs: Props } | undefined;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        captured = { type: args.type, name: args.name, inputs: { ...args.inputs } };
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "xtmm",
    "test",
    false,
  );
  const resource = make();
  await new Promise<void>((resolve) => resource.urn.apply(() => resolve()));
  if (!captured) throw new Error("the resource was never registered");
  if (typeof captured.inputs.__provider !== "string") {
    throw new Error("__provider is not a plain string (did the provider capture a secret?)");
  }
  // The engine sends secret inputs to the host as plain values (the host answers Configure with
  // acceptSecrets=false): unwrap the SDK's envelope, and remember which
  // inputs the program marked secret so tests can check it.
  const secretInputs: string[] = [];
  for (const [k, v] of Object.entries(captured.inputs)) {
    if (v && typeof v === "object" && SECRET_SIG in (v as object)) {
      captured.inputs[k] = (v as { value: unknown }).value;
      secretInputs.push(k);
    }
  }
  return { ...captured, secretInputs, ...opts };
}
