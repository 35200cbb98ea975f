// AdminConsent under Entra's eventual consistency and lost answers, each case made deterministic with the
// emulator's replication delay and targeted one-shot faults: a refresh right after a grant sees the grant;
// a lost assignment answer while the new service principal still replicates; a failed attempt whose service
// principal could not be undone is known as ours by the next up (its tag) and removed by destroy; an undo
// that meets a principal not yet visible waits for it instead of taking the 404 for "gone".
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator, tenantOf } from "./support/emulator";
import { Engine, declareResource } from "../harness/engine";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { AdminConsent, type AdminConsentArgs } from "../providers/adminConsent";
import { assignmentsOf, graphWrites, registerMultiTenantApp, servicePrincipals } from "./support/consentDirectory";

const emulator = useEmulator();
const providerHost = useProviderHost(emulator);
const declare = (name: string, args: AdminConsentArgs) => declareResource(() => new AdminConsent(name, args));
const APP_ROLE_ASSIGNMENT_RW = "06b708a9-e830-4db3-a914-8e69da51d44f";

afterEach(() => emulator().setFaults({ replicationMs: 0, retryAfterSeconds: 1 }));

/** Runs `fn` with a fresh host whose token lacks AppRoleAssignment.ReadWrite.All in the source tenant. */
async function withoutAssignmentPermission(fn: (engine: Engine) => Promise<void>): Promise<void> {
  const t = tenantOf(emulator(), "source");
  const removed = [...t.directory.appRoleAssignments.entries()].filter(
    ([, a]) => a.obj.principalId === t.operator.servicePrincipalId && a.obj.appRoleId === APP_ROLE_ASSIGNMENT_RW,
  );
  expect(removed).toHaveLength(1);
  for (const [k] of removed) t.directory.appRoleAssignments.delete(k);
  try {
    await withProviderHost(emulator(), {}, (other) => fn(new Engine(other)));
  } finally {
    for (const [k, a] of removed) t.directory.appRoleAssignments.set(k, a);
  }
}

test("a refresh right after a grant finds the grant (create and update return once reads see it)", async () => {
  const appId = await registerMultiTenantApp(emulator(), "xtmm replicated grant app");
  emulator().setFaults({ replicationMs: 800 });
  const e = new Engine(providerHost());
  const r = await declare("consent/target-replicated", { tenant: "target", appId });
  const { state } = await e.up(r);
  const held = assignmentsOf(emulator(), "target", appId);
  expect(state.outputs).toMatchObject({ assignmentIds: [held[0].id], grantedRoles: ["Mailbox.Migration"] });
  expect((await e.refresh(r)).op).toBe("same");

  // Revoked by hand, restored by up: the refresh right after the repair sees the new grant too.
  tenantOf(emulator(), "target").directory.appRoleAssignments.delete(String(held[0].id));
  expect((await e.refresh(r)).op).toBe("drift");
  expect((await e.up(r)).op).toBe("update");
  const mark = emulator().requests.length;
  expect((await e.refresh(r)).op).toBe("same");
  expect((await e.up(r)).op).toBe("same");
  expect(graphWrites(emulator(), mark)).toEqual([]);
  expect(assignmentsOf(emulator(), "target", appId)).toHaveLength(1);
  await e.destroy(r);
  expect(assignmentsOf(emulator(), "target", appId)).toEqual([]);
});

test("a lost assignment answer while the new service principal replicates: read (404 is 'not yet'), then sent again", async () => {
  const appId = await registerMultiTenantApp(emulator(), "xtmm lost-while-replicating app");
  emulator().setFaults({ replicationMs: 800 });
  // The first assignment POST meets a principal not yet visible (404, nothing made) and its answer is lost.
  emulator().inject({ surface: "graph", method: "POST", path: /appRoleAssignedTo$/, fault: "lost" });
  const e = new Engine(providerHost());
  const r = await declare("consent/source-lost-replicating", { tenant: "source", appId });
  const mark = emulator().requests.length;
  const { state } = await e.up(r);
  const posts = graphWrites(emulator(), mark).filter((w) => /appRoleAssignedTo$/.test(w.path));
  expect(posts[0]).toMatchObject({ status: 404, fault: "lost" });
  expect(posts[posts.length - 1].status).toBe(201);
  const held = assignmentsOf(emulator(), "source", appId);
  expect(held).toHaveLength(1);
  expect(state.outputs).toMatchObject({
    createdServicePrincipal: true,
    assignmentIds: [held[0].id],
    grantedRoles: ["Mailbox.Migration"],
  });
  await e.destroy(r);
  expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(0);
});

test("a failed grant undoes its new service principal even while that still replicates", async () => {
  const appId = await registerMultiTenantApp(emulator(), "xtmm undo-replicating app");
  emulator().setFaults({ replicationMs: 1500 });
  const r = await declare("consent/source-undo-replicating", { tenant: "source", appId });
  await withoutAssignmentPermission(async (engine) => {
    const err = await engine.up(r).catch((x) => x);
    expect(err.message).toContain("AppRoleAssignment.ReadWrite.All");
    expect(err.message).not.toMatch(/Could not undo/);
  });
  // The DELETE met the principal only once it had replicated; nothing is left behind.
  expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(0);
});

test("a service principal a failed attempt could not undo is ours on the next up, and destroy removes it", async () => {
  const appId = await registerMultiTenantApp(emulator(), "xtmm undo-failed app");
  emulator().setFaults({ retryAfterSeconds: 0 });
  const r = await declare("consent/source-undo-failed", { tenant: "source", appId });
  await withoutAssignmentPermission(async (engine) => {
    // The undo's DELETE is refused through graph-client's retries (1 + 6).
    emulator().inject({
      surface: "graph",
      method: "DELETE",
      path: /^\/v1\.0\/servicePrincipals\/[^/]+$/,
      fault: "unavailable",
      times: 7,
    });
    const err = await engine.up(r).catch((x) => x);
    expect(err.message).toMatch(
      /Could not undo everything this attempt made \(service principal \S+, tagged as this stack's/,
    );
  });
  const left = servicePrincipals(emulator(), "source", appId);
  expect(left).toHaveLength(1);
  expect(left[0].tags).toEqual(["xtmm:adminConsent:00000002-0000-0ff1-ce00-000000000000"]);

  const e = new Engine(providerHost());
  const { state } = await e.up(r);
  expect(state.outputs).toMatchObject({
    servicePrincipalId: left[0].id,
    createdServicePrincipal: true,
    grantedRoles: ["Mailbox.Migration"],
  });
  expect((await e.refresh(r)).state?.outputs.createdServicePrincipal).toBe(true);
  await e.destroy(r);
  expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(0);
  expect(assignmentsOf(emulator(), "source", appId)).toEqual([]);
});

test("a principal made by someone else (no tag) stays someone else's", async () => {
  const appId = await registerMultiTenantApp(emulator(), "xtmm foreign-sp app");
  const { adminGraph } = await import("./support/consentDirectory");
  const sp = await (
    await adminGraph(emulator(), "source")
  )
    .api("/servicePrincipals")
    .post({ appId, tags: ["WindowsAzureActiveDirectoryIntegratedApp"] });
  const e = new Engine(providerHost());
  const r = await declare("consent/source-foreign-sp", { tenant: "source", appId });
  expect((await e.up(r)).state.outputs).toMatchObject({ servicePrincipalId: sp.id, createdServicePrincipal: false });
  await e.destroy(r);
  expect(servicePrincipals(emulator(), "source", appId).map((s) => s.id)).toEqual([sp.id]);
});

test("destroy whose DELETE answers are lost: sent again (a 404 then says it went), nothing left behind", async () => {
  const appId = await registerMultiTenantApp(emulator(), "xtmm lost-delete app");
  const e = new Engine(providerHost());
  const r = await declare("consent/source-lost-delete", { tenant: "source", appId });
  await e.up(r);
  const mark = emulator().requests.length;
  emulator().inject({ surface: "graph", method: "DELETE", path: /appRoleAssignedTo\/[^/]+$/, fault: "lost" });
  emulator().inject({ surface: "graph", method: "DELETE", path: /^\/v1\.0\/servicePrincipals\/[^/]+$/, fault: "lost" });
  await e.destroy(r);
  expect(
    graphWrites(emulator(), mark).map(
      (w) =>
        `${w.method} ${w.path.includes("appRoleAssignedTo") ? "assignment" : "principal"} ${w.status}${w.fault ? ` ${w.fault}` : ""}`,
    ),
  ).toEqual([
    "DELETE assignment 204 lost",
    "DELETE assignment 404",
    "DELETE principal 204 lost",
    "DELETE principal 404",
  ]);
  expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(0);
  expect(assignmentsOf(emulator(), "source", appId)).toEqual([]);
});
