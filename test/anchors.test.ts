// Anchored inputs (providers/anchors.ts) through Pulumi's real dynamic-provider host, on AdminConsent: at preview
// an appId the engine does not know yet is taken as the one recorded while the anchor holds, and as a possible
// change otherwise (another anchor, a known other appId, or state written before anchors existed). The real
// engine's preview of a rotation is in test/cli-secrets.test.ts. Needs `npx tsc -p tsconfig.json` first.

import { useEmulator } from "./support/emulator";
import { Engine, declareResource, withUnknowns, type DeclaredResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { AdminConsent, type AdminConsentArgs } from "../providers/adminConsent";
import { registerMultiTenantApp, servicePrincipals } from "./support/consentDirectory";

const emulator = useEmulator();
const providerHost = useProviderHost(emulator);
const declare = (name: string, args: AdminConsentArgs) => declareResource(() => new AdminConsent(name, args));
const ANCHOR = JSON.stringify(["tenant", null]);

let engine: Engine;
let appId: string;
let anchored: DeclaredResource;
let legacy: DeclaredResource;

beforeAll(async () => {
  engine = new Engine(providerHost());
  appId = await registerMultiTenantApp(emulator(), "xtmm anchors app");
  anchored = await declare("consent/target", { tenant: "target", appId, anchors: { appId: ANCHOR } });
  legacy = await declare("consent/source", { tenant: "source", appId });
  await engine.up(anchored);
  await engine.up(legacy);
});

test("the anchors are recorded in the outputs, and the provider's own outputs are unchanged by them", () => {
  const outputs = engine.state(anchored)!.outputs;
  expect(outputs.anchors).toEqual({ appId: ANCHOR });
  expect(outputs.appId).toBe(appId);
  expect(engine.state(legacy)!.outputs.anchors).toBeUndefined();
  expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(1);
});

test("an unknown appId under the recorded anchor is no change, and preview sends nothing", async () => {
  const mark = emulator().requests.length;
  expect((await engine.preview(withUnknowns(anchored, "appId"))).op).toBe("same");
  expect(emulator().requests.length).toBe(mark);
});

test("an unknown appId under another anchor is still a possible replacement", async () => {
  const other = await declare("consent/target", {
    tenant: "target",
    appId,
    anchors: { appId: JSON.stringify(["other tenant", null]) },
  });
  const step = await engine.preview(withUnknowns(other, "appId"));
  expect([step.op, step.diff?.replaces]).toEqual(["replace", ["appId"]]);
});

test("the anchor never hides a known change: another appId under the same anchor is a replacement", async () => {
  const other = await declare("consent/target", {
    tenant: "target",
    appId: "11111111-2222-3333-4444-555555555555",
    anchors: { appId: ANCHOR },
  });
  expect((await engine.preview(other)).op).toBe("replace");
});

test("state written before anchors existed keeps the conservative answer, and a no-op up stays a no-op", async () => {
  const now = await declare("consent/source", { tenant: "source", appId, anchors: { appId: ANCHOR } });
  expect((await engine.preview(withUnknowns(now, "appId"))).op).toBe("replace");
  const mark = emulator().requests.length;
  expect((await engine.up(now)).op).toBe("same");
  expect(emulator().requests.length).toBe(mark);
  legacy = now;
});

test("destroy takes an anchored consent down as any other (the provider never sees the anchors)", async () => {
  await engine.destroy(anchored);
  await engine.destroy(legacy);
  expect(servicePrincipals(emulator(), "source", appId)).toHaveLength(0);
});
