// MigrationApp and MigrationAppSecretRetirement through the engine's lifecycle, in Pulumi's real
// dynamic-provider host, against the emulated target tenant: check, preview, up, a no-op up, drift made in
// the directory by hand (refresh shows it, up repairs it), a deleted secret, rotation by trigger and by date
// with the old secret working until retirement, and a destroy that leaves the directory as it was.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator, tenantOf } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { CheckFailedError, Engine, declareResource, withUnknowns } from "../harness/engine";
import { MigrationApp, type MigrationAppArgs } from "../providers/migrationApp";
import { MigrationAppSecretRetirement } from "../providers/migrationAppSecretRetirement";
import type { Rec } from "../emulator/model";
import {
  EXCHANGE_ONLINE,
  applicationById,
  directorySnapshot,
  keyIdsOf,
  seededMailboxMigrationRoleId,
  servicePrincipalsOf,
  signIn,
  taggedApplications,
} from "./support/migrationAppDirectory";

const emulator = useEmulator();

let host: ProviderHost;
let engine: Engine;
let before: ReturnType<typeof directorySnapshot>;
/** Every client secret value the tests saw; none may reach the host's console. */
const seenSecrets = new Set<string>();

const NAME = "migration-app";
const app = (args: Partial<MigrationAppArgs> = {}) =>
  declareResource(() => new MigrationApp(NAME, { displayName: "Cross-tenant mailbox migration", ...args }));
const retirement = (applicationObjectId: string, keepSecretKeyId: string, retireSecretKeyIds: string[]) =>
  declareResource(
    () =>
      new MigrationAppSecretRetirement("retire-old-secrets", {
        applicationObjectId,
        keepSecretKeyId,
        retireSecretKeyIds,
      }),
  );

const outputs = () =>
  engine.state({ type: "pulumi-nodejs:dynamic/xtmm:MigrationApp", name: NAME })!.outputs as Rec & {
    appId: string;
    applicationObjectId: string;
    clientSecret: string;
    secretKeyId: string;
    retiringSecretKeyIds: string[];
  };
const graphWrites = (since: number) =>
  emulator()
    .requests.slice(since)
    .filter((r) => r.surface === "graph" && r.method !== "GET");
const remember = (o: Rec) => seenSecrets.add(String(o.clientSecret));

const providerHost = useProviderHost(emulator, { secrets: () => seenSecrets });
beforeAll(async () => {
  before = directorySnapshot(emulator());
  host = providerHost();
  engine = new Engine(host);
});

afterAll(() => {
  expect(seenSecrets.size).toBeGreaterThanOrEqual(4);
});

describe("check, before any call", () => {
  test("rejects bad input naming the property and the fix, and sends nothing", async () => {
    const mark = emulator().requests.length;
    const soon = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const cases: Array<[Partial<MigrationAppArgs> & Rec, string, RegExp]> = [
      [{ secretEndDate: "2020-01-01" }, "secretEndDate", /in the past/],
      [{ secretEndDate: new Date(Date.now() + 800 * 86_400_000).toISOString() }, "secretEndDate", /more than 730 days/],
      [{ secretEndDate: "next year" }, "secretEndDate", /ISO 8601/],
      [
        { secretEndDate: soon, rotateAfter: new Date(Date.now() + 60 * 86_400_000).toISOString() },
        "rotateAfter",
        /not before secretEndDate/,
      ],
      [
        { redirectUri: "https://office.com/" },
        "redirectUri",
        /exactly "https:\/\/office.com".*allowNonstandardRedirectUri/,
      ],
      [{ adoptAppId: "my-app" }, "adoptAppId", /GUID/],
      [{ permissions: ["User.Read"] } as Rec, "permissions", /not an input of MigrationApp/],
    ];
    for (const [args, property, reason] of cases) {
      const declared = await declareResource(
        () => new MigrationApp("bad-input", { ...(args as MigrationAppArgs), displayName: "x" }),
      );
      // Inputs the class does not offer are written straight into what the engine sends, as another program could.
      const r = { ...declared, inputs: { ...args, ...declared.inputs } };
      const err = await engine.preview(r).catch((e) => e);
      expect(err).toBeInstanceOf(CheckFailedError);
      const failure = (err as CheckFailedError).failures.find((f) => f.property === property);
      expect(failure?.reason).toMatch(reason);
    }
    // An overridden redirect URI and a not-yet-known value pass.
    const other = await declareResource(
      () =>
        new MigrationApp("bad-input", {
          displayName: "x",
          redirectUri: "https://office.com/",
          allowNonstandardRedirectUri: true,
        }),
    );
    expect((await engine.preview(other)).op).toBe("create");
    expect((await engine.preview(withUnknowns(await app(), "displayName", "secretEndDate", "adoptAppId"))).op).toBe(
      "create",
    );
    expect(emulator().requests.length).toBe(mark);
  });

  test("rejects a target tenant id that is not a GUID in the stack configuration", async () => {
    await withProviderHost(emulator(), { config: { targetTenantId: "contoso.onmicrosoft.com" } }, async (other) => {
      const err = await new Engine(other).preview(await app()).catch((e) => e);
      expect(err).toBeInstanceOf(CheckFailedError);
      expect((err as CheckFailedError).failures).toContainEqual({
        property: "config:targetTenantId",
        reason: expect.stringMatching(/not a GUID/),
      });
    });
  });
});

describe("lifecycle", () => {
  test("the serialized provider is small", async () => {
    const r = await app();
    const size = Buffer.byteLength(String(r.inputs.__provider));
    console.log(
      `MigrationApp __provider: ${size} bytes; MigrationAppSecretRetirement: ${Buffer.byteLength(String((await retirement("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002", [])).inputs.__provider))} bytes`,
    );
    expect(size).toBeLessThan(4_096);
  });

  test("preview plans a create and sends nothing", async () => {
    const mark = emulator().requests.length;
    expect((await engine.preview(await app())).op).toBe("create");
    expect(emulator().requests.length).toBe(mark);
  });

  test("up registers the multi-tenant app, its service principal and a secret that signs in", async () => {
    const { op, state } = await engine.up(await app());
    expect(op).toBe("create");
    const o = state.outputs as Rec;
    remember(o);
    const stored = applicationById(emulator(), String(o.applicationObjectId))!;
    expect(state.id).toBe(stored.id);
    expect(stored).toMatchObject({
      displayName: "Cross-tenant mailbox migration",
      signInAudience: "AzureADMultipleOrgs",
      web: { redirectUris: ["https://office.com"] },
      requiredResourceAccess: [
        {
          resourceAppId: EXCHANGE_ONLINE,
          resourceAccess: [{ id: seededMailboxMigrationRoleId(emulator()), type: "Role" }],
        },
      ],
      tags: ["xtmm:migrationApp:xtmm/test/migration-app"],
    });
    expect(keyIdsOf(stored)).toEqual([o.secretKeyId]);
    expect(servicePrincipalsOf(emulator(), String(o.appId)).map((sp) => sp.id)).toEqual([o.servicePrincipalId]);
    const source = emulator().tenants.source.domain;
    expect(o).toMatchObject({
      appId: stored.appId,
      adopted: false,
      createdServicePrincipal: true,
      mailboxMigrationRoleId: seededMailboxMigrationRoleId(emulator()),
      retiringSecretKeyIds: [],
      consentUrl: `${emulator().endpoints.login}/${source}/adminconsent?client_id=${stored.appId}&redirect_uri=https://office.com`,
      hasMailboxMigration: true,
      hasUserRead: false,
      secretPresent: true,
    });
    expect(Date.parse(String(o.secretEndDateTime)) - Date.now()).toBeGreaterThan(729 * 86_400_000);
    expect(await signIn(emulator(), String(o.appId), String(o.clientSecret))).toEqual({ ok: true });
  });

  test("a second preview and up find nothing to change and send nothing", async () => {
    const mark = emulator().requests.length;
    expect((await engine.preview(await app())).op).toBe("same");
    expect((await engine.up(await app())).op).toBe("same");
    // A value not known until apply may change the app: the preview plans an update, still offline.
    expect((await engine.preview(withUnknowns(await app(), "displayName"))).op).toBe("update");
    expect((await engine.preview(withUnknowns(await app(), "rotationTrigger"))).op).toBe("update");
    expect(emulator().requests.length).toBe(mark);
  });

  test("drift made in the portal shows on refresh and the next up repairs it without touching the secret", async () => {
    const stored = applicationById(emulator(), outputs().applicationObjectId)!;
    stored.web = { redirectUris: [] };
    stored.requiredResourceAccess = [];
    const keyBefore = outputs().secretKeyId;
    const refreshed = await engine.refresh({ type: "pulumi-nodejs:dynamic/xtmm:MigrationApp", name: NAME });
    expect(refreshed.op).toBe("drift");
    expect(refreshed.state?.outputs).toMatchObject({
      redirectUris: [],
      hasMailboxMigration: false,
      secretPresent: true,
    });
    expect((await engine.preview(await app())).op).toBe("update");

    const mark = emulator().requests.length;
    const { op, state } = await engine.up(await app());
    expect(op).toBe("update");
    expect(graphWrites(mark).map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /v1.0/applications/${stored.id}`]);
    expect(stored.web).toMatchObject({ redirectUris: ["https://office.com"] });
    expect(stored.requiredResourceAccess).toEqual([
      {
        resourceAppId: EXCHANGE_ONLINE,
        resourceAccess: [{ id: seededMailboxMigrationRoleId(emulator()), type: "Role" }],
      },
    ]);
    expect(state.outputs).toMatchObject({
      secretKeyId: keyBefore,
      redirectUris: ["https://office.com"],
      hasMailboxMigration: true,
    });
    expect((await engine.up(await app())).op).toBe("same");
  });

  test("a secret deleted by hand is replaced by a new one (a rotation), nothing to retire", async () => {
    const stored = applicationById(emulator(), outputs().applicationObjectId)!;
    const old = outputs();
    stored.passwordCredentials = [];
    tenantOf(emulator(), "target").directory.secretValues.get(String(stored.id))?.clear();
    const refreshed = await engine.refresh({ type: "pulumi-nodejs:dynamic/xtmm:MigrationApp", name: NAME });
    expect(refreshed.op).toBe("drift");
    expect(refreshed.state?.outputs.secretPresent).toBe(false);
    const { op, state } = await engine.up(await app());
    expect(op).toBe("update");
    remember(state.outputs);
    expect(state.outputs.secretKeyId).not.toBe(old.secretKeyId);
    expect(state.outputs).toMatchObject({ retiringSecretKeyIds: [], secretPresent: true });
    expect(keyIdsOf(stored)).toEqual([state.outputs.secretKeyId]);
    expect(await signIn(emulator(), old.appId, String(state.outputs.clientSecret))).toEqual({ ok: true });
    await host.waitForOutput("re-adding it means a new secret, which is a rotation");
  });

  test("rotation by trigger: preview says so; up adds a new secret while the old one still signs in; retirement removes the old one", async () => {
    const old = outputs();
    const rotated = await app({ rotationTrigger: "2025-q3" });
    const mark = emulator().requests.length;
    expect((await engine.preview(rotated)).op).toBe("update");
    expect(emulator().requests.length).toBe(mark);
    await host.waitForOutput('the next up ROTATES the client secret: rotationTrigger changed from null to "2025-q3"');

    const { state } = await engine.up(rotated);
    const fresh = state.outputs as typeof old;
    remember(fresh);
    expect(fresh.secretKeyId).not.toBe(old.secretKeyId);
    expect(fresh.retiringSecretKeyIds).toEqual([old.secretKeyId]);
    expect(keyIdsOf(applicationById(emulator(), old.applicationObjectId))).toEqual(
      [old.secretKeyId, fresh.secretKeyId].sort(),
    );
    // Both secrets work: a migration in flight keeps its credential while the endpoint gets the new one.
    expect(await signIn(emulator(), old.appId, old.clientSecret)).toEqual({ ok: true });
    expect(await signIn(emulator(), old.appId, fresh.clientSecret)).toEqual({ ok: true });
    expect((await engine.up(rotated)).op).toBe("update"); // retiring ids pending: re-read, nothing written
    expect(outputs().retiringSecretKeyIds).toEqual([old.secretKeyId]);

    // The retirement refuses to run without the secret it keeps, and never takes that one.
    const wrong = await retirement(old.applicationObjectId, "00000000-0000-0000-0000-0000000000aa", [old.secretKeyId]);
    await expect(engine.up(wrong)).rejects.toThrow(
      /refused, because the secret to keep \(00000000-0000-0000-0000-0000000000aa\) is not on the application/,
    );
    expect(await signIn(emulator(), old.appId, old.clientSecret)).toEqual({ ok: true });
    const keepInList = await retirement(old.applicationObjectId, fresh.secretKeyId, [fresh.secretKeyId]);
    await expect(new Engine(host).preview(keepInList)).rejects.toThrow(
      /is keepSecretKeyId, the secret in use; it is never retired/,
    );

    const retire = await retirement(old.applicationObjectId, fresh.secretKeyId, fresh.retiringSecretKeyIds);
    const r = await engine.up(retire);
    expect(r.op).toBe("create");
    expect(r.state.outputs).toMatchObject({ retiredSecretKeyIds: [old.secretKeyId] });
    expect(keyIdsOf(applicationById(emulator(), old.applicationObjectId))).toEqual([fresh.secretKeyId]);
    const refused = await signIn(emulator(), old.appId, old.clientSecret);
    expect(refused).toMatchObject({ ok: false, code: 7000215 });
    expect(await signIn(emulator(), old.appId, fresh.clientSecret)).toEqual({ ok: true });

    // The app's next up drops the retired id; then everything is quiet again.
    const after = await engine.up(rotated);
    expect(after.op).toBe("update");
    expect(after.state.outputs).toMatchObject({ retiringSecretKeyIds: [], secretKeyId: fresh.secretKeyId });
    const mark2 = emulator().requests.length;
    expect((await engine.up(rotated)).op).toBe("same");
    expect((await engine.up(await retirement(old.applicationObjectId, fresh.secretKeyId, []))).op).toBe("update");
    expect((await engine.up(await retirement(old.applicationObjectId, fresh.secretKeyId, []))).op).toBe("same");
    expect(graphWrites(mark2)).toEqual([]);
  });

  test("rotation by date: when rotateAfter passes, the preview shows it due and up rotates once", async () => {
    const soon = new Date(Date.now() + 1_500).toISOString();
    const scheduled = await app({ rotationTrigger: "2025-q3", rotateAfter: soon });
    const first = await engine.up(scheduled);
    expect(first.op).toBe("update"); // only the schedule is recorded
    expect(first.state.inputs.rotation).toMatch(/^scheduled: /);
    const key = outputs().secretKeyId;
    expect(first.state.outputs.secretKeyId).toBe(key);

    await new Promise((r) => setTimeout(r, Date.parse(soon) - Date.now() + 100));
    const plan = await engine.preview(scheduled);
    expect(plan.op).toBe("update");
    expect(plan.inputs.rotation).toMatch(/^due: rotateAfter .* has passed/);
    await host.waitForOutput(
      `the next up ROTATES the client secret: rotateAfter ${soon} has passed and client secret ${key} was created before it`,
    );

    const { state } = await engine.up(scheduled);
    remember(state.outputs);
    expect(state.outputs.secretKeyId).not.toBe(key);
    expect(state.outputs.retiringSecretKeyIds).toEqual([key]);
    // The new secret postdates rotateAfter: no second rotation (only the pending retirement is re-read).
    await engine.up(await retirement(outputs().applicationObjectId, String(state.outputs.secretKeyId), [key]));
    expect((await engine.up(scheduled)).state.outputs.secretKeyId).toBe(state.outputs.secretKeyId);
    expect((await engine.up(scheduled)).op).toBe("same");
  });

  test("destroy leaves the target directory as it was", async () => {
    const { appId } = outputs();
    await engine.destroy({
      type: "pulumi-nodejs:dynamic/xtmm:MigrationAppSecretRetirement",
      name: "retire-old-secrets",
    });
    await engine.destroy({ type: "pulumi-nodejs:dynamic/xtmm:MigrationApp", name: NAME });
    expect(engine.states.size).toBe(0);
    expect(directorySnapshot(emulator())).toEqual(before);
    expect(taggedApplications(emulator(), "xtmm/test/migration-app")).toEqual([]);
    expect(servicePrincipalsOf(emulator(), appId)).toEqual([]);
  });

  test("refresh drops an app deleted by hand, and destroy of an app already gone succeeds", async () => {
    const e = new Engine(host);
    const r = await app({ naturalKey: "xtmm/test/deleted-by-hand" });
    const { state } = await e.up(r);
    remember(state.outputs);
    const g = await (await import("./support/migrationAppDirectory")).adminGraph(emulator());
    await g.api(`/applications/${state.id}`).delete();
    expect((await e.refresh(r)).op).toBe("gone");
    expect(e.states.size).toBe(0);
    // Destroy with a stale state (no refresh first): already gone is success.
    const again = await e.up(r);
    remember(again.state.outputs);
    await g.api(`/applications/${again.state.id}`).delete();
    await e.destroy(r);
    expect(directorySnapshot(emulator())).toEqual(before);
  });
});
