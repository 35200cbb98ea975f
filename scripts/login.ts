// `npm run login -- <source|target> [--stack NAME]`: signs an engineer in with the device-code flow for a
// tenant whose stack says `<role>Auth: deviceCode`, and saves MSAL's token cache (mode 0600) where the
// providers read it. Prints MSAL's instructions (URL and code), never a token.

import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { publicClient, scopeFor, signedInAccount } from "../providers/tenant/credentials";
import {
  CONFIG_PREFIX,
  readTenantSettings,
  roleKey,
  type TenantRole,
  type TenantSettings,
} from "../providers/tenant/settings";
import type { Fetch } from "../providers/tenant/http";
import { ConfigError } from "../providers/tenant/errors";

export interface LoginOptions {
  role: TenantRole;
  stack: string;
  /** Project root holding `stacks/` (default XTMM_ROOT or the working directory). */
  root?: string;
  /** Where MSAL's device-code message goes (default stderr). */
  print?: (line: string) => void;
  fetch?: Fetch;
}

/** Non-secret settings from the stack file; `secure:` values (Pulumi-encrypted secrets) are not needed here. */
export function stackConfig(root: string, stack: string): (key: string) => string | undefined {
  const file = path.join(root, "stacks", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`No stack file ${file}; pass --stack NAME or set PULUMI_STACK`);
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config = doc.config ?? {};
  return (key) => {
    const v = config[key.startsWith(CONFIG_PREFIX) ? key : CONFIG_PREFIX + key];
    return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
  };
}

export async function login(opts: LoginOptions): Promise<{ username: string; tokenCachePath: string }> {
  const root = opts.root ?? process.env.XTMM_ROOT ?? process.cwd();
  const print = opts.print ?? ((l: string) => process.stderr.write(l + "\n"));
  const get = stackConfig(root, opts.stack);
  const auth = get(roleKey(opts.role, "Auth"));
  if (auth !== "deviceCode")
    throw new Error(
      `${roleKey(opts.role, "Auth")} is '${auth ?? "(not set)"}' in stack '${opts.stack}'; device-code sign-in is only for ` +
        `'deviceCode' (pulumi config set ${roleKey(opts.role, "Auth")} deviceCode)`,
    );
  let settings: TenantSettings;
  try {
    settings = readTenantSettings(get, opts.role);
  } catch (e) {
    // Problems with the other role, or with secrets this flow does not use, are not ours to report.
    if (e instanceof ConfigError) {
      const mine = e.problems.filter((p) => p.key.startsWith(opts.role) || !/^(source|target)/.test(p.key));
      if (mine.length > 0) throw new ConfigError(mine);
    }
    throw e;
  }
  if (settings.credential.kind !== "deviceCode") throw new Error("unreachable: auth kind checked above");
  const cachePath = settings.credential.tokenCachePath;
  const app = publicClient(settings, cachePath, opts.fetch);
  const graphScope = scopeFor(settings.cloud.graphAudience);
  const exchangeScope = scopeFor(settings.cloud.exchangeAudience);

  const deviceCode = (scope: string) =>
    app.acquireTokenByDeviceCode({
      scopes: [scope],
      deviceCodeCallback: (r) => print(r.message),
    });

  print(
    `Signing in to the ${opts.role} tenant ${settings.tenantId} (${settings.domain}) with app ${settings.credential.clientId}.`,
  );
  const first = await deviceCode(graphScope);
  if (!first?.account) throw new Error("The sign-in finished without an account");
  // The refresh token from the first sign-in usually covers Exchange too; ask again only if it does not.
  try {
    await app.acquireTokenSilent({ account: first.account, scopes: [exchangeScope] });
  } catch {
    print("Exchange Online needs its own consent; sign in once more.");
    await deviceCode(exchangeScope);
  }
  const account = await signedInAccount(app, settings.tenantId);
  if (!account)
    throw new Error(
      `Signed in, but the account is not from tenant ${settings.tenantId}; sign in with an account of that tenant`,
    );
  fs.chmodSync(cachePath, 0o600);
  return { username: account.username, tokenCachePath: cachePath };
}

function parseArgs(argv: string[]): { role: TenantRole; stack: string } {
  let stack = process.env.PULUMI_STACK ?? "sandbox";
  let role: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--stack") stack = argv[++i] ?? "";
    else if (argv[i].startsWith("--stack=")) stack = argv[i].slice("--stack=".length);
    else role = argv[i];
  }
  if (role !== "source" && role !== "target") throw new Error("usage: npm run login -- <source|target> [--stack NAME]");
  if (!stack) throw new Error("--stack needs a name");
  return { role, stack };
}

if (require.main === module) {
  (async () => {
    const args = parseArgs(process.argv.slice(2));
    const r = await login(args);
    process.stdout.write(`Signed in as ${r.username}; token cache saved to ${r.tokenCachePath} (mode 0600).\n`);
  })().catch((e: Error) => {
    process.stderr.write(`login failed: ${e.message}\n`);
    process.exit(1);
  });
}
