// AdminConsent through the engine's lifecycle in Pulumi's real dynamic-provider host, against the emulated
// pair: consent in the app's own tenant (target) and across tenants (source, where the service principal is
// created as the consent URL would); a no-op second up; consent revoked by hand, seen by refresh and
// restored by up; an administrator's earlier consent adopted and left in place; destroy leaving the tenants
// as they were; and faults: a lost response, a 429 storm, replication delay, a role the resource lacks and a
// permission the operator lacks. Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator, tenantOf } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import { CheckFailedError, Engine, declareResource, withUnknowns, type DeclaredResource } from "../harness/engine";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { AdminConsent, type AdminConsentArgs } from "../providers/adminConsent";
import {
  MAILBOX_MIGRATION_ID,
  adminGraph,
  assignmentsOf,
  consentAsAdministrator,
  directorySnapshot,
  exchangeSpId,
  graphRequests,
  graphWrites,
  registerMultiTenantApp,
  servicePrincipals,
} from "./support/consentDirectory";

const emulator = useEmulator();
const providerHost = useProviderHost(emulator);

let host: ProviderHost;

const declare = (name: string, args: AdminConsentArgs) => declareResource(() => new AdminConsent(name, args));
// Object ids are GUIDs; assignment ids are Graph's base64url strings.
const writes = (mark: number) =>
  graphWrites(emulator(), mark).map(
    (r) =>
      `${r.method} ${r.path.replace(/[0-9a-f-]{36}/gi, "{id}").replace(/appRoleAssignedTo\/[^/]+$/, "appRoleAssignedTo/{id}")} ${r.status}`,
  );

beforeAll(async () => {
  host = providerHost();
});

describe("check", () => {
  test("rejects bad input offline, naming each property and the fix", async () => {
    const r = await declare("consent/bad", { tenant: "target", appId: "00000000-0000-0000-0000-000000000001" });
    const bad = {
      ...r,
      inputs: {
        ...r.inputs,
        tenant: "both",
        appId: "not-a-guid",
        resourceAppId: "exchange",
        roles: ["Mailbox.Migration", "", "Mailbox Migration", "mailbox.migration", 7, "Mailbox.Migration"],
        mode: "sometimes",
        awaitTimeoutSeconds: -5,
        consentUrl: "http://login.example/adminconsent",
        role: "Mailbox.Migration",
      },
    };
    const mark = emulator().requests.length;
    const err = await new Engine(host).preview(bad).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    const reasons = Object.fromEntries((err as CheckFailedError).failures.map((f) => [f.property, f.reason]));
    expect(Object.keys(reasons).sort()).toEqual(
      [
        "appId",
        "awaitTimeoutSeconds",
        "consentUrl",
        "mode",
        "resourceAppId",
        "role",
        "roles[1]",
        "roles[2]",
        "roles[3]",
        "roles[4]",
        "roles[5]",
        "tenant",
      ].sort(),
    );
    expect(reasons.tenant).toMatch(/"source" or "target"/);
    expect(reasons.appId).toMatch(/GUID/);
    expect(reasons["roles[2]"]).toMatch(/value, not its display name/);
    expect(reasons["roles[3]"]).toMatch(/write "Mailbox\.Migration"/);
    expect(reasons["roles[5]"]).toMatch(/listed twice/);
    expect(reasons.role).toMatch(/not an input of AdminConsent/);
    expect(reasons.awaitTimeoutSeconds).toMatch(/positive number of seconds/);
    expect(emulator().requests.length).toBe(mark);
  });

  test("an empty role list and an over-long wait are refused; unknown values pass", async () => {
    const r = await declare("consent/odd", { tenant: "source", appId: "00000000-0000-0000-0000-000000000001" });
    const err = await new Engine(host)
      .preview({ ...r, inputs: { ...r.inputs, roles: [], awaitTimeoutSeconds: 7 * 86400 } })
      .catch((e) => e);
    expect((err as CheckFailedError).failures.map((f) => f.property).sort()).toEqual(["awaitTimeoutSeconds", "roles"]);
    expect((await new Engine(host).preview(withUnknowns(r, "appId", "tenant", "roles"))).op).toBe("create");
  });
});

describe("lifecycle", () => {
  const engine = () => lifecycle.engine;
  const lifecycle = {} as {
    engine: Engine;
    appId: string;
    target: DeclaredResource;
    source: DeclaredResource;
    before: Record<"source" | "target", ReturnType<typeof directorySnapshot>>;
  };

  beforeAll(async () => {
    lifecycle.engine = new Engine(host);
    lifecycle.appId = await registerMultiTenantApp(emulator(), "xtmm lifecycle app");
    lifecycle.before = {
      source: directorySnapshot(emulator(), "source"),
      target: directorySnapshot(emulator(), "target"),
    };
    lifecycle.target = await declare("consent/target", { tenant: "target", appId: lifecycle.appId });
    lifecycle.source = await declare("consent/source", { tenant: "source", appId: lifecycle.appId });
  });

  test("preview plans two creates and sends nothing to Microsoft", async () => {
    const mark = emulator().requests.length;
    expect((await engine().preview(lifecycle.target)).op).toBe("create");
    expect((await engine().preview(withUnknowns(lifecycle.source, "appId"))).op).toBe("create");
    expect(emulator().requests.length).toBe(mark);
  });

  test("up in the app's own tenant adopts its service principal and grants Mailbox.Migration", async () => {
    const mark = emulator().requests.length;
    const { op, state } = await engine().up(lifecycle.target);
    expect(op).toBe("create");
    const sp = servicePrincipals(emulator(), "target", lifecycle.appId);
    expect(sp).toHaveLength(1);
    const held = assignmentsOf(emulator(), "target", lifecycle.appId);
    expect(held.map((a) => [a.appRoleId, a.resourceId])).toEqual([
      [MAILBOX_MIGRATION_ID, exchangeSpId(emulator(), "target")],
    ]);
    expect(state.id).toBe(
      `${emulator().tenants.target.tenantId}/${lifecycle.appId}/00000002-0000-0ff1-ce00-000000000000`.toLowerCase(),
    );
    expect(state.outputs).toMatchObject({
      tenant: "target",
      tenantId: emulator().tenants.target.tenantId,
      servicePrincipalId: sp[0].id,
      resourceServicePrincipalId: exchangeSpId(emulator(), "target"),
      createdServicePrincipal: false,
      assignmentIds: [held[0].id],
      grantedRoles: ["Mailbox.Migration"],
      consentedAt: held[0].createdDateTime,
      roles: ["Mailbox.Migration"],
      mode: "grant",
    });
    expect(writes(mark)).toEqual(["POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo 201"]);
  });

  test("up in the source creates the app's service principal there, as the consent URL would", async () => {
    expect(servicePrincipals(emulator(), "source", lifecycle.appId)).toHaveLength(0);
    const mark = emulator().requests.length;
    const { state } = await engine().up(lifecycle.source);
    const sp = servicePrincipals(emulator(), "source", lifecycle.appId);
    expect(sp).toHaveLength(1);
    expect(sp[0].appOwnerOrganizationId).toBe(emulator().tenants.target.tenantId);
    const held = assignmentsOf(emulator(), "source", lifecycle.appId);
    expect(held).toHaveLength(1);
    expect(state.outputs).toMatchObject({
      createdServicePrincipal: true,
      servicePrincipalId: sp[0].id,
      assignmentIds: [held[0].id],
      consentedAt: held[0].createdDateTime,
    });
    expect(Date.parse(String(state.outputs.consentedAt))).toBeGreaterThan(Date.now() - 60_000);
    expect(writes(mark)).toEqual([
      "POST /v1.0/servicePrincipals 201",
      "POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo 201",
    ]);
  });

  test("a second preview and up find nothing to change and send nothing", async () => {
    const mark = emulator().requests.length;
    expect((await engine().preview(lifecycle.source)).op).toBe("same");
    expect((await engine().up(lifecycle.target)).op).toBe("same");
    expect((await engine().up(lifecycle.source)).op).toBe("same");
    expect(emulator().requests.length).toBe(mark);
  });

  test("refresh finds the tenant unchanged without writing", async () => {
    const mark = emulator().requests.length;
    expect((await engine().refresh(lifecycle.target)).op).toBe("same");
    expect((await engine().refresh(lifecycle.source)).op).toBe("same");
    expect(graphRequests(emulator(), mark).length).toBeGreaterThan(0);
    expect(writes(mark)).toEqual([]);
  });

  test("consent revoked in the portal shows as drift on refresh and the next up restores it", async () => {
    const revoked = String(assignmentsOf(emulator(), "source", lifecycle.appId)[0].id);
    tenantOf(emulator(), "source").directory.appRoleAssignments.delete(revoked);

    const refreshed = await engine().refresh(lifecycle.source);
    expect(refreshed.op).toBe("drift");
    expect(refreshed.state?.outputs).toMatchObject({
      grantedRoles: [],
      assignmentIds: [],
      consentedAt: null,
      createdServicePrincipal: true,
    });
    expect((await engine().preview(lifecycle.source)).op).toBe("update");

    const mark = emulator().requests.length;
    const { op, state } = await engine().up(lifecycle.source);
    expect(op).toBe("update");
    const held = assignmentsOf(emulator(), "source", lifecycle.appId);
    expect(held).toHaveLength(1);
    expect(held[0].id).not.toBe(revoked);
    expect(state.outputs).toMatchObject({
      assignmentIds: [held[0].id],
      grantedRoles: ["Mailbox.Migration"],
      createdServicePrincipal: true,
    });
    expect(writes(mark)).toEqual(["POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo 201"]);
    expect((await engine().up(lifecycle.source)).op).toBe("same");
  });

  test("a service principal deleted by hand is drift too, and up makes it again", async () => {
    const spId = String(servicePrincipals(emulator(), "source", lifecycle.appId)[0].id);
    const d = tenantOf(emulator(), "source").directory;
    for (const [k, a] of d.appRoleAssignments) if (a.obj.principalId === spId) d.appRoleAssignments.delete(k);
    d.servicePrincipals.delete(spId);

    const refreshed = await engine().refresh(lifecycle.source);
    expect(refreshed.op).toBe("drift");
    expect(refreshed.state?.outputs).toMatchObject({ servicePrincipalId: "", grantedRoles: [] });
    const { op, state } = await engine().up(lifecycle.source);
    expect(op).toBe("update");
    const sp = servicePrincipals(emulator(), "source", lifecycle.appId);
    expect(sp).toHaveLength(1);
    expect(state.outputs).toMatchObject({
      servicePrincipalId: sp[0].id,
      createdServicePrincipal: true,
      grantedRoles: ["Mailbox.Migration"],
    });
  });

  test("destroy removes what the stack made and leaves both tenants as they were", async () => {
    const mark = emulator().requests.length;
    await engine().destroy(lifecycle.source);
    await engine().destroy(lifecycle.target);
    expect(engine().states.size).toBe(0);
    expect(directorySnapshot(emulator(), "source")).toEqual(lifecycle.before.source);
    expect(directorySnapshot(emulator(), "target")).toEqual(lifecycle.before.target);
    // The app's own service principal in the target was MigrationApp's, not ours: it stays.
    expect(servicePrincipals(emulator(), "target", lifecycle.appId)).toHaveLength(1);
    expect(writes(mark)).toEqual([
      "DELETE /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{id} 204",
      "DELETE /v1.0/servicePrincipals/{id} 204",
      "DELETE /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{id} 204",
    ]);
  });

  test("destroying again after the objects are gone succeeds", async () => {
    const r = await declare("consent/twice", { tenant: "source", appId: lifecycle.appId });
    const e = new Engine(host);
    const { state } = await e.up(r);
    const d = tenantOf(emulator(), "source").directory;
    d.appRoleAssignments.delete(String((state.outputs.assignmentIds as string[])[0]));
    d.servicePrincipals.delete(String(state.outputs.servicePrincipalId));
    await e.destroy(r);
    expect(servicePrincipals(emulator(), "source", lifecycle.appId)).toHaveLength(0);
  });
});

describe("updates", () => {
  test("changing roles converges in place: the new role is granted, only our assignment of a dropped role goes", async () => {
    const appId = await registerMultiTenantApp(emulator(), "xtmm roles app");
    const e = new Engine(host);
    const first = await declare("consent/target-roles", {
      tenant: "target",
      appId,
      roles: ["Mailbox.Migration", "full_access_as_app"],
    });
    // The serialized provider is the small shim, whatever this resource does.
    expect(String(first.inputs.__provider).length).toBeLessThan(4_000);
    const created = await e.up(first);
    expect(created.state.outputs.grantedRoles).toEqual(["Mailbox.Migration", "full_access_as_app"]);
    expect(created.state.outputs.assignmentIds).toHaveLength(2);

    const second = await declare("consent/target-roles", { tenant: "target", appId, roles: ["Mailbox.Migration"] });
    const mark = emulator().requests.length;
    const { op, state } = await e.up(second);
    expect(op).toBe("update");
    expect(state.outputs).toMatchObject({ roles: ["Mailbox.Migration"], grantedRoles: ["Mailbox.Migration"] });
    expect(state.outputs.assignmentIds).toHaveLength(1);
    expect(assignmentsOf(emulator(), "target", appId).map((a) => a.appRoleId)).toEqual([MAILBOX_MIGRATION_ID]);
    expect(writes(mark)).toEqual(["DELETE /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{id} 204"]);
    expect((await e.up(second)).op).toBe("same");
    await e.destroy(second);
    expect(assignmentsOf(emulator(), "target", appId)).toEqual([]);
  });
});

describe("adoption", () => {
  test("a consent an administrator gave through the URL earlier is adopted, not repeated, and kept after destroy", async () => {
    const appId = await registerMultiTenantApp(emulator(), "xtmm consented app");
    const given = await consentAsAdministrator(emulator(), "source", appId);
    const r = await declare("consent/source-adopted", { tenant: "source", appId });
    const e = new Engine(host);
    const mark = emulator().requests.length;
    const { state } = await e.up(r);
    expect(state.outputs).toMatchObject({
      servicePrincipalId: given.spId,
      createdServicePrincipal: false,
      assignmentIds: [],
      grantedRoles: ["Mailbox.Migration"],
    });
    expect(state.outputs.consentedAt).toBe(assignmentsOf(emulator(), "source", appId)[0].createdDateTime);
    expect(writes(mark)).toEqual([]);

    await e.destroy(r);
    expect(writes(mark)).toEqual([]);
    expect(servicePrincipals(emulator(), "source", appId).map((s) => s.id)).toEqual([given.spId]);
    expect(assignmentsOf(emulator(), "source", appId).map((a) => a.id)).toEqual([given.assignmentId]);
  });

  test("a service principal without consent is adopted; destroy removes only our assignment", async () => {
    const appId = await registerMultiTenantApp(emulator(), "xtmm half-consented app");
    const g = await adminGraph(emulator(), "source");
    const sp = await g.api("/servicePrincipals").post({ appId });
    const r = await declare("consent/source-half", { tenant: "source", appId });
    const e = new Engine(host);
    const { state } = await e.up(r);
    expect(state.outputs).toMatchObject({
      servicePrincipalId: sp.id,
      createdServicePrincipal: false,
      grantedRoles: ["Mailbox.Migration"],
    });
    expect(state.outputs.assignmentIds).toHaveLength(1);
    await e.destroy(r);
    expect(servicePrincipals(emulator(), "source", appId).map((s) => s.id)).toEqual([sp.id]);
    expect(assignmentsOf(emulator(), "source", appId)).toEqual([]);
  });
});

describe("faults", () => {
  afterEach(() => emulator().setFaults({ replicationMs: 0, retryAfterSeconds: 1 }));

  test("a lost response after the service principal was created makes no second one", async () => {
    const appId = await registerMultiTenantApp(emulator(), "xtmm lost-sp app");
    const r = await declare("consent/source-lost-sp", { tenant: "source", appId });
    emulator().inject({ surface: "graph", method: "POST", path: /^\/v1\.0\/servicePrincipals$/, fault: "lost" });
    const e = new Engine(host);
    const mark = emulator().requests.length;
    const { state } = await e.up(r);
    const sp = servicePrincipals(emulator(), "source", appId);
    expect(sp).toHaveLength(1);
    const posts = graphWrites(emulator(), mark).filter((w) => w.path === "/v1.0/servicePrincipals");
    expect(posts.map((p) => p.fault)).toEqual(["lost"]);
    // It was our POST that made it, so it is ours to delete.
    expect(state.outputs).toMatchObject({
      servicePrincipalId: sp[0].id,
      createdServicePrincipal: true,
      grantedRoles: ["Mailbox.Migration"],
    });
    await e.destroy(r);
    expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(0);
  });

  test("a lost response after an assignment was made neither duplicates nor disowns it", async () => {
    const appId = await registerMultiTenantApp(emulator(), "xtmm lost-assignment app");
    const r = await declare("consent/target-lost-assignment", { tenant: "target", appId });
    emulator().inject({ surface: "graph", method: "POST", path: /appRoleAssignedTo$/, fault: "lost" });
    const e = new Engine(host);
    const { state } = await e.up(r);
    const held = assignmentsOf(emulator(), "target", appId);
    expect(held).toHaveLength(1);
    expect(state.outputs.assignmentIds).toEqual([held[0].id]);
    await e.destroy(r);
    expect(assignmentsOf(emulator(), "target", appId)).toEqual([]);
  });

  test("a storm of 429s is waited out", async () => {
    const appId = await registerMultiTenantApp(emulator(), "xtmm throttled app");
    const r = await declare("consent/source-throttled", { tenant: "source", appId });
    emulator().inject({ surface: "graph", fault: "throttle", times: 4 });
    const mark = emulator().requests.length;
    const { state } = await new Engine(host).up(r);
    expect(state.outputs).toMatchObject({ createdServicePrincipal: true, grantedRoles: ["Mailbox.Migration"] });
    expect(graphRequests(emulator(), mark).filter((q) => q.status === 429)).toHaveLength(4);
    expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(1);
    expect(assignmentsOf(emulator(), "source", appId)).toHaveLength(1);
  });

  test("a new service principal not yet visible to the assignment is waited for", async () => {
    const appId = await registerMultiTenantApp(emulator(), "xtmm replicating app");
    const r = await declare("consent/source-replicating", { tenant: "source", appId });
    emulator().setFaults({ replicationMs: 1500 });
    const mark = emulator().requests.length;
    const { state } = await new Engine(host).up(r);
    expect(state.outputs).toMatchObject({ createdServicePrincipal: true, grantedRoles: ["Mailbox.Migration"] });
    const assigns = graphWrites(emulator(), mark)
      .filter((w) => /appRoleAssignedTo$/.test(w.path))
      .map((w) => w.status);
    expect(assigns[0]).toBe(404);
    expect(assigns[assigns.length - 1]).toBe(201);
    expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(1);
  });

  test("a role the resource does not publish fails before any write, naming the role and the resource", async () => {
    const appId = await registerMultiTenantApp(emulator(), "xtmm wrong-role app");
    const r = await declare("consent/source-wrong-role", { tenant: "source", appId, roles: ["Mailbox.Migrate"] });
    const mark = emulator().requests.length;
    const err = await new Engine(host).up(r).catch((x) => x);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(
      '"Mailbox.Migrate" is not an application permission of Office 365 Exchange Online (appId 00000002-0000-0ff1-ce00-000000000000)',
    );
    expect(err.message).toContain("Mailbox.Migration");
    expect(writes(mark)).toEqual([]);
  });

  test("an operator without AppRoleAssignment.ReadWrite.All is told so, and the attempt leaves nothing behind", async () => {
    const appId = await registerMultiTenantApp(emulator(), "xtmm unpermitted app");
    const r = await declare("consent/source-unpermitted", { tenant: "source", appId });
    const t = tenantOf(emulator(), "source");
    const removed = [...t.directory.appRoleAssignments.entries()].filter(
      ([, a]) =>
        a.obj.principalId === t.operator.servicePrincipalId &&
        a.obj.appRoleId === "06b708a9-e830-4db3-a914-8e69da51d44f",
    );
    expect(removed).toHaveLength(1);
    for (const [k] of removed) t.directory.appRoleAssignments.delete(k);
    // A fresh host, so its token is issued without the permission.
    try {
      // Stopping the host checks that neither tenant's secret reached its console.
      await withProviderHost(emulator(), {}, async (other) => {
        const err = await new Engine(other).up(r).catch((x) => x);
        expect(err).toBeInstanceOf(Error);
        expect(err.message).toMatch(/AdminConsent for app .* in tenant .* \(source\): assigning Mailbox\.Migration/);
        expect(err.message).toContain("AppRoleAssignment.ReadWrite.All");
        expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(0);
      });
    } finally {
      for (const [k, a] of removed) t.directory.appRoleAssignments.set(k, a);
    }
  });
});
