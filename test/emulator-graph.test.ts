// The emulator's Graph v1.0 surface and the seeded pair: first straight against the handler with chosen
// claims (Graph's rules one by one), then end to end through the HTTPS server with a real token.

import {
  GRAPH_APPLICATION_PERMISSIONS,
  EXCHANGE_APPLICATION_PERMISSIONS,
  EXCHANGE_ADMIN_ROLE,
} from "../providers/tenant/permissions";
import { FIRST_PARTY } from "../providers/tenant/clouds";
import { grantedRoles, directoryRoleTemplates, type Rec } from "../emulator/model";
import { GraphHarness } from "../emulator/graph/testing";
import { allOperations, propertyNames, validateBody } from "../emulator/graph/reference";
import { HANDLERS } from "../emulator/graph";
import { operationPermissions } from "../emulator/graph/permissions";
import { useEmulator } from "./support/emulator";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAILBOX_MIGRATION = "f7264778-fba9-422d-8e9e-2675a2c4b513";

function expectGraphError(r: { status: number; json: any }, status: number, code: string, message?: RegExp) {
  expect(r.status).toBe(status);
  expect(Object.keys(r.json)).toEqual(["error"]);
  expect(Object.keys(r.json.error).sort()).toEqual(["code", "innerError", "message"]);
  expect(Object.keys(r.json.error.innerError).sort()).toEqual(["client-request-id", "date", "request-id"]);
  expect(r.json.error.code).toBe(code);
  if (message) expect(r.json.error.message).toMatch(message);
}

/** Every object in the state (seeded or created through the surface) carries only properties of its schema. */
function expectStateConforms(h: GraphHarness) {
  for (const t of h.state.tenants.values()) {
    const d = t.directory;
    const objs = (m: Map<string, { obj: Rec }>) => [...m.values()].map((s) => s.obj);
    const families: Array<[string, Rec[]]> = [
      ["organization", [d.organization]],
      ["domain", d.domains],
      ["subscribedSku", d.subscribedSkus],
      ["application", objs(d.applications)],
      ["servicePrincipal", objs(d.servicePrincipals)],
      ["appRoleAssignment", objs(d.appRoleAssignments)],
      ["user", objs(d.users)],
      ["group", objs(d.groups)],
      ["unifiedRoleAssignment", objs(d.roleAssignments)],
      ["directoryRole", objs(d.directoryRoles)],
      ["oAuth2PermissionGrant", objs(d.oauth2PermissionGrants)],
    ];
    for (const [entity, list] of families) {
      for (const obj of list) {
        const unknown = Object.keys(obj).filter((k) => !propertyNames(entity).includes(k));
        expect({ entity, unknown }).toEqual({ entity, unknown: [] });
        expect(validateBody(`microsoft.graph.${entity}`, obj)).toBeUndefined();
      }
    }
  }
}

describe("seeded pair", () => {
  const h = new GraphHarness();

  it("has a source and a target tenant with the contracted domains and Exchange hydration", () => {
    const source = h.tenant("source");
    const target = h.tenant("target");
    expect(source.tenantId).toMatch(GUID);
    expect(target.tenantId).not.toBe(source.tenantId);
    expect(source.directory.domains.map((d) => d.id)).toEqual(["fabrikam.onmicrosoft.com", "fabrikam.com"]);
    expect(target.directory.domains.map((d) => d.id)).toEqual(["contoso.onmicrosoft.com", "contoso.com"]);
    expect(source.exchange.organizationConfig.IsDehydrated).toBe(false);
    expect(target.exchange.organizationConfig.IsDehydrated).toBe(true);
    expect(source.directory.subscribedSkus.map((s) => s.skuPartNumber)).toEqual(["EXCHANGEENTERPRISE"]);
    const t2t = target.directory.subscribedSkus.find((s) => s.skuPartNumber === "Cross_tenant_user_data_migration");
    expect(t2t?.skuId).toBe("946ce899-873d-44bb-9d8b-671870cbfdbf");
    expect((t2t?.servicePlans as Rec[]).map((p) => p.servicePlanName).sort()).toEqual([
      "EXCHANGEONLINE_T2TMBXMOVE",
      "SHAREPOINTONLINE_T2TODMOVE",
    ]);
  });

  it("gives each operator exactly the contracted permissions, the Exchange Administrator role and a stored secret", () => {
    for (const label of ["source", "target"] as const) {
      const t = h.tenant(label);
      const sp = t.operator.servicePrincipalId;
      expect(grantedRoles(t, sp, FIRST_PARTY.microsoftGraph).sort()).toEqual(
        GRAPH_APPLICATION_PERMISSIONS.map((p) => p.value).sort(),
      );
      expect(grantedRoles(t, sp, FIRST_PARTY.exchangeOnline)).toEqual(
        EXCHANGE_APPLICATION_PERMISSIONS.map((p) => p.value),
      );
      expect(directoryRoleTemplates(t, sp)).toEqual([EXCHANGE_ADMIN_ROLE.templateId]);
      const app = [...t.directory.applications.values()].find((a) => a.obj.appId === t.operator.clientId)!;
      const cred = (app.obj.passwordCredentials as Rec[])[0];
      expect(t.directory.secretValues.get(String(app.obj.id))?.get(String(cred.keyId))).toBe(t.operator.clientSecret);
      expect(cred.hint).toBe(t.operator.clientSecret.slice(0, 3));
      expect(cred.secretText).toBeNull();
      expect(Date.parse(String(cred.endDateTime))).toBeGreaterThan(h.clock);
      const admin = [...t.directory.users.values()].find(
        (u) => u.obj.userPrincipalName === `admin@${t.initialDomain}`,
      )!;
      expect(directoryRoleTemplates(t, String(admin.obj.id))).toEqual(["62e90394-69f5-4237-9190-012177145e10"]);
    }
  });

  it("stores every directory object with only properties (and nested values) of its reference schema", () => {
    for (const t of h.state.tenants.values()) {
      for (const m of [
        t.directory.applications,
        t.directory.servicePrincipals,
        t.directory.appRoleAssignments,
        t.directory.users,
        t.directory.roleAssignments,
        t.directory.directoryRoles,
      ]) {
        expect(m.size).toBeGreaterThan(0);
      }
    }
    expectStateConforms(h);
  });
});

describe("reference coverage", () => {
  it("routes and authorises every one of the reference's operations", () => {
    const ops = allOperations();
    expect(ops).toHaveLength(41);
    const missing = ops.filter((o) => !HANDLERS[o.operationId]).map((o) => o.operationId);
    expect(missing).toEqual([]);
    const unauthorised = ops
      .filter((o) => !o.path.startsWith("/directory/deletedItems") && !operationPermissions(o.operationId))
      .map((o) => o.operationId);
    expect(unauthorised).toEqual([]);
  });
});

describe("Graph surface (direct)", () => {
  it("creates, reads by id and by appId, updates, filters and selects applications", async () => {
    const h = new GraphHarness();
    h.as(h.operator("target"));
    const created = await h.call("POST", "/v1.0/applications", {
      body: { displayName: "xtmm migration", signInAudience: "AzureADMultipleOrgs" },
    });
    expect(created.status).toBe(201);
    expect(created.json["@odata.context"]).toBe("https://127.0.0.1:8443/graph/v1.0/$metadata#applications/$entity");
    expect(created.json.appId).toMatch(GUID);
    expect(created.json.passwordCredentials).toEqual([]);
    expect(created.json.publisherDomain).toBe("contoso.onmicrosoft.com");
    const { id, appId } = created.json;

    const byId = await h.call("GET", `/v1.0/applications/${id}`);
    expect(byId.status).toBe(200);
    expect(byId.json.displayName).toBe("xtmm migration");
    const byAppId = await h.call("GET", `/v1.0/applications(appId='${appId}')?$select=id,displayName`);
    expect(byAppId.json).toEqual({
      "@odata.context": "https://127.0.0.1:8443/graph/v1.0/$metadata#applications(id,displayName)/$entity",
      id,
      displayName: "xtmm migration",
    });

    const patched = await h.call("PATCH", `/v1.0/applications/${id}`, {
      body: {
        notes: "managed by xtmm",
        requiredResourceAccess: [
          { resourceAppId: FIRST_PARTY.exchangeOnline, resourceAccess: [{ id: MAILBOX_MIGRATION, type: "Role" }] },
        ],
      },
    });
    expect(patched.status).toBe(204);
    expect(patched.json).toBeUndefined();
    const again = await h.call("GET", `/v1.0/applications?$filter=appId eq '${appId}'`);
    expect(again.json.value).toHaveLength(1);
    expect(again.json.value[0].notes).toBe("managed by xtmm");
    const none = await h.call("GET", `/v1.0/applications?$filter=startswith(displayName,'nothing')`);
    expect(none.json.value).toEqual([]);
    expect(h.takeViolations()).toEqual([]);
  });

  it("pages lists with $top and an opaque $skiptoken, and honours the default page size", async () => {
    const h = new GraphHarness({ graph: { defaultPageSize: 3 } });
    h.as(h.operator("source"));
    for (let i = 0; i < 6; i++)
      expect((await h.call("POST", "/v1.0/applications", { body: { displayName: `paged ${i}` } })).status).toBe(201);
    const first = await h.call("GET", "/v1.0/applications?$top=4&$filter=startswith(displayName,'paged')");
    expect(first.json.value).toHaveLength(4);
    const next = new URL(first.json["@odata.nextLink"]);
    expect(next.searchParams.get("$skiptoken")).toBeTruthy();
    expect(next.searchParams.get("$top")).toBe("4");
    const walked = await h.all("/v1.0/applications?$top=4&$filter=startswith(displayName,'paged')");
    expect(walked.pages).toBe(2);
    expect(walked.items.map((a) => a.displayName).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `paged ${i}`));
    const byDefault = await h.all("/v1.0/applications");
    expect(byDefault.items).toHaveLength(7); // six new apps and the operator's
    expect(byDefault.pages).toBe(3);
    expectGraphError(
      await h.call("GET", "/v1.0/applications?$top=1000"),
      400,
      "Request_BadRequest",
      /Invalid page size/,
    );
  });

  it("requires ConsistencyLevel for $count and returns @odata.count with it", async () => {
    const h = new GraphHarness();
    h.as(h.operator("source"));
    expect((await h.call("GET", "/v1.0/servicePrincipals?$count=true")).status).toBe(400);
    expect(h.takeViolations().map((v) => v.kind)).toEqual(["missing-consistency-level"]);
    const counted = await h.call("GET", "/v1.0/servicePrincipals?$count=true&$top=1", {
      headers: { ConsistencyLevel: "eventual" },
    });
    expect(counted.json["@odata.count"]).toBe(3);
    expect(counted.json.value).toHaveLength(1);
  });

  it("adds a password whose secret is returned once, and removes it", async () => {
    const h = new GraphHarness();
    h.as(h.operator("target"));
    const app = (await h.call("POST", "/v1.0/applications", { body: { displayName: "secrets" } })).json;
    const added = await h.call("POST", `/v1.0/applications/${app.id}/addPassword`, {
      body: { passwordCredential: { displayName: "xtmm" } },
    });
    expect(added.status).toBe(200);
    expect(added.json["@odata.context"]).toMatch(/\$metadata#microsoft\.graph\.passwordCredential$/);
    const secret: string = added.json.secretText;
    expect(secret).toHaveLength(40);
    expect(added.json.hint).toBe(secret.slice(0, 3));
    expect(Date.parse(added.json.endDateTime) - Date.parse(added.json.startDateTime)).toBe(2 * 365 * 86_400_000);
    const t = h.tenant("target");
    expect(t.directory.secretValues.get(app.id)?.get(added.json.keyId)).toBe(secret);

    const read = await h.call("GET", `/v1.0/applications/${app.id}`);
    expect(read.json.passwordCredentials).toHaveLength(1);
    expect(read.json.passwordCredentials[0].secretText).toBeNull();
    expect(JSON.stringify(read.json)).not.toContain(secret);

    const byAppId = await h.call("POST", `/v1.0/applications(appId='${app.appId}')/addPassword`, { body: {} });
    expect(byAppId.status).toBe(200);
    const removed = await h.call("POST", `/v1.0/applications/${app.id}/removePassword`, {
      body: { keyId: added.json.keyId },
    });
    expect(removed.status).toBe(204);
    expect(t.directory.secretValues.get(app.id)?.has(added.json.keyId)).toBe(false);
    const left = await h.call("GET", `/v1.0/applications/${app.id}?$select=passwordCredentials`);
    expect(left.json.passwordCredentials.map((p: Rec) => p.keyId)).toEqual([byAppId.json.keyId]);
    expectGraphError(
      await h.call("POST", `/v1.0/applications/${app.id}/removePassword`, { body: { keyId: added.json.keyId } }),
      404,
      "Request_ResourceNotFound",
    );
    expect(h.takeViolations()).toEqual([]);
  });

  it("creates a multi-tenant app's service principal in the other tenant, once, and refuses a single-tenant app", async () => {
    const h = new GraphHarness();
    h.as(h.operator("target"));
    const multi = (
      await h.call("POST", "/v1.0/applications", {
        body: { displayName: "migration app", signInAudience: "AzureADMultipleOrgs" },
      })
    ).json;
    const single = (await h.call("POST", "/v1.0/applications", { body: { displayName: "single tenant" } })).json;
    expect(single.signInAudience).toBe("AzureADMyOrg");
    const home = await h.call("POST", "/v1.0/servicePrincipals", { body: { appId: multi.appId } });
    expect(home.status).toBe(201);

    h.as(h.operator("source"));
    const sp = await h.call("POST", "/v1.0/servicePrincipals", {
      body: { appId: multi.appId, tags: ["WindowsAzureActiveDirectoryIntegratedApp"] },
    });
    expect(sp.status).toBe(201);
    expect(sp.json.appOwnerOrganizationId).toBe(h.tenant("target").tenantId);
    expect(sp.json.appDisplayName).toBe("migration app");
    expect(sp.json.tags).toEqual(["WindowsAzureActiveDirectoryIntegratedApp"]);
    expect(sp.json.id).not.toBe(home.json.id);

    expectGraphError(
      await h.call("POST", "/v1.0/servicePrincipals", { body: { appId: multi.appId } }),
      409,
      "Request_MultipleObjectsWithSameKeyValue",
      new RegExp(`service principal name ${multi.appId} is already in use`),
    );
    expectGraphError(
      await h.call("POST", "/v1.0/servicePrincipals", { body: { appId: single.appId } }),
      400,
      "Request_BadRequest",
      /does not reference a valid application object/,
    );
    const byAppId = await h.call("GET", `/v1.0/servicePrincipals(appId='${multi.appId}')`);
    expect(byAppId.json.id).toBe(sp.json.id);
    expectStateConforms(h);
    expect(h.takeViolations()).toEqual([]);
  });

  it("assigns app roles only to existing principals and only roles the resource publishes", async () => {
    const h = new GraphHarness();
    h.as(h.operator("target"));
    const app = (await h.call("POST", "/v1.0/applications", { body: { displayName: "migration app" } })).json;
    const sp = (await h.call("POST", "/v1.0/servicePrincipals", { body: { appId: app.appId } })).json;
    const exo = (
      await h.call(
        "GET",
        `/v1.0/servicePrincipals?$filter=appId eq '${FIRST_PARTY.exchangeOnline}'&$select=id,appRoles`,
      )
    ).json.value[0];
    expect(exo.appRoles.find((r: Rec) => r.value === "Mailbox.Migration").id).toBe(MAILBOX_MIGRATION);

    const path = `/v1.0/servicePrincipals/${exo.id}/appRoleAssignedTo`;
    const granted = await h.call("POST", path, {
      body: { principalId: sp.id, resourceId: exo.id, appRoleId: MAILBOX_MIGRATION },
    });
    expect(granted.status).toBe(201);
    expect(granted.json).toMatchObject({
      principalId: sp.id,
      principalType: "ServicePrincipal",
      resourceId: exo.id,
      resourceDisplayName: "Office 365 Exchange Online",
      appRoleId: MAILBOX_MIGRATION,
    });
    expect(grantedRoles(h.tenant("target"), sp.id, FIRST_PARTY.exchangeOnline)).toEqual(["Mailbox.Migration"]);

    expectGraphError(
      await h.call("POST", path, { body: { principalId: sp.id, resourceId: exo.id, appRoleId: MAILBOX_MIGRATION } }),
      400,
      "Request_BadRequest",
      /already exists/,
    );
    expectGraphError(
      await h.call("POST", path, {
        body: { principalId: sp.id, resourceId: exo.id, appRoleId: "00000000-0000-0000-0000-000000000001" },
      }),
      400,
      "Request_BadRequest",
      /was not found on application/,
    );
    expectGraphError(
      await h.call("POST", path, {
        body: { principalId: "11111111-1111-4111-8111-111111111111", resourceId: exo.id, appRoleId: MAILBOX_MIGRATION },
      }),
      404,
      "Request_ResourceNotFound",
    );

    const listed = await h.call("GET", `${path}?$filter=principalId eq ${sp.id}`);
    expect(listed.json.value.map((a: Rec) => a.id)).toEqual([granted.json.id]);
    const mine = await h.call("GET", `/v1.0/servicePrincipals/${sp.id}/appRoleAssignments`);
    expect(mine.json.value.map((a: Rec) => a.id)).toEqual([granted.json.id]);
    expect((await h.call("DELETE", `${path}/${granted.json.id}`)).status).toBe(204);
    expect((await h.call("GET", `/v1.0/servicePrincipals/${sp.id}/appRoleAssignments`)).json.value).toEqual([]);
    expect(h.takeViolations()).toEqual([]);
  });

  it("soft-deletes an application with its home service principal, restores it, and deletes it permanently", async () => {
    const h = new GraphHarness();
    h.as(h.operator("target"));
    const app = (await h.call("POST", "/v1.0/applications", { body: { displayName: "to delete" } })).json;
    const sp = (await h.call("POST", "/v1.0/servicePrincipals", { body: { appId: app.appId } })).json;
    expect((await h.call("DELETE", `/v1.0/applications(appId='${app.appId}')`)).status).toBe(204);
    expectGraphError(
      await h.call("GET", `/v1.0/applications/${app.id}`),
      404,
      "Request_ResourceNotFound",
      new RegExp(`Resource '${app.id}' does not exist`),
    );
    expect((await h.call("GET", `/v1.0/servicePrincipals/${sp.id}`)).status).toBe(404);

    const deleted = await h.call("GET", `/v1.0/directory/deletedItems/${app.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json["@odata.type"]).toBe("#microsoft.graph.application");
    expect(deleted.json.deletedDateTime).toBe(new Date(h.clock).toISOString().replace(/\.\d{3}Z$/, "Z"));

    const restored = await h.call("POST", `/v1.0/directory/deletedItems/${app.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.json["@odata.type"]).toBe("#microsoft.graph.application");
    expect(restored.json.deletedDateTime).toBeNull();
    expect((await h.call("GET", `/v1.0/applications/${app.id}`)).json.appId).toBe(app.appId);

    await h.call("DELETE", `/v1.0/applications/${app.id}`);
    expect((await h.call("DELETE", `/v1.0/directory/deletedItems/${app.id}`)).status).toBe(204);
    expectGraphError(
      await h.call("POST", `/v1.0/directory/deletedItems/${app.id}/restore`),
      404,
      "Request_ResourceNotFound",
    );
    expect(h.takeViolations()).toEqual([]);
  });

  it("answers 403 when the token lacks the operation's permission, and accepts a Global Administrator's delegated token", async () => {
    const h = new GraphHarness();
    const op = h.operator("source");
    h.as({ ...op, roles: [] });
    expectGraphError(
      await h.call("GET", "/v1.0/applications"),
      403,
      "Authorization_RequestDenied",
      /^Insufficient privileges to complete the operation\.$/,
    );
    h.as({ ...op, roles: ["Application.Read.All"] });
    expect((await h.call("GET", "/v1.0/applications")).status).toBe(200);
    expectGraphError(
      await h.call("POST", "/v1.0/applications", { body: { displayName: "x" } }),
      403,
      "Authorization_RequestDenied",
    );
    h.as(op);
    expectGraphError(
      await h.call("POST", "/v1.0/groups", {
        body: { displayName: "g", mailEnabled: false, mailNickname: "g", securityEnabled: true },
      }),
      403,
      "Authorization_RequestDenied",
    );
    const admin = [...h.tenant("source").directory.users.values()][0].obj;
    const delegated = {
      ...op,
      idtyp: "user" as const,
      roles: [],
      scp: "Application.ReadWrite.All",
      oid: String(admin.id),
      upn: String(admin.userPrincipalName),
    };
    h.as({ ...delegated, wids: ["62e90394-69f5-4237-9190-012177145e10"] });
    expect((await h.call("POST", "/v1.0/applications", { body: { displayName: "by admin" } })).status).toBe(201);
    h.as({ ...delegated, wids: [] });
    expect((await h.call("GET", "/v1.0/applications")).status).toBe(403);
    h.as(null);
    expect((await h.call("GET", "/v1.0/applications")).status).toBe(401);
  });

  it("rejects unknown body properties, nested properties and enum values with Graph's error and a violation", async () => {
    const h = new GraphHarness();
    h.as(h.operator("target"));
    expectGraphError(
      await h.call("POST", "/v1.0/applications", { body: { displayName: "x", colour: "red" } }),
      400,
      "Request_BadRequest",
      /^Property 'colour' does not exist as a declared property or extension property\.$/,
    );
    expect(h.takeViolations()).toEqual([expect.objectContaining({ surface: "graph", kind: "unknown-property" })]);
    expectGraphError(
      await h.call("POST", "/v1.0/applications", { body: { displayName: "x", web: { redirectUri: "https://a" } } }),
      400,
      "BadRequest",
      /property 'redirectUri' does not exist on type 'microsoft.graph.webApplication'/,
    );
    expect(h.takeViolations().map((v) => v.kind)).toEqual(["unknown-property"]);
    h.as({ ...h.operator("target"), roles: ["Group.ReadWrite.All"] });
    expectGraphError(
      await h.call("POST", "/v1.0/groups", {
        body: { displayName: "g", mailEnabled: false, mailNickname: "g", securityEnabled: true, accessType: "open" },
      }),
      400,
      "BadRequest",
      /Requested value 'open' was not found/,
    );
    expect(h.takeViolations().map((v) => v.kind)).toEqual(["invalid-value"]);
    h.as(h.operator("target"));
    expectGraphError(
      await h.call("POST", "/v1.0/applications", { body: { signInAudience: "AzureADMyOrg" } }),
      400,
      "Request_BadRequest",
      /'displayName'/,
    );
    expect(h.takeViolations()).toEqual([]);
  });

  it("drops (or, by knob, rejects) passwordCredentials in a create body, flags it, and never echoes the secret", async () => {
    const secretText = "abc8Q~not-a-real-secret-but-treated-as-one";
    for (const mode of ["ignore", "reject"] as const) {
      const h = new GraphHarness({ graph: { passwordCredentialsOnWrite: mode } });
      h.as(h.operator("target"));
      const r = await h.call("POST", "/v1.0/applications", {
        body: { displayName: "x", passwordCredentials: [{ displayName: "p", secretText }] },
      });
      expect(r.status).toBe(mode === "ignore" ? 201 : 400);
      if (mode === "ignore") expect(r.json.passwordCredentials).toEqual([]);
      const v = h.takeViolations();
      expect(v.map((x) => x.kind)).toEqual(["documented-misuse"]);
      expect(JSON.stringify([r.json, v])).not.toContain(secretText);
    }
  });

  it("rejects unknown paths, methods and undocumented query options with a violation", async () => {
    const h = new GraphHarness();
    h.as(h.operator("target"));
    expectGraphError(
      await h.call("GET", "/v1.0/applicationz"),
      400,
      "BadRequest",
      /Resource not found for the segment 'applicationz'/,
    );
    expectGraphError(
      await h.call("GET", "/v1.0/applications/not-a-guid"),
      400,
      "Request_BadRequest",
      /^Invalid object identifier 'not-a-guid'\.$/,
    );
    expectGraphError(await h.call("PUT", "/v1.0/applications"), 405, "Request_BadRequest");
    expectGraphError(await h.call("GET", "/beta/applications"), 400, "BadRequest");
    expect(h.takeViolations().map((v) => v.kind)).toEqual([
      "unknown-graph-path",
      "unknown-graph-method",
      "unknown-graph-path",
    ]);
    h.as({ ...h.operator("target"), roles: ["Group.Read.All"] });
    expectGraphError(
      await h.call("GET", "/v1.0/groups?$skip=5"),
      400,
      "Request_BadRequest",
      /'\$skip' is not supported/,
    );
    expect(h.takeViolations().map((v) => v.kind)).toEqual(["unsupported-query-option"]);
    h.as(h.operator("target"));
    expect((await h.call("GET", "/v1.0/applications?$select=displayName,colour")).status).toBe(400);
    expect((await h.call("GET", "/v1.0/subscribedSkus?$filter=skuPartNumber eq 'x'")).status).toBe(400);
    expect(h.takeViolations().map((v) => v.kind)).toEqual(["unknown-property", "unsupported-query-option"]);
  });

  it("hides a new object until replication completes", async () => {
    const h = new GraphHarness({ faults: { replicationMs: 5000 } });
    h.as(h.operator("target"));
    const app = (await h.call("POST", "/v1.0/applications", { body: { displayName: "slow" } })).json;
    expectGraphError(await h.call("GET", `/v1.0/applications/${app.id}`), 404, "Request_ResourceNotFound");
    expect((await h.call("GET", `/v1.0/applications?$filter=id eq '${app.id}'`)).json.value).toEqual([]);
    expectGraphError(
      await h.call("POST", "/v1.0/servicePrincipals", { body: { appId: app.appId } }),
      400,
      "Request_BadRequest",
      /does not reference a valid application object/,
    );
    h.clock += 5000;
    expect((await h.call("GET", `/v1.0/applications/${app.id}`)).status).toBe(200);
    expect((await h.call("POST", "/v1.0/servicePrincipals", { body: { appId: app.appId } })).status).toBe(201);
  });

  it("reads the organization, domains and SKUs, and updates and licenses a user", async () => {
    const h = new GraphHarness();
    h.as(h.operator("target"));
    const org = await h.call("GET", "/v1.0/organization");
    expect(org.json.value[0].id).toBe(h.tenant("target").tenantId);
    expect(org.json.value[0].verifiedDomains.find((d: Rec) => d.isInitial).name).toBe("contoso.onmicrosoft.com");
    const domains = await h.call("GET", "/v1.0/domains");
    expect(domains.json.value.map((d: Rec) => [d.id, d.isVerified, d.supportedServices])).toEqual([
      ["contoso.onmicrosoft.com", true, ["Email", "OfficeCommunicationsOnline"]],
      ["contoso.com", true, ["Email", "OfficeCommunicationsOnline"]],
    ]);
    const skus = await h.call("GET", "/v1.0/subscribedSkus?$select=skuId,skuPartNumber,consumedUnits,prepaidUnits");
    const t2t = skus.json.value.find((s: Rec) => s.skuPartNumber === "Cross_tenant_user_data_migration");

    const upn = "admin@contoso.onmicrosoft.com";
    const user = await h.call("GET", `/v1.0/users/${upn}`);
    expect(Object.keys(user.json).sort()).toEqual(
      [
        "@odata.context",
        "businessPhones",
        "displayName",
        "givenName",
        "id",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
      ].sort(),
    );
    expect((await h.call("PATCH", `/v1.0/users/${user.json.id}`, { body: { usageLocation: "GB" } })).status).toBe(204);
    const licensed = await h.call("POST", `/v1.0/users/${upn}/assignLicense`, {
      body: { addLicenses: [{ skuId: t2t.skuId, disabledPlans: [] }], removeLicenses: [] },
    });
    expect(licensed.status).toBe(200);
    const after = await h.call("GET", `/v1.0/users/${upn}?$select=usageLocation,assignedLicenses`);
    expect(after.json.usageLocation).toBe("GB");
    expect(after.json.assignedLicenses).toEqual([{ disabledPlans: [], skuId: t2t.skuId }]);
    const skus2 = await h.call("GET", "/v1.0/subscribedSkus");
    expect(skus2.json.value.find((s: Rec) => s.skuId === t2t.skuId).consumedUnits).toBe(t2t.consumedUnits + 1);
    expectStateConforms(h);
    expectGraphError(
      await h.call("POST", `/v1.0/users/${upn}/assignLicense`, {
        body: {
          addLicenses: [{ skuId: "11111111-1111-4111-8111-111111111111", disabledPlans: [] }],
          removeLicenses: [],
        },
      }),
      400,
      "Request_BadRequest",
    );
    expect(h.takeViolations()).toEqual([]);
  });

  it("manages groups, directory roles, role assignments and delegated grants with the permissions they need", async () => {
    const h = new GraphHarness();
    const t = h.tenant("source");
    h.as({
      ...h.operator("source"),
      roles: [
        "Group.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
        "DelegatedPermissionGrant.ReadWrite.All",
        "Application.Read.All",
      ],
    });
    const group = await h.call("POST", "/v1.0/groups", {
      body: {
        displayName: "Migration wave 1",
        mailEnabled: false,
        mailNickname: "wave1",
        securityEnabled: true,
        "members@odata.bind": [`https://graph.microsoft.com/v1.0/directoryObjects/${t.operator.servicePrincipalId}`],
      },
    });
    expect(group.status).toBe(201);
    expect(
      (await h.call("GET", "/v1.0/groups?$filter=displayName eq 'Migration wave 1'")).json.value.map((g: Rec) => g.id),
    ).toEqual([group.json.id]);
    expect((await h.call("GET", `/v1.0/groups/${group.json.id}?$select=mailNickname`)).json.mailNickname).toBe("wave1");
    expect((await h.call("DELETE", `/v1.0/groups/${group.json.id}`)).status).toBe(204);
    expect(t.directory.deletedItems.has(group.json.id)).toBe(false); // security groups are deleted permanently

    const roles = await h.call("GET", "/v1.0/directoryRoles");
    expect(roles.json.value.map((r: Rec) => r.displayName).sort()).toEqual([
      "Exchange Administrator",
      "Global Administrator",
    ]);
    const activated = await h.call("POST", "/v1.0/directoryRoles", {
      body: { roleTemplateId: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3" },
    });
    expect(activated.status).toBe(201);
    expect(activated.json.displayName).toBe("Application Administrator");

    const ra = await h.call("POST", "/v1.0/roleManagement/directory/roleAssignments", {
      body: {
        principalId: t.operator.servicePrincipalId,
        roleDefinitionId: "fe930be7-5e62-47db-91af-98c3a49a38b1",
        directoryScopeId: "/",
      },
    });
    expect(ra.status).toBe(201);
    const mine = await h.call(
      "GET",
      `/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '${t.operator.servicePrincipalId}'`,
    );
    expect(mine.json.value.map((r: Rec) => r.roleDefinitionId).sort()).toEqual(
      [EXCHANGE_ADMIN_ROLE.templateId, "fe930be7-5e62-47db-91af-98c3a49a38b1"].sort(),
    );
    expectGraphError(
      await h.call("POST", "/v1.0/roleManagement/directory/roleAssignments", {
        body: {
          principalId: t.operator.servicePrincipalId,
          roleDefinitionId: "fe930be7-5e62-47db-91af-98c3a49a38b1",
          directoryScopeId: "/",
        },
      }),
      400,
      "Request_BadRequest",
      /conflicting object/,
    );

    const graphSp = (await h.call("GET", `/v1.0/servicePrincipals(appId='${FIRST_PARTY.microsoftGraph}')?$select=id`))
      .json.id;
    const grant = await h.call("POST", "/v1.0/oauth2PermissionGrants", {
      body: {
        clientId: t.operator.servicePrincipalId,
        consentType: "AllPrincipals",
        resourceId: graphSp,
        scope: "User.Read",
      },
    });
    expect(grant.status).toBe(201);
    expect(
      (await h.call("GET", `/v1.0/oauth2PermissionGrants?$filter=clientId eq '${t.operator.servicePrincipalId}'`)).json
        .value,
    ).toHaveLength(1);
    expectStateConforms(h);
    expect(h.takeViolations()).toEqual([]);
  });
});

describe("Graph surface (through the emulator's HTTPS server)", () => {
  const emu = useEmulator();

  async function token(label: "source" | "target"): Promise<string> {
    const e = emu();
    const t = e.tenants[label];
    const res = await emu.fetch(`${e.endpoints.login}/${t.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: t.clientId,
        client_secret: t.clientSecret,
        scope: "https://graph.microsoft.com/.default",
      }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async function graph(bearer: string, method: string, path: string, body?: unknown) {
    const res = await emu.fetch(`${emu().endpoints.graph}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  }

  it("serves the operator's tenant with the token's permissions", async () => {
    const bearer = await token("source");
    const org = await graph(bearer, "GET", "/v1.0/organization");
    expect(org.status).toBe(200);
    expect(org.json.value[0].id).toBe(emu().tenants.source.tenantId);
    expect(org.json["@odata.context"]).toBe(`${emu().endpoints.graph}/v1.0/$metadata#organization`);
    expect(org.headers.get("request-id")).toMatch(GUID);
    const groups = await graph(bearer, "GET", "/v1.0/groups");
    expect(groups.status).toBe(403); // the operator holds no Group permission
    expect(groups.json.error.code).toBe("Authorization_RequestDenied");
  });

  it("sets up a migration app in the target and its service principal and consent in the source", async () => {
    const target = await token("target");
    const source = await token("source");
    const app = await graph(target, "POST", "/v1.0/applications", {
      displayName: "xtmm e2e migration",
      signInAudience: "AzureADMultipleOrgs",
      requiredResourceAccess: [
        { resourceAppId: FIRST_PARTY.exchangeOnline, resourceAccess: [{ id: MAILBOX_MIGRATION, type: "Role" }] },
      ],
    });
    expect(app.status).toBe(201);
    const secret = await graph(target, "POST", `/v1.0/applications/${app.json.id}/addPassword`, {
      passwordCredential: { displayName: "migration" },
    });
    expect(secret.json.secretText).toHaveLength(40);
    const sp = await graph(source, "POST", "/v1.0/servicePrincipals", { appId: app.json.appId });
    expect(sp.status).toBe(201);
    expect(sp.json.appOwnerOrganizationId).toBe(emu().tenants.target.tenantId);
    const exo = await graph(source, "GET", `/v1.0/servicePrincipals(appId='${FIRST_PARTY.exchangeOnline}')`);
    const consent = await graph(source, "POST", `/v1.0/servicePrincipals/${exo.json.id}/appRoleAssignedTo`, {
      principalId: sp.json.id,
      resourceId: exo.json.id,
      appRoleId: MAILBOX_MIGRATION,
    });
    expect(consent.status).toBe(201);
    expect(consent.json.resourceDisplayName).toBe("Office 365 Exchange Online");
  });

  it("records a violation for a property the schema does not have", async () => {
    const bearer = await token("target");
    const bad = await graph(bearer, "POST", "/v1.0/applications", { displayName: "x", owner: "me" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("Request_BadRequest");
    expect(emu.expectViolations()).toEqual([expect.objectContaining({ surface: "graph", kind: "unknown-property" })]);
  });
});
