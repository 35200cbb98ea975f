// declarationStacks: while a wave declares its MailUsers, stack traces have no frames, also when the SDK lifts
// V8's frame limit to record a resource's position; both the limit and the formatting are back after (also after
// a throw), and PULUMI_DEBUG_PROMISE_LEAKS keeps every stack.

import { declarationStacks } from "../components/declarationStacks";
import { framesHere } from "./support/stackFrames";

function within<T>(f: () => T): T {
  const restore = declarationStacks();
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

test("no frames inside, at V8's limit or with it lifted (as the SDK records a position); the error's line stays", () => {
  expect(frames(new Error().stack)).toBeGreaterThan(0);
  expect(framesHere().length).toBeGreaterThan(1);
  expect(within(() => frames(new Error().stack))).toBe(0);
  expect(within(() => framesHere())).toEqual([]);
  expect(within(() => new Error("named field").stack)).toBe("Error: named field");
});

test("the limit and the formatting are restored after, also when the declaration throws", () => {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  expect(() =>
    within(() => {
      throw new Error("bad wave");
    }),
  ).toThrow("bad wave");
  expect(Error.stackTraceLimit).toBe(limit);
  expect(Error.prepareStackTrace).toBe(prepare);
  expect(framesHere()[0]).toMatch(/stackFrames\.ts$/);
});

test("PULUMI_DEBUG_PROMISE_LEAKS keeps the stacks the SDK prints for a leak", () => {
  process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
  expect(within(() => frames(new Error().stack))).toBeGreaterThan(0);
  expect(within(() => framesHere().length)).toBeGreaterThan(1);
});
