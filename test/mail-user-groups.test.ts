// A MailUser's inputs given as the two objects the wave passes (`planned`, `fromSource`): check spreads them into
// the inputs MailUsers have always kept, refuses them when malformed, and a user staged from sixteen separate
// inputs (state written by earlier code) plans `same` when the program gives the two objects; refresh, update and
// destroy of that state go on as before. Through the real dynamic-provider host against the emulated pair. Needs
// `npx tsc -p tsconfig.json` first.

import { useEmulator } from "./support/emulator";
import { CheckFailedError, Engine, declareResource, withUnknowns } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import type { ProviderHost } from "../harness/providerHost";
import { MailUser, type MailUserArgs } from "../providers/mailUser";
import { spreadGroups } from "../providers/mailUser/groups";
import { PLANNED_VALUES, SOURCE_VALUES } from "../providers/mailUser/inputs";
import { UNKNOWN } from "../providers/context";
import { exchangeCalls, mailUserArgs, targetObjects, theObject, writes } from "./support/mailUsers";

const emulator = useEmulator({ mailboxes: 20 });
const providerHost = useProviderHost(emulator, { env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10" } });
let host: ProviderHost;
beforeAll(() => {
  host = providerHost();
});

/** The same user's arguments in the two objects, as the wave passes them. */
function asOneObject(args: MailUserArgs): MailUserArgs {
  const rest: Record<string, unknown> = { ...args };
  const group = (names: readonly string[]) => {
    const out: Record<string, unknown> = {};
    for (const k of names) {
      if (rest[k] !== undefined) out[k] = rest[k];
      delete rest[k];
    }
    return out;
  };
  const planned = group(PLANNED_VALUES);
  const fromSource = group(SOURCE_VALUES);
  expect(Object.keys(rest)).toEqual([]);
  return { planned, fromSource };
}

const declare = (args: MailUserArgs) => {
  const target = args.targetPrimary ?? (args.planned as { targetPrimary?: string } | undefined)?.targetPrimary;
  return declareResource(() => new MailUser(`mailuser/${String(target)}`, args));
};

describe("spreadGroups", () => {
  test("spreads the values into the inputs and drops the key", () => {
    const { inputs, failures } = spreadGroups({
      planned: { alias: "a" },
      fromSource: { displayName: "A", blockers: [] },
      __provider: "p",
    });
    expect(failures).toEqual([]);
    expect(inputs).toEqual({ __provider: "p", alias: "a", displayName: "A", blockers: [] });
  });

  test("an unknown object (the source read is not done at preview) makes each source value unknown", () => {
    const { inputs, failures } = spreadGroups({ planned: { alias: "a" }, fromSource: UNKNOWN });
    expect(failures).toEqual([]);
    for (const k of SOURCE_VALUES) expect(inputs[k]).toBe(UNKNOWN);
    expect(inputs.alias).toBe("a");
    expect(spreadGroups({ planned: UNKNOWN }).inputs.targetPrimary).toBe(UNKNOWN);
  });

  test("refuses a value given twice, a key that is not a source value, and a non-object, by name", () => {
    expect(spreadGroups({ displayName: "X", fromSource: { displayName: "Y" } }).failures).toEqual([
      { property: "displayName", reason: "is given twice, as displayName and as fromSource.displayName; give one" },
    ]);
    const stray = spreadGroups({ fromSource: { alias: "b" } });
    expect(stray.failures.map((f) => f.property)).toEqual(["fromSource.alias"]);
    expect(stray.inputs.alias).toBeUndefined();
    expect(spreadGroups({ planned: { exchangeGuid: "g" } }).failures.map((f) => f.property)).toEqual([
      "planned.exchangeGuid",
    ]);
    expect(spreadGroups({ fromSource: ["x"] }).failures.map((f) => f.property)).toEqual(["fromSource"]);
  });
});

describe("through the provider host", () => {
  test("check gives the same inputs for sixteen values and for the two objects; a bad object fails before any call", async () => {
    const engine = new Engine(host);
    const flat = mailUserArgs(emulator(), "adelev");
    const flatStep = await engine.plan(await declare(flat));
    const objStep = await engine.plan(await declare(asOneObject(flat)));
    expect(objStep.inputs).toEqual(flatStep.inputs);
    expect(objStep.inputs.fromSource).toBeUndefined();

    const before = emulator().requests.length;
    const bad = await declare({ ...asOneObject(flat), fromSource: { exchangeGuid: "nope", owner: "me" } as never });
    const err: CheckFailedError = await engine.preview(bad).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect(err.failures.map((f) => f.property).sort()).toEqual(
      ["displayName", "exchangeGuid", "externalEmailAddress", "fromSource.owner", "x500Addresses"].sort(),
    );
    expect(emulator().requests.length).toBe(before);
  });

  test("preview with the source read unknown: check passes and the user is a create", async () => {
    const engine = new Engine(host);
    const r = await declare(asOneObject(mailUserArgs(emulator(), "alexw")));
    const step = await engine.preview(withUnknowns(r, "fromSource"));
    expect(step.op).toBe("create");
  });

  test("state staged from sixteen inputs: the two-object program plans same, then refreshes, updates and destroys", async () => {
    const engine = new Engine(host);
    const flat = mailUserArgs(emulator(), "diegos", { purgeOnDelete: true });
    const old = await engine.up(await declare(flat));
    const staged = theObject(emulator(), "diegos@contoso.com");
    expect(staged.ExchangeGuid).toBe(flat.exchangeGuid);

    const before = emulator().requests.length;
    const next = await declare(asOneObject(flat));
    expect((await engine.plan(next)).op).toBe("same");
    await engine.up(next);
    expect(writes(exchangeCalls(emulator(), before))).toEqual([]);

    expect((await engine.refresh(next)).op).toBe("same");
    const renamed = await declare(asOneObject({ ...flat, displayName: "Diego S. (renamed)" }));
    expect((await engine.plan(renamed)).op).toBe("update");
    await engine.up(renamed);
    expect(theObject(emulator(), "diegos@contoso.com").DisplayName).toBe("Diego S. (renamed)");

    await engine.destroy(renamed);
    expect(targetObjects(emulator(), "diegos@contoso.com").live).toEqual([]);
    expect(old.state.id).not.toBe("");
  });
});
