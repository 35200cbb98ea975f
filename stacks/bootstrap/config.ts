// The bootstrap stack's configuration, read and checked offline: every mistake at once, each by its key and
// with the command that fixes it, before any resource is declared. No Pulumi here: `get` and `isSecret` are
// handed in, so the checks are plain functions under test.

import * as crypto from "crypto";
import * as path from "path";
import { loadCertificate } from "../../providers/tenant/certificate";
import { ConfigError, type ConfigProblem } from "../../providers/tenant/errors";
import type { TenantRole } from "../../providers/tenant/settings";

/** The bootstrap project's name, and so its configuration namespace (`xtmm-bootstrap:role`). */
export const BOOTSTRAP_PROJECT = "xtmm-bootstrap";

/** Keys whose values are credentials: they must be set with `pulumi config set --secret`. */
export const BOOTSTRAP_SECRET_KEYS = ["certificatePassword"] as const;

/** The public half of the operator's certificate, as Entra takes it, and its validity (RFC 3339, UTC). */
export interface OperatorCertificate {
  /** PEM of the leaf certificate only: never the private key. */
  pem: string;
  startDate: string;
  endDate: string;
}

export type OperatorCredential =
  | {
      kind: "certificate";
      /** Absolute path of the PEM (certificate + private key) or .pfx the main stack signs in with. */
      path: string;
      certificate: OperatorCertificate;
      /** Whether `certificatePassword` is set; the main stack then needs `<role>CertificatePassword`. */
      hasPassword: boolean;
    }
  | { kind: "clientSecret"; endDate?: string };

export interface BootstrapSettings {
  role: TenantRole;
  displayName: string;
  credential: OperatorCredential;
  /** The tenant pair's stack of the main project, for the copy commands; `<pair>` when not set. */
  pairStack: string;
}

export const PAIR_PLACEHOLDER = "<pair>";
const ROLES: readonly TenantRole[] = ["source", "target"];
// A Pulumi stack name (optionally org/project/stack). Also what keeps the copy commands safe to paste.
const STACK_NAME = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MAX_DISPLAY_NAME = 120;

export function defaultDisplayName(role: TenantRole): string {
  return `xtmm operator (${role})`;
}

/**
 * Reads the bootstrap settings. `get` returns a key's value without the project prefix (empty means unset);
 * `isSecret` says whether the engine handed a key over encrypted; relative paths are taken from `baseDir`
 * (the directory of the bootstrap's Pulumi.yaml); `now` is for tests.
 */
export function readBootstrapConfig(
  get: (key: string) => string | undefined,
  isSecret: (key: string) => boolean,
  baseDir: string,
  now: Date = new Date(),
): BootstrapSettings {
  const problems: ConfigProblem[] = [];
  const key = (k: string) => `${BOOTSTRAP_PROJECT}:${k}`;
  const fail = (k: string, message: string) => problems.push({ key: key(k), message });
  const read = (k: string): string | undefined => {
    const v = get(k);
    if (v === undefined || v === null) return undefined;
    const s = String(v).trim();
    return s === "" ? undefined : s;
  };

  for (const k of BOOTSTRAP_SECRET_KEYS) {
    if (read(k) !== undefined && !isSecret(key(k))) {
      fail(
        k,
        `is stored in plain text; remove it from the stack file and set it again with: pulumi config set --secret ${k}`,
      );
    }
  }

  const roleValue = read("role");
  let role: TenantRole | undefined;
  if (!roleValue)
    fail("role", "missing; say which side of the pair this tenant is: pulumi config set role source (or target)");
  else if (!ROLES.includes(roleValue as TenantRole)) fail("role", `'${roleValue}' is not a role; use source or target`);
  else role = roleValue as TenantRole;

  const displayName = read("displayName") ?? defaultDisplayName(role ?? "source");
  if (displayName.length > MAX_DISPLAY_NAME) {
    fail(
      "displayName",
      `is ${displayName.length} characters; use at most ${MAX_DISPLAY_NAME}: pulumi config set displayName "<name>"`,
    );
  }

  const pairStack = read("pairStack") ?? PAIR_PLACEHOLDER;
  if (pairStack !== PAIR_PLACEHOLDER && !STACK_NAME.test(pairStack)) {
    fail(
      "pairStack",
      `'${pairStack}' is not a Pulumi stack name; give the main project's stack for this pair, e.g. pulumi config set pairStack contoso-fabrikam`,
    );
  }

  const certificatePath = read("certificatePath");
  const hasPassword = read("certificatePassword") !== undefined;
  const secretEndDate = read("secretEndDate");
  let credential: OperatorCredential | undefined;
  if (certificatePath) {
    if (secretEndDate) {
      fail(
        "secretEndDate",
        "is only used without certificatePath (a client secret); remove it: pulumi config rm secretEndDate",
      );
    }
    const file = path.resolve(baseDir, certificatePath);
    const certificate = readCertificate(file, hasPassword ? get("certificatePassword") : undefined, now, fail);
    if (certificate) credential = { kind: "certificate", path: file, certificate, hasPassword };
  } else {
    if (hasPassword) {
      fail(
        "certificatePassword",
        "is only used with certificatePath; set certificatePath too, or remove it: pulumi config rm certificatePassword",
      );
    }
    if (secretEndDate !== undefined) {
      const t = Date.parse(secretEndDate);
      if (!RFC3339.test(secretEndDate) || Number.isNaN(t)) {
        fail(
          "secretEndDate",
          `'${secretEndDate}' is not an RFC 3339 date-time; e.g. pulumi config set secretEndDate 2027-06-30T00:00:00Z`,
        );
      } else if (t <= now.getTime()) {
        fail("secretEndDate", `${secretEndDate} is not in the future; the client secret would be expired at birth`);
      } else {
        credential = { kind: "clientSecret", endDate: new Date(t).toISOString().replace(/\.000Z$/, "Z") };
      }
    } else {
      credential = { kind: "clientSecret" };
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { role: role!, displayName, credential: credential!, pairStack };
}

/**
 * The leaf certificate of the file the main stack will sign in with. The same loader the stack uses
 * (providers/tenant/certificate.ts) checks that the file opens and holds the private key that matches, so
 * what is registered in Entra is what the stack will present. Only the certificate leaves this function.
 */
function readCertificate(
  file: string,
  password: string | undefined,
  now: Date,
  fail: (k: string, message: string) => void,
): OperatorCertificate | undefined {
  let leafPem: string;
  try {
    const loaded = loadCertificate(file, password);
    leafPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(loaded.x5c)![0];
  } catch (e) {
    // The loader's messages name the file and never the passphrase or the key.
    const message = (e as Error).message;
    const k = /password/i.test(message) ? (password ? "certificatePassword" : "certificatePath") : "certificatePath";
    fail(
      k,
      `${message}. Give a PEM file with the certificate and its private key, or a .pfx (pulumi config set certificatePath <file>)`,
    );
    return undefined;
  }
  const x509 = new crypto.X509Certificate(leafPem);
  const start = new Date(x509.validFrom);
  const end = new Date(x509.validTo);
  if (end.getTime() <= now.getTime()) {
    fail(
      "certificatePath",
      `the certificate in '${file}' expired on ${end.toISOString()}; make a new one and set its path`,
    );
    return undefined;
  }
  const rfc3339 = (d: Date) => d.toISOString().replace(/\.000Z$/, "Z");
  return {
    pem: leafPem.trim() + "\n",
    startDate: rfc3339(start),
    endDate: rfc3339(end),
  };
}
