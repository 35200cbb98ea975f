// MigrationApp's inputs and outputs, the offline check, and what diff and update see drifted (whether and why
// the secret rotates is rotation.ts; the API permissions asked for are permissions.ts). Nothing here touches
// the network or the tenant layer: the program loads it through the resource class.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, type Props } from "../context";
import { isGuid } from "../../domain/ids";
import type { ResourceRequirement } from "./permissions";

/** The only redirect URI Microsoft's guide and its validation script recognise (exact string, no slash). */
export const OFFICE_REDIRECT_URI = "https://office.com";
export const MULTI_TENANT_AUDIENCE = "AzureADMultipleOrgs";
/**
 * Longest client secret lifetime we accept: 24 months, the longest the Entra portal offers. Graph itself takes
 * longer end dates unless an app management policy forbids them, but such a policy (common in hardened tenants)
 * cannot be seen offline, and Microsoft recommends shorter lifetimes; a migration project that runs longer
 * rotates instead.
 */
export const MAX_SECRET_LIFETIME_DAYS = 730;
const DAY_MS = 86_400_000;
/** Clock skew allowed between the engineer's "now + 24 months" and ours. */
const SKEW_MS = DAY_MS;

/** Prefix of the tag that marks an application as this stack's (the natural key; see migrationApp.ts). */
export const TAG_PREFIX = "xtmm:migrationApp:";

export interface Inputs extends Props {
  displayName: string;
  tenantId?: string;
  naturalKey: string;
  adoptAppId?: string;
  secretEndDate?: string;
  rotateAfter?: string;
  rotationTrigger?: string;
  redirectUri?: string;
  allowNonstandardRedirectUri?: boolean;
  /** Computed by check: where the rotateAfter schedule stands, so a preview shows a due rotation as a change. */
  rotation?: string;
}

export const INPUTS = [
  "displayName",
  "tenantId",
  "naturalKey",
  "adoptAppId",
  "secretEndDate",
  "rotateAfter",
  "rotationTrigger",
  "redirectUri",
  "allowNonstandardRedirectUri",
] as const;

/** The application's settings as the service reports them (read), or as we want them. */
export interface AppSettings {
  displayName: string;
  signInAudience: string;
  redirectUris: string[];
  requiredResourceAccess: ResourceRequirement[];
  tags: string[];
}

export interface Outputs extends Props {
  // Inputs echoed, so diff (given old outputs) sees what was asked for.
  naturalKey: string;
  adoptAppId?: string;
  secretEndDate?: string;
  rotateAfter?: string;
  rotationTrigger?: string;
  redirectUri: string;
  allowNonstandardRedirectUri?: boolean;
  /** The tenant the app lives in (the stack's target tenant when it was made). */
  tenantId: string;
  appId: string;
  applicationObjectId: string;
  /** "" when a refresh found it gone (the next up creates it again). */
  servicePrincipalId: string;
  consentUrl: string;
  mailboxMigrationRoleId: string;
  /** The current secret. */
  secretKeyId: string;
  secretStartDateTime: string;
  secretEndDateTime: string;
  clientSecret: string;
  /** Older secrets of ours still on the app: kept until MigrationAppSecretRetirement removes them. */
  retiringSecretKeyIds: string[];
  adopted: boolean;
  createdServicePrincipal: boolean;
  /** What an adopted app looked like before we changed it; delete puts it back. null for an app we created. */
  original: (AppSettings & Props) | null;
  // The service's view at the last create, update or refresh (drift shows here).
  displayName: string;
  signInAudience: string;
  redirectUris: string[];
  hasMailboxMigration: boolean;
  hasUserRead: boolean;
  secretPresent: boolean;
}

const NATURAL_KEY = /^[A-Za-z0-9._:/@+-]{1,200}$/;

type Failure = pulumi.dynamic.CheckFailure;
export const show = (v: unknown) => (isUnknown(v) ? "(known after apply)" : JSON.stringify(v ?? null));
export const known = (v: unknown) => v !== undefined && !isUnknown(v);

export function isoTime(v: unknown): number | undefined {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export function secretLifetimeLimit(now: number): number {
  return now + MAX_SECRET_LIFETIME_DAYS * DAY_MS;
}

export function checkInputs(news: Props, now: number): Failure[] {
  const failures: Failure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  if (
    !isUnknown(news.displayName) &&
    (typeof news.displayName !== "string" || news.displayName.trim() === "" || news.displayName.length > 120)
  ) {
    fail(
      "displayName",
      `must be the app registration's name, 1 to 120 characters (e.g. "Cross-tenant mailbox migration"); got ${show(news.displayName)}`,
    );
  }
  if (!isUnknown(news.naturalKey) && (typeof news.naturalKey !== "string" || !NATURAL_KEY.test(news.naturalKey))) {
    fail(
      "naturalKey",
      `must be 1 to 200 characters from letters, digits and . _ : / @ + - (it becomes the tag "${TAG_PREFIX}<key>"); omit it for "<project>/<stack>/<resource name>"; got ${show(news.naturalKey)}`,
    );
  }
  if (known(news.adoptAppId) && !isGuid(news.adoptAppId)) {
    fail(
      "adoptAppId",
      `must be the application (client) id of the app registration to adopt, a GUID (Entra → App registrations → Application (client) ID); got ${show(news.adoptAppId)}`,
    );
  }

  const limit = secretLifetimeLimit(now);
  let end: number | undefined;
  if (known(news.secretEndDate)) {
    end = isoTime(news.secretEndDate);
    if (end === undefined) {
      fail(
        "secretEndDate",
        `must be an ISO 8601 date or date-time such as "2026-12-31" or "2026-12-31T00:00:00Z"; got ${show(news.secretEndDate)}`,
      );
    } else if (end <= now) {
      fail(
        "secretEndDate",
        `${news.secretEndDate} is in the past; give a future date (at most ${MAX_SECRET_LIFETIME_DAYS} days ahead), or omit it for now + ${MAX_SECRET_LIFETIME_DAYS} days`,
      );
    } else if (end > limit + SKEW_MS) {
      fail(
        "secretEndDate",
        `${news.secretEndDate} is more than ${MAX_SECRET_LIFETIME_DAYS} days (24 months, the longest the Entra portal offers) ahead; give a date before ${new Date(limit).toISOString().slice(0, 10)} and rotate (rotateAfter) for longer projects`,
      );
    }
  }
  if (known(news.rotateAfter)) {
    const after = isoTime(news.rotateAfter);
    if (after === undefined) {
      fail("rotateAfter", `must be an ISO 8601 date or date-time such as "2026-06-30"; got ${show(news.rotateAfter)}`);
    } else if (end !== undefined && after >= end) {
      fail(
        "rotateAfter",
        `${news.rotateAfter} is not before secretEndDate ${news.secretEndDate}; the secret would expire before it is rotated. Choose an earlier rotateAfter or a later secretEndDate`,
      );
    } else if (!known(news.secretEndDate) && !isUnknown(news.secretEndDate) && after >= limit) {
      fail(
        "rotateAfter",
        `${news.rotateAfter} is not before the default secret end date (now + ${MAX_SECRET_LIFETIME_DAYS} days); choose an earlier date`,
      );
    }
  }
  if (known(news.rotationTrigger) && typeof news.rotationTrigger !== "string") {
    fail(
      "rotationTrigger",
      `must be a string (change it to any new value to rotate the secret); got ${show(news.rotationTrigger)}`,
    );
  }
  if (known(news.allowNonstandardRedirectUri) && typeof news.allowNonstandardRedirectUri !== "boolean") {
    fail("allowNonstandardRedirectUri", `must be true or false; got ${show(news.allowNonstandardRedirectUri)}`);
  }
  if (known(news.redirectUri)) {
    const uri = news.redirectUri;
    if (typeof uri !== "string" || !isHttpsUrl(uri)) {
      fail("redirectUri", `must be an https URL; omit it for ${OFFICE_REDIRECT_URI}; got ${show(uri)}`);
    } else if (
      uri !== OFFICE_REDIRECT_URI &&
      news.allowNonstandardRedirectUri !== true &&
      !isUnknown(news.allowNonstandardRedirectUri)
    ) {
      fail(
        "redirectUri",
        `must be exactly "${OFFICE_REDIRECT_URI}" (Microsoft's guide; its validation script only recognises the migration app by that exact value); got ${show(uri)}. ` +
          "Remove redirectUri, or set allowNonstandardRedirectUri: true if you really need another value",
      );
    }
  }
  for (const key of Object.keys(news)) {
    if (key !== "rotation" && !(INPUTS as readonly string[]).includes(key)) {
      fail(key, `is not an input of MigrationApp (inputs: ${INPUTS.join(", ")}); remove it`);
    }
  }
  return failures;
}

export function isHttpsUrl(v: unknown): boolean {
  if (typeof v !== "string") return false;
  try {
    return new URL(v).protocol === "https:";
  } catch {
    return false;
  }
}

export function redirectUriOf(i: { redirectUri?: string }): string {
  return i.redirectUri ?? OFFICE_REDIRECT_URI;
}

/** The inputs part of the outputs; optional inputs are left out rather than set to undefined (plain JSON). */
export function echoInputs(i: Inputs): Pick<Outputs, "naturalKey" | "redirectUri"> & Partial<Outputs> {
  const out: Pick<Outputs, "naturalKey" | "redirectUri"> & Partial<Outputs> = {
    naturalKey: i.naturalKey,
    redirectUri: redirectUriOf(i),
  };
  for (const k of [
    "adoptAppId",
    "secretEndDate",
    "rotateAfter",
    "rotationTrigger",
    "allowNonstandardRedirectUri",
  ] as const) {
    if (i[k] !== undefined) (out as Props)[k] = i[k];
  }
  return out;
}

/** What update would change besides the secret: each entry names the property and says what happens. */
export function settingDrift(olds: Outputs, news: Inputs): string[] {
  const out: string[] = [];
  const redirectUris = olds.redirectUris ?? [];
  const retiring = olds.retiringSecretKeyIds ?? [];
  if (isUnknown(news.displayName) || olds.displayName !== news.displayName)
    out.push(`displayName: ${show(olds.displayName)} → ${show(news.displayName)}`);
  const uri = redirectUriOf(news);
  if (isUnknown(uri) || !(redirectUris.length === 1 && redirectUris[0] === uri))
    out.push(`web.redirectUris: ${show(redirectUris)} → ${show([uri])}`);
  if (olds.signInAudience !== MULTI_TENANT_AUDIENCE)
    out.push(`signInAudience: ${show(olds.signInAudience)} → "${MULTI_TENANT_AUDIENCE}"`);
  if (!olds.hasMailboxMigration)
    out.push("requiredResourceAccess: Office 365 Exchange Online Mailbox.Migration (application) is missing; re-added");
  if (olds.hasUserRead) out.push("requiredResourceAccess: Microsoft Graph User.Read (delegated) is present; removed");
  if (olds.servicePrincipalId === "") out.push("servicePrincipal: missing in the target tenant; created");
  if (isUnknown(news.naturalKey) || news.naturalKey !== olds.naturalKey)
    out.push(`naturalKey: ${show(olds.naturalKey)} → ${show(news.naturalKey)} (the tag is rewritten)`);
  if (retiring.length > 0)
    out.push(
      `retiringSecretKeyIds: ${retiring.join(", ")} (re-read; ids MigrationAppSecretRetirement has removed are dropped)`,
    );
  for (const k of ["allowNonstandardRedirectUri"] as const) {
    if ((news[k] ?? null) !== (olds[k] ?? null)) out.push(`${k}: ${show(olds[k])} → ${show(news[k])}`);
  }
  if ((news.rotateAfter ?? null) !== (olds.rotateAfter ?? null))
    out.push(`rotateAfter: ${show(olds.rotateAfter)} → ${show(news.rotateAfter)}`);
  return out;
}
