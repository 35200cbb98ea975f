// The tenant a resource lives in is its input `tenantId`, for the six kinds that live in one tenant of the
// pair: check records it (the program's value, or the configured one when the program gives none), refuses
// one that is not the configured tenant's, and diff plans the replacement from the inputs alone, reading no
// configuration. Offline: the provider host, configured with made-up tenant ids, never calls a tenant.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import type { ProviderHost } from "../harness/providerHost";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { declareResource, type DeclaredResource } from "../harness/engine";
import { AdminConsent } from "../providers/adminConsent";
import { MigrationApp } from "../providers/migrationApp";
import { MigrationEndpoint } from "../providers/migrationEndpoint";
import { OrganizationCustomization } from "../providers/organizationCustomization";
import { OrganizationRelationship } from "../providers/organizationRelationship";
import { ScopingGroup } from "../providers/scopingGroup";

const SOURCE = "aaaaaaaa-1111-4111-8111-111111111111";
const TARGET = "bbbbbbbb-2222-4222-8222-222222222222";
const OTHER = "cccccccc-3333-4333-8333-333333333333";
const APP = "dddddddd-4444-4444-8444-444444444444";

const CONFIG = {
  "xtmm:cloud": "worldwide",
  "xtmm:sourceTenantId": SOURCE,
  "xtmm:sourceDomain": "fabrikam.onmicrosoft.com",
  "xtmm:targetTenantId": TARGET,
  "xtmm:targetDomain": "contoso.onmicrosoft.com",
  "xtmm:targetClientId": APP,
  "xtmm:targetClientSecret": "not-a-real-secret-for-check",
};

interface Kind {
  name: string;
  tenantId: string;
  make: (tenantId?: string) => Promise<DeclaredResource>;
}

const own = (tenantId?: string) => (tenantId === undefined ? {} : { tenantId });
const KINDS: Kind[] = [
  {
    name: "OrganizationCustomization",
    tenantId: TARGET,
    make: (t) => declareResource(() => new OrganizationCustomization("org", { tenant: "target", ...own(t) })),
  },
  {
    name: "AdminConsent",
    tenantId: SOURCE,
    make: (t) => declareResource(() => new AdminConsent("consent", { tenant: "source", ...own(t), appId: APP })),
  },
  {
    name: "MigrationApp",
    tenantId: TARGET,
    make: (t) => declareResource(() => new MigrationApp("app", { displayName: "Migration", ...own(t) })),
  },
  {
    name: "OrganizationRelationship",
    tenantId: TARGET,
    make: (t) =>
      declareResource(
        () =>
          new OrganizationRelationship("rel", {
            tenant: "target",
            ...own(t),
            partnerTenantId: SOURCE,
            name: "Fabrikam",
            capabilities: ["Inbound"],
          }),
      ),
  },
  {
    name: "MigrationEndpoint",
    tenantId: TARGET,
    make: (t) =>
      declareResource(
        () =>
          new MigrationEndpoint("endpoint", {
            ...own(t),
            name: "xtmm-source",
            appId: APP,
            clientSecret: "not-a-real-client-secret",
            secretKeyId: "eeeeeeee-5555-4555-8555-555555555555",
            remoteTenant: "fabrikam.onmicrosoft.com",
          }),
      ),
  },
  {
    name: "ScopingGroup",
    tenantId: SOURCE,
    make: (t) =>
      declareResource(() => new ScopingGroup("group", { tenant: "source", ...own(t), name: "Movers", members: [] })),
  },
];

const providerHost = useProviderHost({ stackConfig: CONFIG });
let host: ProviderHost;
beforeAll(() => {
  host = providerHost();
});

const urnOf = (r: DeclaredResource) => `urn:pulumi:test::xtmm::${r.type}::${r.name}`;

describe.each(KINDS)("$name", (kind) => {
  test("check records the configured tenant when the program gives none, and the program's (lower-cased) when it does", async () => {
    const without = await kind.make();
    expect(without.inputs.tenantId).toBeUndefined();
    const filled = await host.check(urnOf(without), {}, without.inputs);
    expect(filled.failures).toEqual([]);
    expect(filled.inputs.tenantId).toBe(kind.tenantId);

    const given = await kind.make(kind.tenantId.toUpperCase());
    const checked = await host.check(urnOf(given), {}, given.inputs);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.tenantId).toBe(kind.tenantId);
  });

  test("check refuses a tenant id that is not a GUID, or not the tenant the provider would call, naming tenantId", async () => {
    const bad = await kind.make("contoso.onmicrosoft.com");
    const notGuid = await host.check(urnOf(bad), {}, bad.inputs);
    expect(notGuid.failures).toEqual([{ property: "tenantId", reason: expect.stringContaining("a GUID") }]);

    const other = await kind.make(OTHER);
    const mismatch = await host.check(urnOf(other), {}, other.inputs);
    expect(mismatch.failures).toEqual([
      {
        property: "tenantId",
        reason: expect.stringContaining(
          `the stack's ${kind.tenantId === SOURCE ? "source" : "target"}TenantId is ${kind.tenantId}`,
        ),
      },
    ]);
  });

  test("diff replaces the object when the input names another tenant than the one it was made in", async () => {
    const r = await kind.make(kind.tenantId);
    const news = (await host.check(urnOf(r), {}, r.inputs)).inputs;
    const diff = await host.diff(urnOf(r), "id", { ...news, tenantId: OTHER }, news);
    expect(diff.changes).toBe("some");
    expect(diff.replaces).toContain("tenantId");
  });
});

test("diff reads no configuration: a host never configured still plans the replacement", async () => {
  await withProviderHost(undefined, { stackConfig: null }, async (unconfigured) => {
    const r = await KINDS[0].make(TARGET);
    const diff = await unconfigured.diff(
      urnOf(r),
      "id",
      { ...r.inputs, tenantId: OTHER, isDehydrated: false },
      r.inputs,
    );
    expect(diff).toEqual({ changes: "some", replaces: ["tenantId"], deleteBeforeReplace: false });
  });
});
