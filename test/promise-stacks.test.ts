// promiseStacksOff: the stack traces the SDK keeps on every promise are off while a wave declares its
// MailUsers, back on after (also after a throw), and kept when PULUMI_DEBUG_PROMISE_LEAKS asks for them.

import { promiseStacksOff } from "../components/promiseStacks";

function withoutPromiseStacks<T>(f: () => T): T {
  const restore = promiseStacksOff();
  try {
    return f();
  } finally {
    restore();
  }
}

const frames = (stack: string | undefined) =>
  (stack ?? "").split("\n").filter((l) => l.trim().startsWith("at ")).length;

afterEach(() => {
  delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
});

test("no frames inside, the old limit after, also when the declaration throws", () => {
  const before = Error.stackTraceLimit;
  expect(frames(new Error().stack)).toBeGreaterThan(0);
  expect(withoutPromiseStacks(() => frames(new Error().stack))).toBe(0);
  expect(Error.stackTraceLimit).toBe(before);
  expect(() =>
    withoutPromiseStacks(() => {
      throw new Error("bad wave");
    }),
  ).toThrow("bad wave");
  expect(Error.stackTraceLimit).toBe(before);
});

test("PULUMI_DEBUG_PROMISE_LEAKS keeps the stacks the SDK prints for a leak", () => {
  process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
  expect(withoutPromiseStacks(() => frames(new Error().stack))).toBeGreaterThan(0);
});
