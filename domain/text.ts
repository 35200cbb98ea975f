// How this project compares names, addresses and ids that Microsoft treats case-insensitively.

/** The value as text, without surrounding blanks, in lower case ("" for null or undefined). */
export const lower = (v: unknown): string =>
  String(v ?? "")
    .trim()
    .toLowerCase();
