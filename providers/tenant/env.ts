// Numbers an operator or a test may set in the environment (XTMM_*: waits, budgets, cache ages): one reader, so
// an unset or malformed value always falls back to the default the same way.

/** `process.env[name]` as a number when it is set and `accept` takes it; otherwise `fallback`. */
export function envNumber(name: string, fallback: number, accept: (n: number) => boolean): number {
  const raw = process.env[name];
  const n = Number(raw);
  return raw !== undefined && accept(n) ? n : fallback;
}

export const nonNegative = (n: number): boolean => Number.isFinite(n) && n >= 0;
export const positive = (n: number): boolean => Number.isFinite(n) && n > 0;
