// Runs the real program (index.ts) under `pulumi.runtime.setMocks` and records what it asked the engine for:
// every registration with its type, name, parent, inputs and the dependencies the SDK computed (explicit
// dependsOn plus every resource an input came from), and the stack's exports with their secretness. Provider
// methods never run; the mock answers each resource kind with plausible outputs, marking as secret what the
// engine would (inputs that were secrets, additionalSecretOutputs). Runs are sequential in one process: each
// waits for the SDK's outstanding RPCs before the next one sets new mocks.

import { spreadGroups } from "../../providers/mailUser/groups";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export const SOURCE = "11111111-1111-4111-8111-111111111111";
export const TARGET = "22222222-2222-4222-8222-222222222222";
export const APP_ID = "55555555-5555-4555-8555-555555555555";
export const CLIENT_SECRET = "migration-app-client-secret-value";
export const CONSENTED_AT = "2025-03-01T10:00:00.000Z";
export const SECRET_KEYS = ["xtmm:sourceClientSecret", "xtmm:targetClientSecret"];

export function baseConfig(extra: Record<string, unknown> = {}): Record<string, string> {
  const config: Record<string, string> = {
    "xtmm:cloud": "worldwide",
    "xtmm:sourceTenantId": SOURCE,
    "xtmm:sourceDomain": "fabrikam.onmicrosoft.com",
    "xtmm:sourceAuth": "clientSecret",
    "xtmm:sourceClientId": "33333333-3333-4333-8333-333333333333",
    "xtmm:sourceClientSecret": "source-secret-value",
    "xtmm:targetTenantId": TARGET,
    "xtmm:targetDomain": "contoso.onmicrosoft.com",
    "xtmm:targetAuth": "clientSecret",
    "xtmm:targetClientId": "44444444-4444-4444-8444-444444444444",
    "xtmm:targetClientSecret": "target-secret-value",
  };
  // Structured values reach the program as JSON text, as the engine hands them over.
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete config[k];
    else config[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return config;
}

export interface Registration {
  type: string;
  name: string;
  urn: string;
  parentUrn: string;
  inputs: Record<string, unknown>;
  /** Names of the resources this one depends on (the URNs the SDK sent, mapped back to names). */
  dependsOn: string[];
}

export interface ProgramRun {
  resources: Registration[];
  byName(name: string): Registration;
  /** Whether `from` depends on `on`, directly or through other resources. */
  dependsOn(from: string, on: string): boolean;
  outputs: Record<string, unknown>;
  /** Export names whose value is (or contains) a secret. */
  secretExports: string[];
  error?: Error;
  /** Everything the program wrote to the console (warnings of pending steps). */
  logs: string[];
}

/** The stack outputs a StackReference sees, per referenced stack name. */
export type StackOutputs = Record<string, { outputs: Record<string, unknown>; secretOutputNames?: string[] }>;

const root = path.join(__dirname, "..", "..");

export async function runIndex(
  config: Record<string, string>,
  opts: { secretKeys?: string[]; stacks?: StackOutputs; stack?: string } = {},
): Promise<ProgramRun> {
  const registered: Registration[] = [];
  const secretNames = new Map<string, string[]>();
  const urnOfName = new Map<string, string>();
  const depsByName = new Map<string, string[]>();
  const inputsByKey = new Map<string, Record<string, unknown>>();

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.type === "pulumi:pulumi:StackReference") {
          const stack = opts.stacks?.[String(args.inputs.name)];
          if (!stack) throw new Error(`unknown stack ${String(args.inputs.name)}`);
          const secret = new Set(stack.secretOutputNames ?? []);
          const outputs = Object.fromEntries(
            Object.entries(stack.outputs).map(([k, v]) => [k, secret.has(k) ? pulumi.secret(v) : v]),
          );
          return {
            id: String(args.inputs.name),
            state: { name: args.inputs.name, outputs, secretOutputNames: [...secret] },
          };
        }
        // The engine hands a provider's check the inputs first; a MailUser's spreads `fromSource` into them.
        const inputs = args.type.endsWith(":MailUser") ? spreadGroups(args.inputs).inputs : args.inputs;
        inputsByKey.set(`${args.type}::${args.name}`, inputs);
        const state = { ...inputs, ...mockOutputs(args.type, inputs) };
        const secret = new Set(secretNames.get(`${args.type}::${args.name}`) ?? []);
        for (const [k, v] of Object.entries(state)) if (secret.has(k)) state[k] = pulumi.secret(v);
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call: (args) => args.inputs,
    },
    "xtmm",
    opts.stack ?? "unit",
    false,
  );
  pulumi.runtime.setAllConfig(config, opts.secretKeys ?? SECRET_KEYS);

  // The mock hands newResource neither dependencies nor options; the request the SDK built has them.
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: any) => {
    const type: string = req.getType();
    const name: string = req.getName();
    const urn = monitor.newUrn(req.getParent(), type, name);
    urnOfName.set(urn, name);
    depsByName.set(name, req.getDependenciesList());
    secretNames.set(`${type}::${name}`, req.getAdditionalsecretoutputsList());
    registered.push({ type, name, urn, parentUrn: req.getParent(), inputs: {}, dependsOn: [] });
    return register(req, callback);
  };

  const logs: string[] = [];
  const spies = (["log", "warn", "error", "info"] as const).map((m) =>
    jest.spyOn(console, m).mockImplementation((...a: unknown[]) => void logs.push(a.join(" "))),
  );
  const outputs: Record<string, unknown> = {};
  const secretExports: string[] = [];
  let error: Error | undefined;
  try {
    const main = require(path.join(root, "index")) as () => Promise<Record<string, unknown>>;
    const exported = await main();
    for (const [k, v] of Object.entries(exported)) {
      const o = pulumi.output(v) as pulumi.Output<unknown>;
      outputs[k] = await new Promise((resolve) => o.apply((x) => resolve(x)));
      if (await (o as any).isSecret) secretExports.push(k);
    }
  } catch (e) {
    error = e as Error;
  }
  await (pulumi.runtime as any).waitForRPCs();
  spies.forEach((s) => s.mockRestore());

  for (const r of registered) {
    r.dependsOn = (depsByName.get(r.name) ?? []).map((u) => urnOfName.get(u) ?? u);
    r.inputs = inputsByKey.get(`${r.type}::${r.name}`) ?? {};
  }
  const byName = (name: string) => {
    const r = registered.find((x) => x.name === name);
    if (!r) throw new Error(`no resource named ${name} (registered: ${registered.map((x) => x.name).join(", ")})`);
    return r;
  };
  const dependsOn = (from: string, on: string, seen = new Set<string>()): boolean => {
    if (seen.has(from)) return false;
    seen.add(from);
    const direct = byName(from).dependsOn;
    return direct.includes(on) || direct.some((d) => registered.some((x) => x.name === d) && dependsOn(d, on, seen));
  };
  return { resources: registered, byName, dependsOn: (a, b) => dependsOn(a, b), outputs, secretExports, error, logs };
}

/** Plausible provider answers per kind: what create would return after converging. */
function mockOutputs(type: string, inputs: Record<string, any>): Record<string, unknown> {
  const kind = type.replace("pulumi-nodejs:dynamic/xtmm:", "");
  const tenantId = inputs.tenant === "source" ? SOURCE : TARGET;
  switch (kind) {
    case "OrganizationCustomization":
      return { tenantId, isDehydrated: false, enabledByUs: inputs.tenant === "target" };
    case "MigrationApp":
      return {
        tenantId: TARGET,
        appId: APP_ID,
        applicationObjectId: "66666666-6666-4666-8666-666666666666",
        servicePrincipalId: "77777777-7777-4777-8777-777777777777",
        consentUrl: `https://login.microsoftonline.com/fabrikam.onmicrosoft.com/adminconsent?client_id=${APP_ID}&redirect_uri=https://office.com`,
        secretKeyId: "88888888-8888-4888-8888-888888888888",
        clientSecret: CLIENT_SECRET,
        retiringSecretKeyIds: [],
        adopted: false,
      };
    case "AdminConsent":
      return {
        tenantId,
        servicePrincipalId: `sp-${inputs.tenant}`,
        grantedRoles: ["Mailbox.Migration"],
        assignmentIds: ["a1"],
        consentedAt: CONSENTED_AT,
      };
    case "MigrationEndpoint":
      return {
        identity: inputs.name,
        endpointType: "ExchangeRemoteMove",
        remoteServer: "outlook.office.com",
        applicationId: inputs.appId,
        adopted: false,
        tenantId: TARGET,
      };
    case "OrganizationRelationship":
      return {
        tenantId,
        identity: inputs.name,
        adopted: false,
        enabled: true,
        mailboxMoveEnabled: true,
        mailboxMoveCapability: inputs.capabilities,
      };
    case "ScopingGroup":
      return {
        identity: inputs.name,
        primarySmtpAddress: `${inputs.name}@fabrikam.onmicrosoft.com`,
        adopted: false,
        members: inputs.members ?? [],
      };
    case "SourceMailboxes":
      return { mailboxes: (inputs.users ?? []).map(sourceMailbox), summary: {} };
    case "MailUser": {
      const held = (inputs.blockers ?? []).length > 0;
      return {
        identity: inputs.alias,
        staged: !held,
        held,
        migrated: false,
        adopted: false,
        password: "generated-mailuser-password",
      };
    }
    default:
      return {};
  }
}

/** The seeded source organisation's answer for one planned user; Diego is on litigation hold. */
export function sourceMailbox(u: { sourceAddress: string; targetPrimary: string; alias: string }) {
  const blocked = u.sourceAddress.startsWith("diegos@");
  return {
    sourceAddress: u.sourceAddress,
    targetPrimary: u.targetPrimary,
    state: blocked ? "blocked" : "ready",
    blockers: blocked ? ["litigation hold"] : [],
    primarySmtpAddress: u.sourceAddress,
    name: u.alias,
    alias: u.alias,
    displayName: u.alias,
    firstName: "",
    lastName: "",
    recipientTypeDetails: "UserMailbox",
    exchangeGuid: "99999999-9999-4999-8999-999999999999",
    archiveGuid: "",
    x500Addresses: [`x500:/o=ExchangeLabs/cn=Recipients/cn=${u.alias}`],
  };
}
