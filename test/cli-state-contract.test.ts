// State written by an earlier version keeps working, through the REAL Pulumi CLI: the sandbox stack is brought
// up, then its checkpoint is given the provider text every resource carried before the shim was written by hand
// (the SDK's serialized closure, test/fixtures/shims/, one per resource kind) and imported, as a stack that an
// earlier version wrote would hold it. Refresh, preview and up then find nothing to change and write nothing, the
// up moves the inputs to the new text while the outputs keep the old one (which refresh and destroy run), and
// destroy leaves both tenants as they were. The imported state also lacks the `tenantId` input and the migration
// endpoint's `remoteServer` input, as state written before they existed does. Needs `npx tsc -p tsconfig.json` first.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { useEmulator } from "./support/emulator";
import { CliStack, emulatorConfig, ROOT, type StackExport } from "../harness/pulumiCli";
import { writesSince } from "./engineers-day.test";
import { BINNED_APP, afterDestroy, snapshot, type Snapshot } from "./support/tenantSnapshot";
import { shimSource } from "../providers/dynamic";
import type { Rec } from "../emulator/model";

jest.setTimeout(600_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const fixture = (name: string) =>
  fs.readFileSync(path.join(__dirname, "fixtures", "shims", `protocol-1-${name}-organizationCustomization.js`), "utf8");
const LEGACY = fixture("sdk-serialized");
const HAND_WRITTEN = fixture("hand-written");
/** The earlier texts for a kind (the kind is the only thing that differs between kinds), alternated across resources. */
const legacyFor = (kind: string, i: number) =>
  i % 2 === 0
    ? LEGACY.replace('kind: "organizationCustomization"', `kind: ${JSON.stringify(kind)}`)
    : HAND_WRITTEN.replace('"organizationCustomization"', JSON.stringify(kind));
const isLegacy = (text: string) => text.includes("with({ protocol: 1, kind:") || text.includes(".dispatch(1, ");
const kindOf = (text: string) => /(?:dispatch\(1, |provider\(1, |kind: )"([^"]+)"/.exec(text)?.[1];

const emulator = useEmulator();
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-contract-reports-"));
let stack: CliStack;
let before: Snapshot;

const dynamic = (s: StackExport) =>
  (s.deployment.resources ?? []).filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
const providerTexts = (s: StackExport, side: "inputs" | "outputs") => [
  ...new Set(dynamic(s).map((r) => String((r[side] as Rec).__provider))),
];

beforeAll(async () => {
  const { config, secrets } = emulatorConfig(emulator());
  stack = await CliStack.create(emulator(), {
    stack: "contract",
    config: { ...SANDBOX.config, ...config, "xtmm:readinessReportDir": REPORTS },
    secrets,
  });
  before = snapshot(emulator());
});
afterAll(() => {
  stack?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

test("the fixture is the serializer's text: it names runtime.js and the kind, and is not today's shim", () => {
  expect(LEGACY).toContain('with({ protocol: 1, kind: "organizationCustomization"');
  expect(LEGACY).toContain(
    'require(join(root, "dist", "providers", "runtime.js")).dispatch(protocol, kind, method, args)',
  );
  expect(LEGACY).not.toBe(shimSource("organizationCustomization"));
});

test("up writes today's short shim into every resource, inputs and outputs", async () => {
  await stack.up();
  const state = await stack.export();
  // 14 resources of the pair and its wave, and the wave's five MailUsers.
  expect(dynamic(state).length).toBe(19);
  for (const side of ["inputs", "outputs"] as const) {
    for (const text of providerTexts(state, side)) expect([side, text]).toEqual([side, shimSource(kindOf(text)!)]);
  }
});

test("with the earlier text imported into every resource, refresh, preview and up change nothing and write nothing", async () => {
  const state = await stack.export();
  const withTenantInput = dynamic(state)
    .filter((r) => (r.inputs as Rec).tenantId !== undefined)
    .map((r) => r.urn);
  const withServerInput = dynamic(state)
    .filter((r) => (r.inputs as Rec).remoteServer !== undefined)
    .map((r) => r.urn);
  dynamic(state).forEach((r, i) => {
    for (const side of ["inputs", "outputs"] as const) {
      const props = r[side] as Rec;
      props.__provider = legacyFor(kindOf(String(props.__provider))!, i);
    }
    // Nor did earlier versions have the tenantId input: the tenant was read from the configuration in diff.
    delete (r.inputs as Rec).tenantId;
    // Nor the endpoint's remoteServer input: diff read the cloud from the configuration.
    delete (r.inputs as Rec).remoteServer;
  });
  const file = path.join(stack.dir, "legacy-state.json");
  fs.writeFileSync(file, JSON.stringify(state));
  await stack.ok(["stack", "import", "--file", file]);
  expect(providerTexts(await stack.export(), "outputs").every(isLegacy)).toBe(true);

  const mark = emulator().requests.length;
  await stack.ok(["refresh", "--yes", "--expect-no-changes"]);
  await stack.ok(["preview", "--expect-no-changes"]);
  await stack.ok(["up", "--yes", "--expect-no-changes"]);
  expect(writesSince(emulator(), mark)).toEqual([]);
  // The engine records the program's inputs (today's text) and keeps the outputs, which still carry the old one.
  const after = await stack.export();
  expect(providerTexts(after, "inputs").every((t) => t === shimSource(kindOf(t)!))).toBe(true);
  expect(providerTexts(after, "outputs").every(isLegacy)).toBe(true);
  // The six kinds that live in one tenant of the pair record it as an input again (both tenants' customization,
  // consent and relationship, the app, the scoping group and the migration endpoint), and it is the tenant the
  // object was made in.
  expect(withTenantInput.length).toBe(9);
  for (const r of dynamic(after).filter((r) => withTenantInput.includes(r.urn))) {
    expect([r.urn, (r.inputs as Rec).tenantId]).toEqual([r.urn, (r.outputs as Rec).tenantId]);
  }
  // The migration endpoint records the RemoteServer again, the one it has.
  expect(withServerInput).toEqual([expect.stringMatching(/::migration-endpoint$/)]);
  for (const r of dynamic(after).filter((r) => withServerInput.includes(r.urn))) {
    expect([r.urn, (r.inputs as Rec).remoteServer]).toEqual([r.urn, (r.outputs as Rec).remoteServer]);
  }
  await stack.ok(["refresh", "--yes", "--expect-no-changes"]);
});

test("destroy through the earlier text leaves both tenants as they were", async () => {
  const appId = String(
    (dynamic(await stack.export()).find((r) => r.urn.endsWith("::migration-app"))!.outputs as Rec).appId,
  );
  await stack.ok(["destroy", "--yes"]);
  expect((await stack.export()).deployment.resources ?? []).toEqual([]);
  const { after, was, binned } = afterDestroy(emulator(), before, appId);
  expect(binned).toEqual(BINNED_APP);
  expect(after).toEqual(was);
});
