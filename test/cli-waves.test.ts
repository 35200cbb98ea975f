// A pair of two waves through the REAL Pulumi CLI against the emulator: the second wave declares its
// MailUsers only once every MailUser of the first has been answered (components/waveStaging.ts), so the
// program holds one wave's in flight. Through the real engine that must still stage every user of both waves
// in one `pulumi up` (the program may not end while the second wave waits), the engine must create the
// second wave's MailUsers after the first's, and the next preview must plan nothing: each wave's readiness
// counts the target's licences left after both waves were licensed (components/waveStaging.ts pairDone). Needs
// `npx tsc -p tsconfig.json` first (the program and the provider host load dist/).

import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { useEmulator } from "./support/emulator";
import { CliStack, emulatorConfig, ROOT } from "../harness/pulumiCli";
import { nameOf, type StateResource } from "../harness/cliOutput";

jest.setTimeout(600_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const WAVES = {
  "wave-1": ["alexw@fabrikam.com", "adelev@fabrikam.com"],
  "wave-2": ["meganb@fabrikam.com", "info@fabrikam.com"],
};

const emulator = useEmulator();
let stack: CliStack;

beforeAll(async () => {
  const { config, secrets } = emulatorConfig(emulator());
  stack = await CliStack.create(emulator(), {
    stack: "two-waves",
    config: {
      ...SANDBOX.config,
      ...config,
      "xtmm:waves": Object.fromEntries(Object.entries(WAVES).map(([w, users]) => [w, { users }])),
    },
    secrets,
  });
});
afterAll(() => stack?.dispose());

const mailUsersOf = (resources: StateResource[], wave: string) =>
  resources.filter(
    (r) => r.type.endsWith(":MailUser") && r.urn.includes(`xtmm:index:MigrationWave$`) && waveOf(r) === wave,
  );
const waveOf = (r: StateResource): string | undefined =>
  Object.entries(WAVES).find(([, users]) =>
    users.some((u) => nameOf(r.urn) === `mailuser/${u.replace("@fabrikam.com", "@contoso.com")}`),
  )?.[0];

test("one up stages both waves, the second's MailUsers after the first's; the next preview plans nothing", async () => {
  const preview = await stack.previewJson();
  const planned = (preview.steps ?? []).filter((s) => s.op === "create" && /::mailuser\//.test(s.urn));
  // The preview shows the second wave's MailUsers too: they are declared once the first wave's are answered,
  // which at preview is at once.
  expect(planned.map((s) => nameOf(s.urn)).sort()).toEqual(
    Object.values(WAVES)
      .flat()
      .map((u) => `mailuser/${u.replace("@fabrikam.com", "@contoso.com")}`)
      .sort(),
  );

  await stack.up();
  const resources = (await stack.export()).deployment.resources ?? [];
  const first = mailUsersOf(resources, "wave-1");
  const second = mailUsersOf(resources, "wave-2");
  expect(first).toHaveLength(2);
  expect(second).toHaveLength(2);
  for (const r of [...first, ...second]) expect(r.outputs?.staged).toBe(true);
  const times = (rs: StateResource[]) => rs.map((r) => Date.parse(r.created ?? ""));
  for (const t of [...times(first), ...times(second)]) expect(Number.isFinite(t)).toBe(true);
  expect(Math.min(...times(second))).toBeGreaterThanOrEqual(Math.max(...times(first)));

  const left = (wave: string) =>
    ((resources.find((r) => nameOf(r.urn) === `readiness/${wave}`)?.outputs?.licences ?? {}) as Record<string, unknown>)
      .target;
  expect(left("wave-1")).toEqual(expect.objectContaining({ available: expect.any(Number) }));
  expect(left("wave-1")).toEqual(left("wave-2"));

  await stack.ok(["preview", "--expect-no-changes"]);
});
