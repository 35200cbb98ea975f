// `npm run pulumi -- <args>`: the project's Pulumi CLI (see pulumiCli.ts for which one), with the caller's
// standard streams, exiting with its exit code.

import { spawnSync } from "node:child_process";
import { findPulumi, NO_CLI_MESSAGE } from "./pulumiCli";

function main(): number {
  const cli = findPulumi();
  if (!cli) {
    process.stderr.write(NO_CLI_MESSAGE);
    return 1;
  }
  const r = spawnSync(cli.command, process.argv.slice(2), { stdio: "inherit", env: cli.env });
  if (r.error) {
    process.stderr.write(`pulumi: ${r.error.message}\n`);
    return 1;
  }
  return r.status ?? 1;
}

if (require.main === module) {
  try {
    process.exit(main());
  } catch (e) {
    process.stderr.write(`pulumi: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
