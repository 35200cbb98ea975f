// Runs the bootstrap program (stacks/bootstrap/index.ts) under pulumi.runtime.setMocks with a pretend tenant:
// the azuread data sources answer from here (`call`), resources echo their inputs plus the ids Entra would
// assign (`newResource`). One run per test file: Pulumi keeps its runtime state on the global object.

import * as path from "node:path";
import {
  EXCHANGE_APPLICATION_PERMISSIONS,
  GRAPH_APPLICATION_PERMISSIONS,
  RESOURCE_APP_IDS,
} from "../../providers/tenant/permissions";

export const TENANT_ID = "11111111-1111-4111-8111-111111111111";
export const INITIAL_DOMAIN = "fabrikam.onmicrosoft.com";
export const ADMIN_OBJECT_ID = "aaaaaaaa-0000-4000-8000-000000000001";
export const APP_OBJECT_ID = "aaaaaaaa-0000-4000-8000-000000000002";
export const APP_CLIENT_ID = "aaaaaaaa-0000-4000-8000-000000000003";
export const SP_OBJECT_ID = "aaaaaaaa-0000-4000-8000-000000000004";
export const GRAPH_SP_OBJECT_ID = "bbbbbbbb-0000-4000-8000-000000000001";
export const EXCHANGE_SP_OBJECT_ID = "bbbbbbbb-0000-4000-8000-000000000002";
export const GENERATED_SECRET = "generated-client-secret-value";

/** App roles Microsoft's APIs publish besides ours; the tenant offers them, the bootstrap must not take them. */
export const BROADER_GRAPH_ROLES: Record<string, string> = {
  "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
  "Application.ReadWrite.OwnedBy": "18a4783c-866b-4cc7-a460-3d5e5662c884",
  "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
};
export const BROADER_EXCHANGE_ROLES: Record<string, string> = {
  full_access_as_app: "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
};

/** What the tenant's first-party service principals publish: value -> id. */
export function publishedAppRoles(): Record<string, Record<string, string>> {
  const of = (list: readonly { value: string; id: string }[]) => Object.fromEntries(list.map((p) => [p.value, p.id]));
  return {
    [RESOURCE_APP_IDS.microsoftGraph]: { ...of(GRAPH_APPLICATION_PERMISSIONS), ...BROADER_GRAPH_ROLES },
    [RESOURCE_APP_IDS.exchangeOnline]: { ...of(EXCHANGE_APPLICATION_PERMISSIONS), ...BROADER_EXCHANGE_ROLES },
  };
}

export type Registered = {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  additionalSecretOutputs: string[];
};
export type Invoked = { token: string; inputs: Record<string, unknown> };

export async function runBootstrap(config: Record<string, string>, secretKeys: string[] = []) {
  const registered: Registered[] = [];
  const invoked: Invoked[] = [];
  const published = publishedAppRoles();
  let program: Record<string, unknown> = {};
  let loadError: unknown;
  let pulumi: typeof import("@pulumi/pulumi") | undefined;
  let waitForRPCs: () => Promise<void> = async () => undefined;
  const options = new Map<string, string[]>();
  await jest.isolateModulesAsync(async () => {
    pulumi = await import("@pulumi/pulumi");
    // Internal, but what the real run uses to know every registration has been made; from this registry.
    waitForRPCs = (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs;
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          registered.push({
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            additionalSecretOutputs: options.get(`${args.type}::${args.name}`) ?? [],
          });
          switch (args.type) {
            case "azuread:index/application:Application":
              return {
                id: `/applications/${APP_OBJECT_ID}`,
                state: { ...args.inputs, clientId: APP_CLIENT_ID, objectId: APP_OBJECT_ID },
              };
            case "azuread:index/servicePrincipal:ServicePrincipal":
              return { id: `/servicePrincipals/${SP_OBJECT_ID}`, state: { ...args.inputs, objectId: SP_OBJECT_ID } };
            case "azuread:index/applicationPassword:ApplicationPassword":
              return {
                id: `${APP_OBJECT_ID}/password/k1`,
                state: { ...args.inputs, keyId: "k1", value: GENERATED_SECRET },
              };
            default:
              return { id: `${args.name}-id`, state: args.inputs };
          }
        },
        call(args) {
          invoked.push({ token: args.token, inputs: args.inputs });
          switch (args.token) {
            case "azuread:index/getClientConfig:getClientConfig":
              return {
                id: "client",
                tenantId: TENANT_ID,
                clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                objectId: ADMIN_OBJECT_ID,
              };
            case "azuread:index/getDomains:getDomains":
              return {
                id: "domains",
                domains: [
                  {
                    domainName: "fabrikam.com",
                    initial: false,
                    default: true,
                    verified: true,
                    root: true,
                    adminManaged: true,
                    authenticationType: "Managed",
                    supportedServices: [],
                  },
                  {
                    domainName: INITIAL_DOMAIN,
                    initial: true,
                    default: false,
                    verified: true,
                    root: true,
                    adminManaged: true,
                    authenticationType: "Managed",
                    supportedServices: [],
                  },
                ],
              };
            case "azuread:index/getServicePrincipal:getServicePrincipal": {
              const clientId = args.inputs.clientId as string;
              const objectId =
                clientId === RESOURCE_APP_IDS.microsoftGraph ? GRAPH_SP_OBJECT_ID : EXCHANGE_SP_OBJECT_ID;
              return { id: objectId, objectId, clientId, appRoleIds: published[clientId] ?? {} };
            }
            default:
              throw new Error(`unexpected invoke ${args.token}`);
          }
        },
      },
      "xtmm-bootstrap",
      "fabrikam-operator",
      false,
    );
    // The mock monitor does not pass resource options to newResource; record what the SDK asks the engine to
    // keep secret, by type and name, from the registration request itself.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(
        req: { getType(): string; getName(): string; getAdditionalsecretoutputsList(): string[] },
        cb: unknown,
      ): unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      options.set(`${req.getType()}::${req.getName()}`, req.getAdditionalsecretoutputsList());
      return register(req, cb);
    };
    pulumi.runtime.setAllConfig(config, secretKeys);
    try {
      program = require(path.join(__dirname, "..", "..", "stacks", "bootstrap", "index"));
    } catch (e) {
      loadError = e;
    }
  });
  const p = pulumi!;
  const outputOf = <T>(o: unknown): Promise<T> =>
    new Promise((resolve) => p.output(o as T).apply((v) => resolve(v as T)));
  const isSecret = (o: unknown) => p.isSecret(p.output(o));
  const urns = (): string[] => {
    const monitor = p.runtime.getMonitor() as unknown as { getRegisteredResources(): Map<string, unknown> };
    return [...monitor.getRegisteredResources().keys()];
  };
  /** Waits until every registration has been made and every output has resolved. */
  const settle = async () => {
    for (const v of Object.values(program)) await outputOf(v);
    await waitForRPCs();
  };
  return { registered, invoked, program, loadError, outputOf, isSecret, urns, settle };
}
