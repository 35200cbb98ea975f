// A stack trace read the way the SDK reads one to record a resource's position (V8's frame limit lifted).

/** The files of the frames of a stack trace made here, innermost first. */
export function framesHere(): string[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Number.POSITIVE_INFINITY;
  try {
    return (new Error().stack ?? "")
      .split("\n")
      .filter((l) => l.trim().startsWith("at "))
      .map((l) => /\(?([^()\s]+?):\d+:\d+\)?$/.exec(l.trim())?.[1] ?? l.trim());
  } finally {
    Error.stackTraceLimit = limit;
  }
}
