// Identifiers shaped like Entra's, drawn from the emulator's seeded randomness so a run can be replayed.

export type Random = () => number;

function bytes(random: Random, n: number): number[] {
  return Array.from({ length: n }, () => Math.floor(random() * 256) & 0xff);
}

/** A version-4 GUID, lower case, as Graph renders object ids. */
export function guid(random: Random): string {
  const b = bytes(random, 16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** appRoleAssignment ids are base64url strings of 43 characters rather than GUIDs. */
export function assignmentId(random: Random): string {
  return Buffer.from(bytes(random, 32)).toString("base64url");
}

/** unifiedRoleAssignment ids look like `<base64url>-1`. */
export function roleAssignmentId(random: Random): string {
  return `${Buffer.from(bytes(random, 32)).toString("base64url")}-1`;
}

const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~";

/** Client secret values Entra issues are 40 characters with `8Q~` after a 3-character hint. */
export function clientSecret(random: Random): string {
  const pick = (n: number) =>
    Array.from({ length: n }, () => SECRET_ALPHABET[Math.floor(random() * SECRET_ALPHABET.length)]).join("");
  const head = pick(3).replace(/[~.]/g, "x");
  return `${head}8Q~${pick(34)}`;
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
