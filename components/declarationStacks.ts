// No call stacks while a wave declares its MailUsers: two costs, each paid once per user, for text that is the
// same for every user.
//
// - The SDK gives every promise it makes while a resource is declared a stack trace (`new Error().stack`, kept on
//   the promise for its whole life), which it prints only when PULUMI_DEBUG_PROMISE_LEAKS is set. A MailUser's
//   declaration makes a few dozen such promises, so a 2,000-user wave kept tens of thousands of stack texts of
//   about 800 bytes each: a fifth of the program's memory per user in a heap snapshot.
// - The engine keeps the call stack the SDK records for each resource in the checkpoint (its source position
//   and each frame): seven frames, about 540 bytes per MailUser, all pointing at the same lines of this
//   project's own code and the SDK's (the MailUser class, the wave's loop, the pair component, index.ts). The SDK lifts V8's frame limit to
//   record it, so the frames are dropped where the stack text is made. The wave component, declared from the
//   engineer's stack, keeps its whole stack, so where the pair was declared is still recorded once.
//
// With PULUMI_DEBUG_PROMISE_LEAKS set, both are left as they are. A pair of calls rather than a wrapper taking a
// callback, so that the loop stays plain code.

/** Stack traces made until the result is called have no frames (unless PULUMI_DEBUG_PROMISE_LEAKS is set). */
export function declarationStacks(): () => void {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return () => undefined;
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = 0;
  // What formatted stacks before (source-map-support, in a Pulumi program) still formats the error's own line.
  Error.prepareStackTrace = (error) => (prepare ? prepare(error, []) : String(error));
  return () => {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  };
}
