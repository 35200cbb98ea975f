// Reading and checking the stack configuration, offline: every mistake is reported by its key, with the
// fix, before any resource is declared and so before anything in either tenant is touched. Credentials are
// only checked here; the dynamic providers read them again inside the provider host (`configure()`).
// The migration waves and their keys (waves, domainMap, targetDomains, targetDeliveryDomain,
// purgeStagedUsersOnDestroy) are read by config/waves.ts.

import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../providers/tenant/errors";
import { readTenantSettings, type TenantRole } from "../providers/tenant/settings";
import { GUID } from "../domain/ids";
import { isDomain } from "../domain/addresses";

/** Keys whose values are credentials: they must be stored encrypted (`pulumi config set --secret`). */
export const SECRET_CONFIG_KEYS = [
  "sourceClientSecret",
  "sourceCertificatePassword",
  "targetClientSecret",
  "targetCertificatePassword",
] as const;

/**
 * A mistake in the stack configuration, reported by its message alone: a `pulumi.RunError` (the SDK prints its
 * message without "failed with an unhandled exception" and a call stack), and with no call stack at all. The SDK
 * also passes every program error to `util.inspect(err, {colors: true})` (for its trace span), and on Node.js 20.20
 * that loops over a stack frame in a scoped package without a further folder, which the SDK's own source maps
 * produce (`node_modules/@pulumi/resource.ts`), until the string is too long: about 40 seconds and 3 GB of
 * memory before the message is shown, or an out-of-memory death on a smaller machine (test/cli-secrets.test.ts).
 */
export class StackConfigError extends pulumi.RunError {
  override name = "StackConfigError";

  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

/** Which tenants this stack administers: both (one stack per pair), or one side of a split pair. */
export type ManageMode = "both" | "source" | "target";
export const MANAGE_MODES: readonly ManageMode[] = ["both", "source", "target"];

/** What identifies a tenant of the pair; not a credential. */
export interface TenantRef {
  tenantId: string;
  /** The initial domain, e.g. fabrikam.onmicrosoft.com. */
  domain: string;
}

export interface StackSettings {
  manage: ManageMode;
  /** The other side's stack (`pulumi.StackReference` name) when the pair is split; absent with manage=both. */
  partnerStack?: string;
  source: TenantRef;
  target: TenantRef;
  migrationApp: { displayName?: string; adoptAppId?: string; secretEndDate?: string; rotationTrigger?: string };
  /** grant: the stack grants the source consent itself; await: it waits for an administrator to open the consent URL. */
  sourceConsentMode: "grant" | "await";
  endpoint: {
    name?: string;
    adopt: boolean;
    propagationTimeoutSeconds: number;
    maxConcurrentMigrations?: number;
    /** The cloud's -RemoteServer; absent when no administered tenant's settings could be read. */
    remoteServer?: string;
  };
  scopingGroupName?: string;
  relationshipName?: string;
}

// Not in the SDK's typings, but exported by it: whether the engine handed a key over as a secret.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

// Exchange object names are later typed into cmdlets and batch CSVs (same rule as MigrationEndpoint's check).
const NAME_FORBIDDEN = /[\\/:*?"<>|,;=+[\]{}\u0000-\u001f\u007f]/;
const MAX_PROPAGATION_SECONDS = 6 * 3600;

export function readStackConfig(config: pulumi.Config): StackSettings {
  const ns = config.name;
  const get = (key: string): string | undefined => {
    const v = config.get(key);
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  // A secret in plain text is reported alone: the fix (re-set it encrypted) comes before anything else.
  for (const key of SECRET_CONFIG_KEYS) {
    if (get(key) !== undefined && !runtimeConfig.isConfigSecret(`${ns}:${key}`)) {
      throw new StackConfigError(
        `${ns}:${key} is stored in plain text. Remove it from the stack file and set it again with: ` +
          `pulumi config set --secret ${ns}:${key}`,
      );
    }
  }
  const problems: { key: string; message: string }[] = [];
  const fail = (key: string, message: string) => problems.push({ key, message });
  const setCmd = (key: string, example: string) => `pulumi config set ${key} ${example}`;

  const manage = (get("manage") ?? "both") as ManageMode;
  if (!MANAGE_MODES.includes(manage)) {
    fail(
      "manage",
      `'${manage}' is not one of both, source, target (which tenants this stack administers): ${setCmd("manage", "both")}`,
    );
  }
  const partnerStack = get("partnerStack");
  if (manage === "both" && partnerStack) {
    fail(
      "partnerStack",
      "is only used when the pair is split (manage=source or target); remove it: pulumi config rm partnerStack",
    );
  } else if ((manage === "source" || manage === "target") && !partnerStack) {
    const other = manage === "source" ? "target" : "source";
    fail(
      "partnerStack",
      `missing; with manage=${manage} the ${other} side is another stack, joined by a stack reference: ${setCmd("partnerStack", "<org>/xtmm/<stack>")}`,
    );
  }

  // Credentials are needed only for the tenants this stack administers; the other one is named by id and domain.
  // Both share the stack's cloud, whose RemoteServer the migration endpoint records.
  let remoteServer: string | undefined;
  const tenant = (role: TenantRole): TenantRef => {
    const managed = manage === "both" || manage === role || !MANAGE_MODES.includes(manage);
    if (managed) {
      try {
        const s = readTenantSettings(get, role);
        remoteServer = s.cloud.migrationRemoteServer;
        return { tenantId: s.tenantId, domain: s.domain };
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        for (const p of e.problems) fail(p.key, p.message);
        return { tenantId: get(`${role}TenantId`) ?? "", domain: get(`${role}Domain`) ?? "" };
      }
    }
    const tenantId = get(`${role}TenantId`) ?? "";
    const domain = get(`${role}Domain`) ?? "";
    if (!GUID.test(tenantId))
      fail(
        `${role}TenantId`,
        `${tenantId ? `'${tenantId}' is not a GUID` : "missing"}; the partner's relationship is keyed by it: ${setCmd(`${role}TenantId`, "<GUID>")}`,
      );
    if (!isDomain(domain))
      fail(
        `${role}Domain`,
        `${domain ? `'${domain}' is not a domain name` : "missing"}; the ${role} tenant's initial domain: ${setCmd(`${role}Domain`, "<name>.onmicrosoft.com")}`,
      );
    return { tenantId: tenantId.toLowerCase(), domain: domain.toLowerCase() };
  };
  const source = tenant("source");
  const target = tenant("target");
  if (source.tenantId && source.tenantId.toLowerCase() === target.tenantId.toLowerCase()) {
    fail(
      "targetTenantId",
      `is the same tenant as ${ns}:sourceTenantId (${source.tenantId}). Cross-tenant migration moves mailboxes between two tenants: set each key to its own tenant id.`,
    );
  }

  const adoptAppId = get("adoptMigrationAppId");
  if (adoptAppId && !GUID.test(adoptAppId))
    fail(
      "adoptMigrationAppId",
      `'${adoptAppId}' is not an application (client) id (a GUID); remove the key to let the stack create the app`,
    );
  const secretEndDate = get("migrationAppSecretEndDate");
  if (secretEndDate && (!/^\d{4}-\d{2}-\d{2}/.test(secretEndDate) || Number.isNaN(Date.parse(secretEndDate)))) {
    fail(
      "migrationAppSecretEndDate",
      `'${secretEndDate}' is not an ISO date; e.g. ${setCmd("migrationAppSecretEndDate", "2027-06-30")}`,
    );
  }
  const displayName = get("migrationAppDisplayName");
  if (displayName && displayName.length > 120)
    fail("migrationAppDisplayName", "is longer than 120 characters (Entra's limit for an application name)");

  const consentMode = get("sourceConsentMode") ?? "grant";
  if (consentMode !== "grant" && consentMode !== "await") {
    fail(
      "sourceConsentMode",
      `'${consentMode}' is not grant or await (await: an administrator opens the consentUrl output; the stack waits): ${setCmd("sourceConsentMode", "await")}`,
    );
  }

  const name = (key: string): string | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    if (v.length > 64) fail(key, "is longer than 64 characters (Exchange's limit for an object name)");
    else if (NAME_FORBIDDEN.test(v))
      fail(
        key,
        `must not contain any of \\ / : * ? " < > | , ; = + [ ] { } (Exchange object names are typed into cmdlets)`,
      );
    return v;
  };
  const endpointName = name("migrationEndpointName");
  const scopingGroupName = name("scopingGroupName");
  const relationshipName = name("organizationRelationshipName");
  const adopt = bool(get, fail, "adoptMigrationEndpoint", false);
  const propagationTimeoutSeconds = int(get, fail, "consentPropagationTimeoutSeconds", 600, 1, MAX_PROPAGATION_SECONDS);
  const maxConcurrent = int(get, fail, "maxConcurrentMigrations", 0, 0, 1000);

  if (problems.length > 0) {
    // A problem shared by both tenants (the cloud) is reported once.
    const lines = [...new Set(problems.map((p) => `${ns}:${p.key}: ${p.message}`))];
    throw new StackConfigError(
      lines.length === 1
        ? lines[0]
        : `The stack configuration has ${lines.length} problems:\n${lines.map((l) => `  - ${l}`).join("\n")}`,
    );
  }
  return {
    manage,
    ...(partnerStack ? { partnerStack } : {}),
    source,
    target,
    migrationApp: { displayName, adoptAppId, secretEndDate, rotationTrigger: get("migrationAppSecretRotation") },
    sourceConsentMode: consentMode as "grant" | "await",
    endpoint: {
      name: endpointName,
      adopt,
      propagationTimeoutSeconds,
      ...(maxConcurrent > 0 ? { maxConcurrentMigrations: maxConcurrent } : {}),
      ...(remoteServer ? { remoteServer } : {}),
    },
    scopingGroupName,
    relationshipName,
  };
}

type Get = (key: string) => string | undefined;
type Fail = (key: string, message: string) => void;

function bool(get: Get, fail: Fail, key: string, fallback: boolean): boolean {
  const v = get(key);
  if (v === undefined) return fallback;
  if (v === "true" || v === "false") return v === "true";
  fail(key, `'${v}' is not true or false: pulumi config set ${key} ${!fallback}`);
  return fallback;
}

function int(get: Get, fail: Fail, key: string, fallback: number, min: number, max: number): number {
  const v = get(key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    fail(key, `'${v}' is not a whole number from ${min} to ${max}: pulumi config set ${key} ${fallback}`);
    return fallback;
  }
  return n;
}
