// The InvokeCommand wire format: how parameters are encoded and how a success body
// is read. Pure functions, so the rules are tested without a server.

export const GENERIC_HASHTABLE = "#Exchange.GenericHashTable";

/**
 * PowerShell's `@{Add=...; Remove=...}` for a multi-valued property. Without the `@odata.type` tag the
 * service binds it as a JSON object and the cmdlet fails with ParameterTransformationException.
 */
export function hashtable(change: { add?: unknown[]; remove?: unknown[] }): object {
  const out: Record<string, unknown> = { "@odata.type": GENERIC_HASHTABLE };
  if (change.add !== undefined) out.Add = change.add.map(encodeValue);
  if (change.remove !== undefined) out.Remove = change.remove.map(encodeValue);
  return out;
}

/**
 * Parameters as the service binds them: `undefined` dropped (an explicit `null` is kept, because it clears
 * a value), dates as ISO-8601, bytes as base64, arrays element-wise (they replace the whole value).
 * Booleans pass as JSON booleans: a `false` switch is sent only if the caller puts it there, which callers
 * do for `Confirm` and nothing else.
 */
export function encodeParameters(params: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined) continue;
    out[k] = encodeValue(v);
  }
  return out;
}

function encodeValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") {
    if (typeof v === "number" && !Number.isFinite(v)) throw new TypeError(`Cannot send ${v} to Exchange`);
    if (typeof v === "bigint") return v.toString();
    return v;
  }
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new TypeError("Cannot send an invalid Date to Exchange");
    return v.toISOString();
  }
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(encodeValue);
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) o[k] = encodeValue(x);
  return o;
}

export interface DecodedPage<T> {
  value: T[];
  warnings: string[];
  nextLink?: string;
}

/** Reads a 200 body. `value` absent or null means empty; annotation keys (anything with `@`) are dropped. */
export function decodePage<T>(doc: unknown): DecodedPage<T> {
  const d = (doc && typeof doc === "object" ? doc : {}) as Record<string, unknown>;
  const raw = d.value;
  const value = (Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).map(
    stripAnnotations,
  ) as T[];
  const w = d["@adminapi.warnings"];
  const warnings = Array.isArray(w) ? w.filter((x): x is string => typeof x === "string") : [];
  const link = d["@odata.nextLink"] ?? d["odata.nextLink"];
  return { value, warnings, nextLink: typeof link === "string" && link !== "" ? link : undefined };
}

export function stripAnnotations(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripAnnotations);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!k.includes("@")) out[k] = stripAnnotations(x);
  return out;
}

/** "99 GB (106,300,440,576 bytes)" → 106300440576; `{Value: n}` and numbers pass; anything else undefined. */
export function sizeInBytes(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v && typeof v === "object" && "Value" in v) return sizeInBytes((v as { Value: unknown }).Value);
  if (typeof v !== "string") return undefined;
  const m = /\(([\d,.\s]+) bytes\)/.exec(v);
  return m ? Number(m[1].replace(/[,.\s]/g, "")) : undefined;
}
