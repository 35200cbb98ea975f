// The bootstrap program under mocks with a bad stack file: it stops before declaring anything, with every
// problem by its key and the fix, and without echoing the secret. One program run per file.

import { runBootstrap } from "./support/bootstrapProgramMocks";

test("a bad stack file is refused by key before any resource or lookup, without echoing the secret", async () => {
  const run = await runBootstrap({
    "xtmm-bootstrap:role": "both",
    "xtmm-bootstrap:certificatePassword": "plain-text-passphrase",
    "xtmm-bootstrap:secretEndDate": "next year",
  });
  expect(run.loadError).toBeInstanceOf(Error);
  const message = (run.loadError as Error).message;
  expect(message).toMatch(/^Stack configuration has 4 problems:/);
  expect(message).toContain(
    "xtmm-bootstrap:certificatePassword: is stored in plain text; remove it from the stack file and set it again with: pulumi config set --secret certificatePassword",
  );
  expect(message).toContain("xtmm-bootstrap:role: 'both' is not a role; use source or target");
  expect(message).toContain("xtmm-bootstrap:certificatePassword: is only used with certificatePath");
  expect(message).toContain("xtmm-bootstrap:secretEndDate: 'next year' is not an RFC 3339 date-time");
  expect(message).not.toContain("plain-text-passphrase");
  expect(run.registered).toEqual([]);
  expect(run.invoked).toEqual([]);
});
