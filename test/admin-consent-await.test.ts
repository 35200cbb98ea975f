// AdminConsent in split-administration mode ("await") through Pulumi's real dynamic-provider host: nothing
// is written to the tenant; the up waits, bounded, for another administrator's consent, showing the consent
// URL, and fails with it when the wait runs out. Also: an operator with read-only Graph permissions can
// wait, and refresh in await mode reports revoked consent like grant mode does.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator, tenantOf } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import { Engine, declareResource } from "../harness/engine";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { AdminConsent, type AdminConsentArgs } from "../providers/adminConsent";
import { adminConsentUrl, customCloud } from "../providers/tenant/clouds";
import {
  assignmentsOf,
  consentAsAdministrator,
  graphWrites,
  registerMultiTenantApp,
  servicePrincipals,
} from "./support/consentDirectory";

const emulator = useEmulator();
const providerHost = useProviderHost(emulator);

let host: ProviderHost;

const declare = (name: string, args: AdminConsentArgs) => declareResource(() => new AdminConsent(name, args));
const sourceName = (appId: string) =>
  `AdminConsent for app ${appId} in tenant ${emulator().tenants.source.tenantId} (source)`;
const sourceConsentUrl = (appId: string) =>
  adminConsentUrl(
    customCloud({
      login: emulator().endpoints.login,
      graph: emulator().endpoints.graph,
      exchange: emulator().endpoints.exchange,
    }),
    emulator().tenants.source.domain,
    appId,
  );

beforeAll(async () => {
  host = providerHost();
});

test("the up waits, writing nothing, until a source administrator consents during the wait", async () => {
  const appId = await registerMultiTenantApp(emulator(), "xtmm awaited app");
  const consentUrl = `https://login.microsoftonline.com/${emulator().tenants.source.domain}/adminconsent?client_id=${appId}&redirect_uri=https://office.com`;
  const r = await declare("consent/source-awaited", {
    tenant: "source",
    appId,
    mode: "await",
    awaitTimeoutSeconds: 30,
    consentUrl,
  });
  const engine = new Engine(host);
  const mark = emulator().requests.length;
  const started = Date.now();
  const up = engine.up(r);

  await host.waitForOutput(`${sourceName(appId)}: waiting up to`, 15_000);
  await host.waitForOutput(consentUrl, 5_000);
  expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(0);
  // The source administrator consents through Graph while the up is polling.
  const given = await consentAsAdministrator(emulator(), "source", appId);

  const { op, state } = await up;
  expect(op).toBe("create");
  expect(Date.now() - started).toBeLessThan(20_000);
  const held = assignmentsOf(emulator(), "source", appId);
  expect(state.outputs).toMatchObject({
    mode: "await",
    servicePrincipalId: given.spId,
    createdServicePrincipal: false,
    assignmentIds: [],
    grantedRoles: ["Mailbox.Migration"],
    consentedAt: held[0].createdDateTime,
  });
  // The only writes in the window are the administrator's own two.
  expect(
    graphWrites(emulator(), mark).map(
      (w) => `${w.method} ${w.path.replace(/\/[^/]+\/appRoleAssignedTo$/, "/{id}/appRoleAssignedTo")}`,
    ),
  ).toEqual(["POST /v1.0/servicePrincipals", "POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo"]);

  const quiet = emulator().requests.length;
  expect((await engine.up(r)).op).toBe("same");
  await engine.destroy(r);
  expect(graphWrites(emulator(), quiet)).toEqual([]);
  expect(servicePrincipals(emulator(), "source", appId).map((s) => s.id)).toEqual([given.spId]);
  expect(assignmentsOf(emulator(), "source", appId).map((a) => a.id)).toEqual([given.assignmentId]);
});

test("when nobody consents the up fails after the bounded wait, with the consent URL in the message", async () => {
  const appId = await registerMultiTenantApp(emulator(), "xtmm never-consented app");
  const r = await declare("consent/source-never", { tenant: "source", appId, mode: "await", awaitTimeoutSeconds: 2 });
  const mark = emulator().requests.length;
  const started = Date.now();
  const err = await new Engine(host).up(r).catch((x) => x);
  const took = Date.now() - started;
  expect(err).toBeInstanceOf(Error);
  // No consentUrl input: the link is built from the stack's source tenant and cloud.
  expect(err.message).toContain(`${sourceName(appId)}: no admin consent after waiting 2 s (mode "await")`);
  expect(err.message).toContain(sourceConsentUrl(appId));
  expect(err.message).toContain("Missing: the app's service principal, Mailbox.Migration");
  expect(took).toBeGreaterThanOrEqual(2_000);
  expect(took).toBeLessThan(8_000);
  expect(graphWrites(emulator(), mark)).toEqual([]);
  expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(0);
});

test("an operator with read-only Graph permissions can wait; revoked consent is drift on refresh", async () => {
  const appId = await registerMultiTenantApp(emulator(), "xtmm read-only wait app");
  await consentAsAdministrator(emulator(), "source", appId);
  const t = tenantOf(emulator(), "source");
  const graphSp = [...t.directory.servicePrincipals.values()].find(
    (s) => s.obj.appId === "00000003-0000-0000-c000-000000000000",
  )!;
  const writeRoles = ["1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "06b708a9-e830-4db3-a914-8e69da51d44f"]; // Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All
  const removed = [...t.directory.appRoleAssignments.entries()].filter(
    ([, a]) => a.obj.principalId === t.operator.servicePrincipalId && writeRoles.includes(String(a.obj.appRoleId)),
  );
  expect(removed).toHaveLength(2);
  for (const [k] of removed) t.directory.appRoleAssignments.delete(k);
  const readOnlyId = "read-only-operator-grant";
  t.directory.appRoleAssignments.set(readOnlyId, {
    obj: {
      id: readOnlyId,
      appRoleId: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
      principalId: t.operator.servicePrincipalId,
      resourceId: graphSp.obj.id,
      principalType: "ServicePrincipal",
      createdDateTime: new Date().toISOString(),
      deletedDateTime: null,
    },
    meta: { createdAt: Date.now() - 60_000, visibleAt: 0 },
  });
  try {
    // Stopping the host checks that neither tenant's secret reached its console.
    await withProviderHost(emulator(), {}, async (other) => {
      const engine = new Engine(other);
      const r = await declare("consent/source-read-only", {
        tenant: "source",
        appId,
        mode: "await",
        awaitTimeoutSeconds: 5,
      });
      const { state } = await engine.up(r);
      expect(state.outputs).toMatchObject({
        createdServicePrincipal: false,
        assignmentIds: [],
        grantedRoles: ["Mailbox.Migration"],
      });

      t.directory.appRoleAssignments.delete(String(assignmentsOf(emulator(), "source", appId)[0].id));
      const refreshed = await engine.refresh(r);
      expect(refreshed.op).toBe("drift");
      expect(refreshed.state?.outputs).toMatchObject({ grantedRoles: [], consentedAt: null });
      expect((await engine.preview(r)).op).toBe("update");
      // Nothing of ours to remove: destroy writes nothing, so read-only permissions suffice.
      const mark = emulator().requests.length;
      await engine.destroy(r);
      expect(graphWrites(emulator(), mark)).toEqual([]);
    });
  } finally {
    t.directory.appRoleAssignments.delete(readOnlyId);
    for (const [k, a] of removed) t.directory.appRoleAssignments.set(k, a);
  }
});
