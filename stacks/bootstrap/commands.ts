// The commands that copy one bootstrap stack's outputs into the tenant pair's stack file of the main project.
// Plain values go on the command line; a secret never does: it is piped from `pulumi stack output
// --show-secrets` into `pulumi config set --secret`, which reads the value from standard input.

import { CONFIG_PREFIX, roleKey, type TenantRole } from "../../providers/tenant/settings";

/** Where the bootstrap project lives, relative to the main project's directory (the repository root). */
export const BOOTSTRAP_DIR = "stacks/bootstrap";

export interface CopyCommandInput {
  role: TenantRole;
  /** The main project's stack for the pair (or the `<pair>` placeholder). */
  pairStack: string;
  /** This bootstrap stack's name, to read its secret outputs back. */
  bootstrapStack: string;
  tenantId: string;
  domain: string;
  clientId: string;
  credential: { kind: "certificate"; path: string; hasPassword: boolean } | { kind: "clientSecret" };
}

/** Single-quotes a word for POSIX shells when it has anything but safe characters. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** The commands, one per line, to run from the repository root (where the main project's Pulumi.yaml is). */
export function copyCommands(i: CopyCommandInput): string[] {
  const pair = shellQuote(i.pairStack);
  const key = (suffix: string) => CONFIG_PREFIX + roleKey(i.role, suffix);
  const set = (suffix: string, value: string) =>
    `pulumi config set --stack ${pair} ${key(suffix)} ${shellQuote(value)}`;
  // `tr -d '\n'` drops the newline `stack output` ends with; the value itself never reaches an argv.
  const setSecretFromOutput = (suffix: string, output: string) =>
    `pulumi stack output --cwd ${BOOTSTRAP_DIR} --stack ${shellQuote(i.bootstrapStack)} --show-secrets ${output} | tr -d '\\n' | ` +
    `pulumi config set --stack ${pair} --secret ${key(suffix)}`;

  const lines = [set("TenantId", i.tenantId), set("Domain", i.domain), set("ClientId", i.clientId)];
  if (i.credential.kind === "certificate") {
    lines.push(set("Auth", "certificate"), set("CertificatePath", i.credential.path));
    if (i.credential.hasPassword) lines.push(setSecretFromOutput("CertificatePassword", "certificatePassword"));
  } else {
    lines.push(set("Auth", "clientSecret"), setSecretFromOutput("ClientSecret", "clientSecret"));
  }
  return lines;
}
