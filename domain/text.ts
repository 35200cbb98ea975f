// How this project compares names, addresses and ids that Microsoft treats case-insensitively.

/** The value as text, without surrounding blanks, in lower case ("" for null or undefined). */
export const lower = (v: unknown): string =>
  String(v ?? "")
    .trim()
    .toLowerCase();

/** The value as Exchange text: a string as it is, "" for null or undefined, anything else through String(). */
export const text = (v: unknown): string =>
  typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
