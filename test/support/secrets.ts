// The one check that no secret stands in something a user or a log can read: a provider host's console, a
// command's output, outputs, errors, files. It fails exactly where `expect(text).not.toContain(secret)` over
// each secret fails (a value that is in the text, an empty value, a value that is not a string), and it says
// which secret leaked where by label, without printing the value, so the failure itself leaks nothing.

/** Secrets by label (a Map or a record), or a plain list (labelled by position). */
export type Secrets = Iterable<string> | ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** Where to look: one text, or several texts each named by where it came from. */
export type Places = string | ReadonlyArray<{ where: string; text: string }>;

function labelled(secrets: Secrets): Array<[string, unknown]> {
  if (secrets instanceof Map) return [...secrets.entries()];
  if (typeof (secrets as Iterable<string>)[Symbol.iterator] === "function")
    return [...(secrets as Iterable<unknown>)].map((value, i) => [`secret #${i + 1}`, value]);
  return Object.entries(secrets);
}

/**
 * Fails when any of the secrets stands in any of the places. A check with nothing to look for could never fail,
 * so an empty list of secrets is itself a failure.
 */
export function expectNoSecrets(places: Places, secrets: Secrets, where = "the text"): void {
  const values = labelled(secrets);
  if (values.length === 0) throw new Error(`no secrets were given to look for in ${where}`);
  for (const [label, value] of values)
    if (typeof value !== "string")
      throw new Error(`${label} to look for in ${where} is not a string (${typeof value})`);
  const texts = typeof places === "string" ? [{ where, text: places }] : places;
  const leaks: string[] = [];
  for (const place of texts)
    for (const [label, value] of values)
      if (place.text.includes(value as string)) leaks.push(`${label} in ${place.where}`);
  if (leaks.length > 0) throw new Error(`secret value(s) in plain text (values not shown): ${leaks.join("; ")}`);
}
