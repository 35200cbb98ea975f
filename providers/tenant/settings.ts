// Stack configuration → what the tenant layer needs to reach one tenant. Validation is offline and
// exhaustive (every problem at once), so `pulumi preview` rejects a bad stack before any sign-in.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CLOUDS, customCloud, type CloudEndpoints, type CloudName } from "./clouds";
import { ConfigError, type ConfigProblem } from "./errors";
import { GUID } from "../../domain/ids";
import { isDomain } from "../../domain/addresses";

export type TenantRole = "source" | "target";

export type CredentialSettings =
  | { kind: "clientSecret"; clientId: string; clientSecret: string }
  | { kind: "certificate"; clientId: string; certificatePath: string; certificatePassword?: string }
  | { kind: "deviceCode"; clientId: string; tokenCachePath: string };

export interface TenantSettings {
  role: TenantRole;
  tenantId: string;
  domain: string;
  cloud: CloudEndpoints;
  credential: CredentialSettings;
  exchangeConcurrency: number;
  pwshPath: string;
}

export const CONFIG_PREFIX = "xtmm:";
export const DEFAULT_EXCHANGE_CONCURRENCY = 2;
export const DEFAULT_PWSH_PATH = "pwsh";

const AUTH_KINDS = ["clientSecret", "certificate", "deviceCode"] as const;

/** The per-role key, e.g. `sourceTenantId`. */
export function roleKey(role: TenantRole, suffix: string): string {
  return `${role}${suffix}`;
}

export function defaultTokenCachePath(tenantId: string): string {
  return path.join(os.homedir(), ".xtmm", `${tenantId}.msal.json`);
}

/**
 * Reads one tenant's settings. `get` returns the raw config value for a key without the project prefix
 * (what the provider's `configure()` hands over); a prefixed lookup is tried as well so a plain map of the
 * stack file works too.
 */
export function readTenantSettings(get: (key: string) => string | undefined, role: TenantRole): TenantSettings {
  const problems: ConfigProblem[] = [];
  const read = (key: string): string | undefined => {
    const v = get(key) ?? get(CONFIG_PREFIX + key);
    if (v === undefined || v === null) return undefined;
    const s = String(v).trim();
    return s === "" ? undefined : s;
  };
  const fail = (key: string, message: string) => problems.push({ key, message });
  const setCmd = (key: string, example: string, secret = false) =>
    `pulumi config set ${secret ? "--secret " : ""}${key} ${example}`;

  const cloud = readCloud(read, fail);

  const tenantKey = roleKey(role, "TenantId");
  const tenantId = read(tenantKey);
  if (!tenantId)
    fail(tenantKey, `missing; set the ${role} tenant's directory (tenant) ID: ${setCmd(tenantKey, "<GUID>")}`);
  else if (!GUID.test(tenantId))
    fail(
      tenantKey,
      `'${tenantId}' is not a GUID; use the tenant ID from Entra admin center > Overview (not a domain name)`,
    );

  const domainKey = roleKey(role, "Domain");
  const domain = read(domainKey);
  if (!domain)
    fail(domainKey, `missing; set the ${role} tenant's initial domain: ${setCmd(domainKey, "<name>.onmicrosoft.com")}`);
  else if (!isDomain(domain))
    fail(domainKey, `'${domain}' is not a domain name (expected e.g. contoso.onmicrosoft.com)`);

  const clientKey = roleKey(role, "ClientId");
  const clientId = read(clientKey);
  if (!clientId)
    fail(
      clientKey,
      `missing; set the application (client) ID of the operator app in the ${role} tenant: ${setCmd(clientKey, "<GUID>")}`,
    );
  else if (!GUID.test(clientId))
    fail(clientKey, `'${clientId}' is not a GUID; use the app registration's Application (client) ID`);

  const credential = readCredential(role, read, fail, setCmd, clientId ?? "", tenantId ?? "");

  const concurrency = readPositiveInt(read, fail, "exchangeConcurrency", DEFAULT_EXCHANGE_CONCURRENCY);
  const pwshPath = read("pwshPath") ?? DEFAULT_PWSH_PATH;

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    role,
    tenantId: tenantId!.toLowerCase(),
    domain: domain!.toLowerCase(),
    cloud: cloud!,
    credential: credential!,
    exchangeConcurrency: concurrency,
    pwshPath,
  };
}

type Read = (key: string) => string | undefined;
type Fail = (key: string, message: string) => void;

function readCloud(read: Read, fail: Fail): CloudEndpoints | undefined {
  const name = (read("cloud") ?? "worldwide") as CloudName;
  const caFile = read("customCaFile");
  if (name !== "custom") {
    if (!(name in CLOUDS)) {
      fail("cloud", `'${name}' is not a known cloud; use one of worldwide, gcchigh, dod, custom`);
      return undefined;
    }
    if (caFile) fail("customCaFile", "is only used with cloud 'custom'; remove it (pulumi config rm customCaFile)");
    return CLOUDS[name as Exclude<CloudName, "custom">];
  }
  const urls: Record<"login" | "graph" | "exchange", string | undefined> = {
    login: undefined,
    graph: undefined,
    exchange: undefined,
  };
  const keys = {
    login: "customLoginEndpoint",
    graph: "customGraphEndpoint",
    exchange: "customExchangeEndpoint",
  } as const;
  for (const part of ["login", "graph", "exchange"] as const) {
    const key = keys[part];
    const v = read(key);
    if (!v) {
      fail(
        key,
        `missing; cloud 'custom' needs all three endpoints: pulumi config set ${key} https://host[:port][/path]`,
      );
      continue;
    }
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      fail(key, `'${v}' is not a URL; expected e.g. https://127.0.0.1:8443/${part === "login" ? "" : part}`);
      continue;
    }
    if (u.protocol !== "https:") fail(key, `'${v}' must use https (tokens are sent to it)`);
    else if (u.search || u.hash) fail(key, `'${v}' must not have a query or fragment`);
    else urls[part] = v;
  }
  if (caFile && !fs.existsSync(caFile))
    fail("customCaFile", `file '${caFile}' does not exist; give the path of the PEM CA certificate to trust`);
  if (!urls.login || !urls.graph || !urls.exchange) return undefined;
  return customCloud({
    login: urls.login,
    graph: urls.graph,
    exchange: urls.exchange,
    caFile: caFile ? path.resolve(caFile) : undefined,
  });
}

function readCredential(
  role: TenantRole,
  read: Read,
  fail: Fail,
  setCmd: (key: string, example: string, secret?: boolean) => string,
  clientId: string,
  tenantId: string,
): CredentialSettings | undefined {
  const authKey = roleKey(role, "Auth");
  const secretKey = roleKey(role, "ClientSecret");
  const certKey = roleKey(role, "CertificatePath");
  const certPassKey = roleKey(role, "CertificatePassword");
  const cacheKey = roleKey(role, "TokenCache");
  const explicit = read(authKey);
  const kind = explicit ?? (read(certKey) ? "certificate" : "clientSecret");
  switch (kind) {
    case "clientSecret": {
      const clientSecret = read(secretKey);
      if (!clientSecret) {
        fail(
          secretKey,
          `missing for ${authKey} clientSecret; ${setCmd(secretKey, "<value>", true)} (or use certificate / deviceCode)`,
        );
        return undefined;
      }
      return { kind, clientId, clientSecret };
    }
    case "certificate": {
      const certificatePath = read(certKey);
      if (!certificatePath) {
        fail(certKey, `missing for ${authKey} certificate; ${setCmd(certKey, "<path to .pem (cert + key) or .pfx>")}`);
        return undefined;
      }
      if (!fs.existsSync(certificatePath)) {
        fail(
          certKey,
          `file '${certificatePath}' does not exist; give the path of a PEM file holding the certificate and its private key, or a .pfx`,
        );
        return undefined;
      }
      return { kind, clientId, certificatePath: path.resolve(certificatePath), certificatePassword: read(certPassKey) };
    }
    case "deviceCode": {
      const tokenCachePath = read(cacheKey) ?? (tenantId ? defaultTokenCachePath(tenantId.toLowerCase()) : "");
      return { kind, clientId, tokenCachePath: expandHome(tokenCachePath) };
    }
    default:
      fail(authKey, `'${kind}' is not an auth kind; use one of ${AUTH_KINDS.join(", ")}`);
      return undefined;
  }
}

function readPositiveInt(read: Read, fail: Fail, key: string, dflt: number): number {
  const v = read(key);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
    fail(
      key,
      `'${v}' is not a positive integer; ${key} is how many requests may run at once per tenant (default ${dflt})`,
    );
    return dflt;
  }
  return n;
}

function expandHome(p: string): string {
  if (p === "~" || p.startsWith("~/")) return path.join(os.homedir(), p.slice(1));
  return p;
}
