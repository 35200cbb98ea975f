// A MailUser's source values given as one `fromSource` input (what the wave does since the checkpoint carried the
// source read's URN once per value): check spreads it into the inputs MailUsers have always kept, refuses it when
// malformed, and a user staged from the nine separate inputs (state written by earlier code) plans `same` when the
// program gives them as one object; refresh, update and destroy of that state go on as before. Through the real
// dynamic-provider host against the emulated pair. Needs `npx tsc -p tsconfig.json` first.

import { useEmulator } from "./support/emulator";
import { CheckFailedError, Engine, declareResource, withUnknowns } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import type { ProviderHost } from "../harness/providerHost";
import { MailUser, type MailUserArgs } from "../providers/mailUser";
import { SOURCE_VALUES, spreadFromSource } from "../providers/mailUser/fromSource";
import { UNKNOWN } from "../providers/context";
import { exchangeCalls, mailUserArgs, targetObjects, theObject, writes } from "./support/mailUsers";

const emulator = useEmulator({ mailboxes: 20 });
const providerHost = useProviderHost(emulator, { env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10" } });
let host: ProviderHost;
beforeAll(() => {
  host = providerHost();
});

/** The same user's arguments with the source values moved into `fromSource`, as the wave passes them. */
function asOneObject(args: MailUserArgs): MailUserArgs {
  const rest: Record<string, unknown> = { ...args };
  const fromSource: Record<string, unknown> = {};
  for (const k of SOURCE_VALUES) {
    if (rest[k] !== undefined) fromSource[k] = rest[k];
    delete rest[k];
  }
  return { ...(rest as unknown as MailUserArgs), fromSource };
}

const declare = (args: MailUserArgs) => declareResource(() => new MailUser(`mailuser/${args.targetPrimary}`, args));

describe("spreadFromSource", () => {
  test("spreads the values into the inputs and drops the key", () => {
    const { inputs, failures } = spreadFromSource({ alias: "a", fromSource: { displayName: "A", blockers: [] } });
    expect(failures).toEqual([]);
    expect(inputs).toEqual({ alias: "a", displayName: "A", blockers: [] });
  });

  test("an unknown object (the source read is not done at preview) makes each source value unknown", () => {
    const { inputs, failures } = spreadFromSource({ alias: "a", fromSource: UNKNOWN });
    expect(failures).toEqual([]);
    for (const k of SOURCE_VALUES) expect(inputs[k]).toBe(UNKNOWN);
    expect(inputs.alias).toBe("a");
  });

  test("refuses a value given twice, a key that is not a source value, and a non-object, by name", () => {
    expect(spreadFromSource({ displayName: "X", fromSource: { displayName: "Y" } }).failures).toEqual([
      { property: "displayName", reason: "is given twice, as displayName and as fromSource.displayName; give one" },
    ]);
    const stray = spreadFromSource({ fromSource: { alias: "b" } });
    expect(stray.failures.map((f) => f.property)).toEqual(["fromSource.alias"]);
    expect(stray.inputs.alias).toBeUndefined();
    expect(spreadFromSource({ fromSource: ["x"] }).failures.map((f) => f.property)).toEqual(["fromSource"]);
  });
});

describe("through the provider host", () => {
  test("check gives the same inputs for nine values and for one object; a bad object fails before any call", async () => {
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

  test("state staged from nine inputs: the one-object program plans same, then refreshes, updates and destroys", async () => {
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
