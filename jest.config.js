// ts-jest only transpiles here; `tsc` (run first by `npm test`) is the type check.
// v8 coverage keeps serialized provider text free of istanbul counters.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  coverageProvider: "v8",
  testTimeout: 60000,
  maxWorkers: 2,
};
