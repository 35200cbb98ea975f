// The bootstrap program under mocks, client-secret credential (no certificatePath): which azuread resources
// it declares, that the permissions it requests and consents are exactly providers/tenant/permissions.ts (and
// nothing the tenant offers besides), the Exchange Administrator assignment, and the outputs, secret included.
// One program run per file (Pulumi's runtime state is global); bootstrap-program-certificate.test.ts runs the
// certificate variant.

import {
  EXCHANGE_ADMIN_ROLE,
  EXCHANGE_APPLICATION_PERMISSIONS,
  GRAPH_APPLICATION_PERMISSIONS,
  RESOURCE_APP_IDS,
} from "../providers/tenant/permissions";
import {
  APP_CLIENT_ID,
  BROADER_EXCHANGE_ROLES,
  BROADER_GRAPH_ROLES,
  EXCHANGE_SP_OBJECT_ID,
  GENERATED_SECRET,
  GRAPH_SP_OBJECT_ID,
  INITIAL_DOMAIN,
  SP_OBJECT_ID,
  TENANT_ID,
  runBootstrap,
} from "./support/bootstrapProgramMocks";
import { expectNoSecrets } from "./support/secrets";

const APP = "azuread:index/application:Application";
const SP = "azuread:index/servicePrincipal:ServicePrincipal";
const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
const CONSENT = "azuread:index/appRoleAssignment:AppRoleAssignment";
const ROLE = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment";
const COMPONENT = "xtmm:bootstrap:OperatorIdentity";

describe("bootstrap program, client secret", () => {
  let run: Awaited<ReturnType<typeof runBootstrap>>;
  beforeAll(async () => {
    run = await runBootstrap({
      "xtmm-bootstrap:role": "target",
      "xtmm-bootstrap:pairStack": "contoso-fabrikam",
      "xtmm-bootstrap:secretEndDate": "2099-06-30T00:00:00Z",
    });
    expect(run.loadError).toBeUndefined();
    await run.settle();
  });

  test("declares exactly the component, the application, its service principal, one secret, the consents and one role", () => {
    const count = (type: string) => run.registered.filter((r) => r.type === type).length;
    const consents = GRAPH_APPLICATION_PERMISSIONS.length + EXCHANGE_APPLICATION_PERMISSIONS.length;
    expect(count(COMPONENT)).toBe(1);
    expect(count(APP)).toBe(1);
    expect(count(SP)).toBe(1);
    expect(count(PASSWORD)).toBe(1);
    expect(count(CONSENT)).toBe(consents);
    expect(count(ROLE)).toBe(1);
    // Nothing else: no certificate, no Microsoft service principal taken under management, no DirectoryRole.
    expect(
      run.registered
        .map((r) => r.type)
        .filter((t) => ![COMPONENT, APP, SP, PASSWORD, CONSENT, ROLE].includes(t) && !t.startsWith("pulumi:")),
    ).toEqual([]);
    const sps = run.registered.filter((r) => r.type === SP);
    expect(sps[0].inputs.clientId).toBe(APP_CLIENT_ID);
    expect(sps[0].inputs.useExisting).toBeUndefined();
  });

  test("the application is single-tenant and requests exactly the application permissions of permissions.ts", () => {
    const app = run.registered.find((r) => r.type === APP)!;
    expect(app.inputs.displayName).toBe("xtmm operator (target)");
    expect(app.inputs.signInAudience).toBe("AzureADMyOrg");
    // Application permissions only: no delegated scopes, no API of its own, no owners.
    for (const k of ["api", "appRoles", "owners", "web", "publicClient", "identifierUris"])
      expect(app.inputs[k]).toBeUndefined();
    const rra = app.inputs.requiredResourceAccesses as {
      resourceAppId: string;
      resourceAccesses: { id: string; type: string }[];
    }[];
    const requested = rra.flatMap((r) => r.resourceAccesses.map((a) => `${r.resourceAppId} ${a.type} ${a.id}`)).sort();
    const expected = [
      ...GRAPH_APPLICATION_PERMISSIONS.map((p) => `${RESOURCE_APP_IDS.microsoftGraph} Role ${p.id}`),
      ...EXCHANGE_APPLICATION_PERMISSIONS.map((p) => `${RESOURCE_APP_IDS.exchangeOnline} Role ${p.id}`),
    ].sort();
    expect(requested).toEqual(expected);
    expect(new Set(rra.map((r) => r.resourceAppId))).toEqual(
      new Set([RESOURCE_APP_IDS.microsoftGraph, RESOURCE_APP_IDS.exchangeOnline]),
    );
  });

  test("admin consent: one app role assignment per permission, to the operator's service principal, on the right API", () => {
    const consents = run.registered.filter((r) => r.type === CONSENT);
    const granted = consents.map((c) => `${c.inputs.resourceObjectId} ${c.inputs.appRoleId}`).sort();
    const expected = [
      ...GRAPH_APPLICATION_PERMISSIONS.map((p) => `${GRAPH_SP_OBJECT_ID} ${p.id}`),
      ...EXCHANGE_APPLICATION_PERMISSIONS.map((p) => `${EXCHANGE_SP_OBJECT_ID} ${p.id}`),
    ].sort();
    expect(granted).toEqual(expected);
    for (const c of consents) expect(c.inputs.principalObjectId).toBe(SP_OBJECT_ID);
    // Named by API and permission, so a preview reads as the list of grants.
    expect(consents.map((c) => c.name)).toContain("consent/microsoftGraph/User.ReadWrite.All");
    expect(consents.map((c) => c.name)).toContain("consent/exchangeOnline/Exchange.ManageAsApp");
    // The first-party service principals were looked up by their well-known app ids, not created.
    const lookedUp = run.invoked
      .filter((i) => i.token === "azuread:index/getServicePrincipal:getServicePrincipal")
      .map((i) => i.inputs.clientId);
    expect(new Set(lookedUp)).toEqual(new Set([RESOURCE_APP_IDS.microsoftGraph, RESOURCE_APP_IDS.exchangeOnline]));
  });

  test("no broader permission appears anywhere, though the tenant publishes them", () => {
    const everything = JSON.stringify(run.registered.map((r) => r.inputs));
    for (const [value, id] of Object.entries({ ...BROADER_GRAPH_ROLES, ...BROADER_EXCHANGE_ROLES })) {
      expect({ value, found: everything.includes(id) }).toEqual({ value, found: false });
    }
    expect(everything).not.toContain("19dbc75e-c2e2-444c-a770-ec69d8559fc7"); // Directory.ReadWrite.All, spelled out
  });

  test("the operator's service principal holds the Exchange Administrator role, tenant-wide, and no other", () => {
    const roles = run.registered.filter((r) => r.type === ROLE);
    expect(roles).toHaveLength(1);
    expect(roles[0].inputs).toEqual({
      roleId: EXCHANGE_ADMIN_ROLE.templateId,
      principalObjectId: SP_OBJECT_ID,
      directoryScopeId: "/",
    });
  });

  test("the client secret expires when configured and is kept encrypted in state", () => {
    const pw = run.registered.find((r) => r.type === PASSWORD)!;
    expect(pw.inputs.endDate).toBe("2099-06-30T00:00:00Z");
    expect(pw.inputs.applicationId).toBe("/applications/aaaaaaaa-0000-4000-8000-000000000002");
    expect(pw.additionalSecretOutputs).toContain("value");
  });

  test("outputs are exactly the target tenant's settings of the main stack, the secret as a secret", async () => {
    const { program, outputOf, isSecret } = run;
    expect(Object.keys(program).sort()).toEqual([
      "auth",
      "clientId",
      "clientSecret",
      "configCommands",
      "domain",
      "role",
      "tenantId",
    ]);
    expect(await outputOf(program.role)).toBe("target");
    expect(await outputOf(program.tenantId)).toBe(TENANT_ID);
    expect(await outputOf(program.domain)).toBe(INITIAL_DOMAIN);
    expect(await outputOf(program.clientId)).toBe(APP_CLIENT_ID);
    expect(await outputOf(program.auth)).toBe("clientSecret");
    expect(await outputOf(program.clientSecret)).toBe(GENERATED_SECRET);
    expect(await isSecret(program.clientSecret)).toBe(true);
    expect(await isSecret(program.clientId)).toBe(false);
  });

  test("the copy commands set every key of the role, and pipe the secret instead of printing it", async () => {
    const { program, outputOf, isSecret } = run;
    const commands = (await outputOf<string>(program.configCommands)).split("\n");
    expect(await isSecret(program.configCommands)).toBe(false);
    expect(commands).toEqual([
      `pulumi config set --stack contoso-fabrikam xtmm:targetTenantId ${TENANT_ID}`,
      `pulumi config set --stack contoso-fabrikam xtmm:targetDomain ${INITIAL_DOMAIN}`,
      `pulumi config set --stack contoso-fabrikam xtmm:targetClientId ${APP_CLIENT_ID}`,
      "pulumi config set --stack contoso-fabrikam xtmm:targetAuth clientSecret",
      "pulumi stack output --cwd stacks/bootstrap --stack fabrikam-operator --show-secrets clientSecret | tr -d '\\n' | " +
        "pulumi config set --stack contoso-fabrikam --secret xtmm:targetClientSecret",
    ]);
    expectNoSecrets(commands.join("\n"), [GENERATED_SECRET], "the printed commands");
  });

  test("everything is parented under the one OperatorIdentity component", () => {
    const urns = run.urns();
    const component = urns.filter((u) => u.endsWith(`::${COMPONENT}::operator-target`));
    expect(component).toHaveLength(1);
    // The mock monitor puts the immediate parent's type in a child's URN.
    const children = urns.filter((u) => !component.includes(u));
    expect(children).toHaveLength(run.registered.length - 1);
    for (const urn of children) expect(urn).toContain(`::${COMPONENT}$azuread:`);
  });
});
