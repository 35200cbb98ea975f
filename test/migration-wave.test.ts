// MigrationWave under pulumi.runtime.setMocks: which children a wave declares in each administration mode,
// their names and parents, what each MailUser is given from its source mailbox, that the scoping group's
// members are known at preview (the engine echoes a to-be-created resource's checked inputs, which is what
// the mocks answer here), the users' states after an up, and the split-administration refusal when the
// source stack did not read a user; and a wave's moves: its readiness, licences and batch, which users the
// batch takes (not the held, not the blocked, but a user moving in the wave's own batch), and what each waits
// for. Provider methods never run here; the provider-host tests cover them.

import { spreadGroups } from "../providers/mailUser/groups";
import * as pulumi from "@pulumi/pulumi";
import {
  MigrationWave,
  indexBySource,
  mailboxFor,
  type MigrationWaveArgs,
  type WaveUser,
} from "../components/migrationWave";
import type { SourceMailbox } from "../providers/sourceMailboxes";
import type { PlannedUser } from "../providers/staging/plan";

const GUID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const planned = (alias: string, extra: Partial<PlannedUser> = {}): PlannedUser => ({
  sourceAddress: `${alias}@fabrikam.com`,
  targetPrimary: `${alias}@contoso.com`,
  userPrincipalName: `${alias}@contoso.com`,
  alias,
  ...extra,
});
const USERS = [planned("adelev", { displayName: "Adele V." }), planned("diegos"), planned("info"), planned("alexw")];

/** What SourceMailboxes' check answers for a user: adelev has an archive, diegos is on hold, info is shared, alexw moved. */
function mailbox(u: PlannedUser, i: number): SourceMailbox {
  const alias = u.alias;
  return {
    sourceAddress: u.sourceAddress,
    targetPrimary: u.targetPrimary,
    state: alias === "diegos" ? "blocked" : alias === "alexw" ? "moved" : "ready",
    blockers:
      alias === "diegos" ? ["litigation hold is enabled; remove the hold or leave the user out of the wave"] : [],
    primarySmtpAddress: u.sourceAddress,
    name: alias,
    alias,
    displayName: `${alias} (source)`,
    firstName: alias === "info" ? "" : `First-${alias}`,
    lastName: alias === "info" ? "" : `Last-${alias}`,
    recipientTypeDetails: alias === "info" ? "SharedMailbox" : alias === "alexw" ? "MailUser" : "UserMailbox",
    exchangeGuid: GUID(i + 1),
    archiveGuid: alias === "adelev" ? GUID(100 + i) : "",
    x500Addresses: [
      `x500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${alias}`,
    ],
  };
}
const MAILBOXES = USERS.map(mailbox);

/** What the Readiness resource answers: info is unlicensed, alexw's source reports the wave's own batch moving it. */
const readinessAnswer = {
  blockedUsers: ["info@contoso.com", "adelev@contoso.com"],
  findings: [
    {
      check: "user.licence",
      severity: "blocking",
      tenant: "target",
      user: "info@contoso.com",
      pending: false,
      message: "unlicensed",
      fix: "",
    },
    {
      check: "user.source.moving",
      severity: "blocking",
      tenant: "source",
      user: "adelev@contoso.com",
      pending: false,
      message:
        "adelev@contoso.com (source adelev@fabrikam.com): a move is already under way (MailboxMoveStatus InProgress, batch wave-1; SourceMailboxAlreadyBeingMovedPermanentException)",
      fix: "",
    },
  ],
};

/** Stands for the migration endpoint a wave is staged after. */
class Endpoint extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Endpoint", name, {});
  }
}

type Registered = {
  type: string;
  name: string;
  inputs: Record<string, any>;
  deps: string[];
  urn?: string;
  /** The files of the call stack the SDK sends for the engine to record, innermost first. */
  stack?: string[];
  /** When the request was sent and when it was answered, counted over all of the run's registrations. */
  sent?: number;
  answered?: number;
};

/** A second wave's users, for the order in which a pair's waves stage. */
const LATER_USERS = [planned("meganb"), planned("lynner"), planned("johannal")];
const ALL_MAILBOXES = [...MAILBOXES, ...LATER_USERS.map((u, i) => mailbox(u, 10 + i))];

/**
 * The SDK's mocks, with each registration's dependencies, stack and order recorded. preview: a new resource's
 * outputs are its (checked) inputs, as the engine answers at preview; SourceMailboxes' check adds `mailboxes`.
 * up: MailUsers also report their flags.
 */
async function mockEngine(preview: boolean): Promise<Registered[]> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(raw) {
        // A MailUser's check spreads `fromSource` into its inputs; mocks run no check, so do it here.
        const a = { ...raw, inputs: spreadGroups(raw.inputs).inputs as Record<string, any> };
        const r: Registered = { type: a.type, name: a.name, inputs: a.inputs, deps: [] };
        registered.push(r);
        if (a.type.endsWith(":Readiness")) return { id: `${a.name}-id`, state: { ...a.inputs, ...readinessAnswer } };
        if (a.type.endsWith(":SourceMailboxes"))
          return {
            id: `${a.name}-id`,
            state: {
              ...a.inputs,
              mailboxes: ALL_MAILBOXES.filter((m) =>
                a.inputs.users.some((u: PlannedUser) => u.sourceAddress === m.sourceAddress),
              ),
            },
          };
        if (a.type.endsWith(":MailUser") && !preview) {
          const held = a.inputs.blockers.length > 0;
          const migrated = a.inputs.sourceAddress === "alexw@fabrikam.com";
          return { id: `${a.name}-id`, state: { ...a.inputs, held, migrated, staged: !held } };
        }
        return { id: `${a.name}-id`, state: a.inputs };
      },
      call: (a) => a.inputs,
    },
    "xtmm",
    "unit",
    preview,
  );
  // The mocks' args carry no dependencies; the registration request does.
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  let clock = 0;
  monitor.registerResource = (req: any, callback: any) => {
    const deps: string[] = req.getDependenciesList();
    const sent = clock++;
    const stack: string[] = (req.getStacktrace()?.getFramesList() ?? []).map((f: any) =>
      String(f.getPc()?.getUri() ?? ""),
    );
    const done = (err: any, resp: any) => {
      const r = registered.find((x) => x.name === req.getName() && x.type === req.getType());
      if (r) {
        r.deps = deps;
        r.urn = resp?.getUrn?.();
        r.stack = stack;
        r.sent = sent;
        r.answered = clock++;
      }
      callback(err, resp);
    };
    return register(req, done);
  };
  return registered;
}

/** Builds one wave under mocks. */
async function runWave(args: Partial<MigrationWaveArgs>, preview: boolean) {
  const registered = await mockEngine(preview);
  const endpoint = new Endpoint("endpoint");
  const wave = new MigrationWave("wave-1", {
    users: USERS,
    targetDomains: ["contoso.com"],
    targetDeliveryDomain: "contoso.onmicrosoft.com",
    purgeStagedUsersOnDestroy: true,
    manage: { source: true, target: true },
    stageAfter: [endpoint],
    ...args,
  });
  const known = <T>(o: pulumi.Output<T>) =>
    new Promise<{ known: boolean; value?: T }>((resolve) => {
      (o as any).isKnown.then((k: boolean) =>
        k ? o.apply((value) => resolve({ known: true, value })) : resolve({ known: false }),
      );
    });
  const result = {
    sourceMailboxes: await known(wave.sourceMailboxes),
    staged: await known(wave.stagedSourceAddresses),
    users: await known(wave.users),
    endpointUrn: await known(endpoint.urn),
    waveUrn: await known(wave.urn),
  };
  await Promise.all(wave.mailUsers.map((m) => known(m.urn)));
  // Readiness, licences and batches register once their inputs resolve.
  await (pulumi.runtime as any).waitForRPCs();
  return { registered, ...result };
}

const ofType = (r: Registered[], type: string) => r.filter((x) => x.type === `pulumi-nodejs:dynamic/xtmm:${type}`);

describe("MigrationWave", () => {
  test("preview, both sides: one SourceMailboxes and a MailUser per user, parented to the wave, stamped from the source", async () => {
    const run = await runWave({}, true);
    const readers = ofType(run.registered, "SourceMailboxes");
    expect(readers.map((r) => r.name)).toEqual(["source-mailboxes/wave-1"]);
    expect(readers[0].inputs).toMatchObject({
      wave: "wave-1",
      users: USERS,
      targetDomains: ["contoso.com"],
      targetDeliveryDomain: "contoso.onmicrosoft.com",
    });
    const mailUsers = ofType(run.registered, "MailUser");
    // The SDK registers a resource once its inputs are serialized, so the order follows their sizes, not the wave's.
    expect(mailUsers.map((r) => r.name).sort()).toEqual(USERS.map((u) => `mailuser/${u.targetPrimary}`).sort());
    for (const r of [...readers, ...mailUsers])
      expect(r.urn).toContain("::xtmm:index:MigrationWave$pulumi-nodejs:dynamic/xtmm:");

    const of = (target: string) => mailUsers.find((r) => r.name === `mailuser/${target}`)!.inputs;
    const adele = of("adelev@contoso.com");
    expect(adele).toMatchObject({
      sourceAddress: "adelev@fabrikam.com",
      targetPrimary: "adelev@contoso.com",
      userPrincipalName: "adelev@contoso.com",
      alias: "adelev",
      name: "adelev",
      displayName: "Adele V.", // declared wins over the source
      firstName: "First-adelev",
      lastName: "Last-adelev",
      externalEmailAddress: "adelev@fabrikam.com",
      exchangeGuid: GUID(1),
      archiveGuid: GUID(100),
      x500Addresses: MAILBOXES[0].x500Addresses,
      deliveryAddress: "adelev@contoso.onmicrosoft.com",
      sharedMailbox: false,
      blockers: [],
      purgeOnDelete: true,
    });
    expect(of(USERS[1].targetPrimary)).toMatchObject({
      displayName: "diegos (source)",
      blockers: MAILBOXES[1].blockers,
    });
    expect(of(USERS[2].targetPrimary)).toMatchObject({
      sharedMailbox: true,
      archiveGuid: "",
      firstName: "",
      lastName: "",
    });
    // No call stack is sent for a MailUser (components/declarationStacks.ts); other resources keep their whole
    // stack, down to this test.
    for (const m of mailUsers) expect(m.stack).toEqual([]);
    expect(readers[0].stack!.some((f) => /migration-wave\.test\.ts$/.test(f))).toBe(true);
    // Staging waits for the endpoint (stageAfter) and for the source read (through its inputs); both are named,
    // so that destroy removes the MailUsers before the endpoint.
    for (const m of mailUsers) expect(m.deps).toEqual(expect.arrayContaining([run.endpointUrn.value, readers[0].urn]));

    // Known at preview: what the scoping group and the plan need.
    expect(run.sourceMailboxes).toEqual({ known: true, value: MAILBOXES });
    expect(run.staged).toEqual({
      known: true,
      value: ["adelev@fabrikam.com", "info@fabrikam.com", "alexw@fabrikam.com"],
    });
  });

  test("up: each user's state and reasons come from its MailUser", async () => {
    const run = await runWave({}, false);
    expect(run.users.value).toEqual<WaveUser[]>([
      { source: "adelev@fabrikam.com", target: "adelev@contoso.com", state: "staged", reasons: [] },
      { source: "diegos@fabrikam.com", target: "diegos@contoso.com", state: "held", reasons: MAILBOXES[1].blockers },
      { source: "info@fabrikam.com", target: "info@contoso.com", state: "staged", reasons: [] },
      { source: "alexw@fabrikam.com", target: "alexw@contoso.com", state: "migrated", reasons: [] },
    ]);
  });

  test("split, source stack: reads and publishes the mailboxes, stages nothing", async () => {
    const run = await runWave({ manage: { source: true, target: false } }, true);
    expect(ofType(run.registered, "SourceMailboxes")).toHaveLength(1);
    expect(ofType(run.registered, "MailUser")).toHaveLength(0);
    expect(run.sourceMailboxes.value).toEqual(MAILBOXES);
    expect(run.users.value?.map((u) => u.state)).toEqual(["planned", "held", "planned", "migrated"]);
  });

  test("split, target stack: stages from the source stack's mailboxes without reading the source", async () => {
    const run = await runWave(
      { manage: { source: false, target: true }, sourceMailboxes: pulumi.output([...MAILBOXES].reverse()) },
      true,
    );
    expect(ofType(run.registered, "SourceMailboxes")).toHaveLength(0);
    const mailUsers = ofType(run.registered, "MailUser");
    expect(mailUsers.map((r) => r.inputs.exchangeGuid).sort()).toEqual([GUID(1), GUID(2), GUID(3), GUID(4)]);
    expect(run.staged.value).toEqual(["adelev@fabrikam.com", "info@fabrikam.com", "alexw@fabrikam.com"]);
  });

  test("split, target stack: a user the source stack did not read is refused by name with the fix", () => {
    // The component looks every user up with mailboxFor; a miss fails that user's MailUser with this message.
    const index = indexBySource(MAILBOXES.slice(0, 2));
    expect(mailboxFor("wave-1", USERS[1], index)).toBe(MAILBOXES[1]);
    expect(() => mailboxFor("wave-1", USERS[2], index)).toThrow(
      "wave wave-1: no source mailbox was read for info@fabrikam.com (the source stack publishes them); add it to wave wave-1 in the source stack and run `pulumi up` there first, or remove it from this wave",
    );
  });
});

describe("a pair's waves", () => {
  // The program holds the SDK's Outputs of every MailUser it has declared until the engine answers it; so a
  // later wave declares its MailUsers only once the wave before has all been answered (components/waveStaging.ts).
  test.each([
    ["preview", true],
    ["up", false],
  ])(
    "%s: the second wave's MailUsers are sent only after every MailUser of the first was answered",
    async (_, preview) => {
      const registered = await mockEngine(preview);
      const endpoint = new Endpoint("endpoint");
      const common = {
        targetDomains: ["contoso.com"],
        targetDeliveryDomain: "contoso.onmicrosoft.com",
        purgeStagedUsersOnDestroy: false,
        manage: { source: true, target: true },
        stageAfter: [endpoint],
      };
      const first = new MigrationWave("wave-1", { ...common, users: USERS });
      const second = new MigrationWave("wave-2", {
        ...common,
        users: LATER_USERS,
        stageAfterWave: first.staged,
        moves: {
          readiness: { appId: "app", scopeGroup: "g", endpointName: "e", reportPath: "/tmp/r.md", dependsOnValues: [] },
        },
      });
      // Declared at once: the first wave's; the second's wait, though its source read is declared at once.
      expect(first.mailUsers).toHaveLength(USERS.length);
      expect(second.mailUsers).toEqual([]);
      expect(second.reader).toBeDefined();
      await second.staged;
      await (pulumi.runtime as any).waitForRPCs();

      const firstUsers = ofType(registered, "MailUser").filter((r) =>
        USERS.some((u) => r.name === `mailuser/${u.targetPrimary}`),
      );
      const laterUsers = ofType(registered, "MailUser").filter((r) =>
        LATER_USERS.some((u) => r.name === `mailuser/${u.targetPrimary}`),
      );
      expect(firstUsers).toHaveLength(USERS.length);
      expect(laterUsers).toHaveLength(LATER_USERS.length);
      const firstAnswered = Math.max(...firstUsers.map((r) => r.answered!));
      for (const r of laterUsers) expect(r.sent).toBeGreaterThan(firstAnswered);
      // Stamped as a first wave's are, and under their own wave.
      expect(laterUsers[0].urn).toContain("xtmm:index:MigrationWave$pulumi-nodejs:dynamic/xtmm:MailUser::mailuser/");
      expect(laterUsers.map((r) => r.inputs.exchangeGuid).sort()).toEqual(
        ALL_MAILBOXES.slice(USERS.length)
          .map((m) => m.exchangeGuid)
          .sort(),
      );
      // The second wave's source read did not wait for the first wave's staging.
      const laterRead = ofType(registered, "SourceMailboxes").find((r) => r.name === "source-mailboxes/wave-2")!;
      expect(laterRead.sent).toBeLessThan(firstAnswered);
      // Its readiness still runs after its own MailUsers (and names none of them).
      const [readiness] = ofType(registered, "Readiness");
      expect(readiness.sent).toBeGreaterThan(Math.max(...laterUsers.map((r) => r.answered!)));
      expect(readiness.deps.filter((d) => laterUsers.some((m) => m.urn === d))).toEqual([]);
      // After an up its users' states come from its MailUsers, as a first wave's do (unknown at preview).
      if (!preview) {
        const users = await new Promise<WaveUser[]>((resolve) => second.users.apply(resolve));
        expect(users.map((u) => u.state)).toEqual(["staged", "staged", "staged"]);
      }
    },
  );
});

describe("a wave's moves", () => {
  const MOVES: MigrationWaveArgs["moves"] = {
    readiness: {
      appId: "app",
      scopeGroup: "migration-to-contoso",
      endpointName: "endpoint",
      reportPath: "/tmp/r.md",
      dependsOnValues: ["scope-members"],
    },
    licences: { tenant: "target", usageLocation: "US" },
    batch: {
      start: true,
      complete: false,
      completeAfter: "",
      sourceEndpoint: "endpoint",
      removeCompletedOnDestroy: false,
    },
  };

  test("readiness, licences and the batch are the wave's children; the batch takes neither the held nor the blocked user", async () => {
    const run = await runWave({ moves: MOVES }, false);
    const [readiness] = ofType(run.registered, "Readiness");
    const [licences] = ofType(run.registered, "LicenceAssignment");
    const [batch] = ofType(run.registered, "MigrationBatch");
    for (const r of [readiness, licences, batch])
      expect(r.urn).toContain("::xtmm:index:MigrationWave$pulumi-nodejs:dynamic/xtmm:");
    expect(readiness.inputs).toMatchObject({
      wave: "wave-1",
      users: USERS.map((u) => ({ source: u.sourceAddress, target: u.targetPrimary })),
      reportPath: "/tmp/r.md",
      targetDeliveryDomain: "contoso.onmicrosoft.com",
    });
    expect(readiness.inputs.refreshToken).toMatch(/^[0-9a-f]{16}$/);
    // The held user (litigation hold) gets no licence; the moved one keeps its own, so nothing changes after a move.
    expect(licences.inputs).toMatchObject({
      wave: "wave-1",
      tenant: "target",
      users: ["adelev@contoso.com", "info@contoso.com", "alexw@contoso.com"],
      usageLocation: "US",
    });
    // diegos held, info blocked; adelev is blocked only by the wave's own batch moving it, so it stays.
    expect(batch.inputs).toMatchObject({
      name: "wave-1",
      targetAddresses: ["adelev@contoso.com", "alexw@contoso.com"],
      sourceEndpoint: "endpoint",
      start: true,
    });
    // The licence waits for every stamped MailUser; the batch for the MailUsers, readiness and licences.
    const mailUserUrns = run.registered.filter((r) => r.type.endsWith(":MailUser")).map((r) => r.urn);
    expect(licences.deps).toEqual(expect.arrayContaining(mailUserUrns));
    expect(batch.deps).toEqual(expect.arrayContaining([...mailUserUrns, readiness.urn, licences.urn]));
    // Readiness waits for every MailUser too, but through a token that names none of them (components/orderOnly.ts):
    // its request is sent after each MailUser's was answered, and its dependencies hold no MailUser.
    expect(readiness.deps).toEqual(expect.arrayContaining([licences.urn]));
    expect(readiness.deps.filter((d) => mailUserUrns.includes(d))).toEqual([]);
    const mailUsersAnswered = Math.max(
      ...run.registered.filter((r) => r.type.endsWith(":MailUser")).map((r) => r.answered!),
    );
    expect(readiness.sent).toBeGreaterThan(mailUsersAnswered);
  });

  test("at preview, while MailUsers are still to be made, readiness's refreshToken is unknown (its findings wait for up)", async () => {
    const run = await runWave({ moves: { readiness: MOVES!.readiness } }, true);
    const [readiness] = ofType(run.registered, "Readiness");
    // The mocks hand an unknown input over as a marker, not as a value.
    expect(typeof readiness.inputs.refreshToken).not.toBe("string");
    expect(readiness.inputs.users).toHaveLength(USERS.length);
    expect(ofType(run.registered, "LicenceAssignment")).toEqual([]);
    expect(ofType(run.registered, "MigrationBatch")).toEqual([]);
  });

  test("a wave allowed several batches tells its source read so (maxUsers 0)", async () => {
    const run = await runWave({ maxUsers: 0 }, true);
    expect(ofType(run.registered, "SourceMailboxes")[0].inputs.maxUsers).toBe(0);
    expect(
      (await runWave({}, true)).registered.find((r) => r.type.endsWith(":SourceMailboxes"))!.inputs.maxUsers,
    ).toBeUndefined();
  });
});
