// The SDK gives every promise it makes while a resource is declared a stack trace (`new Error().stack`, kept on
// the promise for its whole life), which it prints only when PULUMI_DEBUG_PROMISE_LEAKS is set. A MailUser's
// declaration makes a few dozen such promises, so a 2,000-user wave kept tens of thousands of stack texts of
// about 800 bytes each: a fifth of the program's memory per user in a heap snapshot. The resource's own source
// position is unaffected: the SDK lifts the limit while it records that.
//
// A pair of calls rather than a wrapper taking a callback: the engine records each resource's call stack in the
// checkpoint, and a wrapper's frame would add to every MailUser's.

/** Turns V8's stack traces off (unless PULUMI_DEBUG_PROMISE_LEAKS asks for them); call the result to restore. */
export function promiseStacksOff(): () => void {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return () => undefined;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return () => {
    Error.stackTraceLimit = limit;
  };
}
