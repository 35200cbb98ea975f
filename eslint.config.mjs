// ESLint with typescript-eslint's recommended rules over every TypeScript folder; `npm test` runs it.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The Node.js names the two plain scripts (jest.config.js, emulator/fake-pwsh.js) use.
const NODE_GLOBALS = Object.fromEntries(
  ["module", "require", "process", "__dirname", "console", "Buffer", "URL", "setTimeout", "clearTimeout"].map((n) => [
    n,
    "readonly",
  ]),
);

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "test/fixtures/**", "tools/**", "**/*.md"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Our errors are rewritten on purpose: the message names the object and the fix and has passed the
      // redaction; a `cause` would carry the raw failure (service bodies, request details) past it.
      "preserve-caught-error": "off",
      // A variable a closure reads before its one assignment (a test's later result) cannot be a const there.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // Sanitizing text from the services means matching control characters on purpose.
      "no-control-regex": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // Mocks, gRPC stubs and recorded JSON have no types worth writing; the product code keeps the rule.
    // The gRPC stubs are loaded from the SDK's own folder, and some test modules load only after mocks are set.
    files: ["test/**", "harness/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: NODE_GLOBALS },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
