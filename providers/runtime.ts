// What the serialized shims (dynamic.ts) call inside the provider host: the map from resource kind to
// implementation, and the checks every call's result passes on its way back to the engine. Loaded from
// dist/ at run time, so it is always the current code. The shims name this file and `provider`: that is the
// contract with every stack's state (see dynamic.ts).

import type * as pulumi from "@pulumi/pulumi";
import { SHIM_PROTOCOL, type ShimMethod } from "./dynamic";
import * as anchored from "./anchors";
import { assertPlainJson, configureRuntime, redact, type Props, type ResourceImplementation } from "./context";
import { adminConsentImpl } from "./adminConsent";
import { licenceAssignmentImpl } from "./licenceAssignment";
import { mailUserImpl } from "./mailUser";
import { migrationAppImpl } from "./migrationApp";
import { migrationAppSecretRetirementImpl } from "./migrationAppSecretRetirement";
import { migrationBatchImpl } from "./migrationBatch";
import { migrationEndpointImpl } from "./migrationEndpoint";
import { organizationCustomizationImpl } from "./organizationCustomization";
import { organizationRelationshipImpl } from "./organizationRelationship";
import { previousMailboxCleanupImpl } from "./previousMailboxCleanup";
import { readinessImpl } from "./readiness";
import { scopingGroupImpl } from "./scopingGroup";
import { sourceMailboxesImpl } from "./sourceMailboxes";

// Every kind's implementation, imported statically like everything else, so the import checker sees the whole
// graph. The program loads the same modules to declare resources (the tenant layer among them: about 80 ms and
// 12 MB once per program, measured by requiring dist/components/crossTenantMigration.js before and after).
// Each kind has its own input and output types; the registry only dispatches by kind.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const IMPLEMENTATIONS: Record<string, ResourceImplementation<any, any>> = {
  organizationCustomization: organizationCustomizationImpl,
  migrationApp: migrationAppImpl,
  migrationAppSecretRetirement: migrationAppSecretRetirementImpl,
  adminConsent: adminConsentImpl,
  migrationEndpoint: migrationEndpointImpl,
  organizationRelationship: organizationRelationshipImpl,
  scopingGroup: scopingGroupImpl,
  sourceMailboxes: sourceMailboxesImpl,
  mailUser: mailUserImpl,
  migrationBatch: migrationBatchImpl,
  readiness: readinessImpl,
  licenceAssignment: licenceAssignmentImpl,
  previousMailboxCleanup: previousMailboxCleanupImpl,
};

export const RESOURCE_KINDS = Object.keys(IMPLEMENTATIONS);

/** The provider object today's shim returns for a kind: every method goes through `dispatch`. */
export function provider(protocol: number, kind: string): Record<ShimMethod, (...args: unknown[]) => Promise<unknown>> {
  const f =
    (method: ShimMethod) =>
    (...args: unknown[]) =>
      dispatch(protocol, kind, method, args);
  return {
    configure: f("configure"),
    check: f("check"),
    diff: f("diff"),
    create: f("create"),
    read: f("read"),
    update: f("update"),
    delete: f("delete"),
  };
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
  const impl = IMPLEMENTATIONS[kind];
  if (!impl) throw new Error(`Unknown xtmm resource kind "${kind}" (known: ${RESOURCE_KINDS.join(", ")}).`);
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
      return {
        ...result,
        props: anchored.recorded(result.props, anchors),
        ...(result.inputs ? { inputs: anchored.recorded(result.inputs, anchors) } : {}),
      };
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
