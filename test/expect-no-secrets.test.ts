// The check every test uses for "no secret in plain text" (test/support/secrets.ts) fails exactly where
// `expect(text).not.toContain(secret)` over each secret failed, and its message names the leak without the value.

import { expectNoSecrets } from "./support/secrets";

const SECRET = "s3cr3t-Value-9QzX";

/** The message the check fails with, or undefined when it passes. */
function failure(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

test("passes when no secret stands in the text", () => {
  expect(failure(() => expectNoSecrets("nothing to see", [SECRET, "other-secret"]))).toBeUndefined();
});

test("fails on a secret anywhere in the text, names it by position and where, and does not print it", () => {
  const message = failure(() =>
    expectNoSecrets(`a line\nclientSecret=${SECRET}\n`, ["other-secret", SECRET], "the log"),
  );
  expect(message).toBe("secret value(s) in plain text (values not shown): secret #2 in the log");
  expect(message).not.toContain(SECRET);
});

test("names labelled secrets by their label, and every place that holds one", () => {
  const secrets = new Map([
    ["operator secret", SECRET],
    ["app secret", "app-Secret-77"],
  ]);
  const places = [
    { where: "stdout", text: `token ${SECRET}` },
    { where: "state", text: "clean" },
    { where: "stderr", text: `app-Secret-77 and ${SECRET}` },
  ];
  expect(failure(() => expectNoSecrets(places, secrets))).toBe(
    "secret value(s) in plain text (values not shown): operator secret in stdout; operator secret in stderr; app secret in stderr",
  );
  expect(failure(() => expectNoSecrets("clean", { "operator secret": SECRET }))).toBeUndefined();
  expect(failure(() => expectNoSecrets(`x${SECRET}x`, { "operator secret": SECRET }))).toMatch(/operator secret in/);
});

test("fails where not.toContain failed: an empty secret, a secret that is not a string, and no secret at all", () => {
  // "".includes("") is true, and jest's toContain refuses a non-string expected value against a string.
  expect(failure(() => expectNoSecrets("text", [""]))).toMatch(/secret #1 in the text/);
  expect(failure(() => expectNoSecrets("text", [undefined as unknown as string]))).toMatch(
    /secret #1 to look for in the text is not a string \(undefined\)/,
  );
  // A list with nothing to look for could never fail.
  expect(failure(() => expectNoSecrets("text", [], "the console"))).toBe(
    "no secrets were given to look for in the console",
  );
});
