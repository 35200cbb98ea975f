// AdminConsent's inputs and outputs, their defaults, and the offline check. Nothing here touches the network
// or loads the tenant layer: the program imports this through the resource class.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, type Props } from "../context";
import type { TenantRole } from "../tenant/settings";
import { isGuid } from "../../domain/ids";
import { EXCHANGE_ONLINE_APP_ID, MAILBOX_MIGRATION_ROLE } from "../../domain/firstParty";

export type ConsentMode = "grant" | "await";

export interface Inputs extends Props {
  tenant: TenantRole;
  tenantId?: string;
  appId: string;
  resourceAppId?: string;
  roles?: string[];
  mode?: ConsentMode;
  awaitTimeoutSeconds?: number;
  consentUrl?: string;
}

/** The inputs with their defaults applied; what every operation works from. */
export interface Wanted {
  tenant: TenantRole;
  appId: string;
  resourceAppId: string;
  roles: string[];
  mode: ConsentMode;
  awaitTimeoutSeconds: number;
  consentUrl?: string;
}

export interface Outputs extends Props {
  tenant: TenantRole;
  appId: string;
  resourceAppId: string;
  roles: string[];
  mode: ConsentMode;
  awaitTimeoutSeconds?: number;
  consentUrl?: string;
  /** The tenant the consent lives in (the stack's tenant id for `tenant` when it was made). */
  tenantId: string;
  /** The app's service principal in that tenant; "" when a refresh found it gone. */
  servicePrincipalId: string;
  resourceServicePrincipalId: string;
  /** Whether this resource created the service principal (then delete removes it). */
  createdServicePrincipal: boolean;
  /** The assignments this resource made; adopted ones are not listed and are never deleted. */
  assignmentIds: string[];
  /** Every role value the app holds on the resource, sorted (ours and adopted alike). */
  grantedRoles: string[];
  /** createdDateTime of the newest assignment among those satisfying `roles`; null while not all are held. */
  consentedAt: string | null;
}

/** What a consent grants unless the stack names other roles: the one a cross-tenant migration needs. */
export const DEFAULT_ROLES: readonly string[] = [MAILBOX_MIGRATION_ROLE];
export const DEFAULT_AWAIT_TIMEOUT_SECONDS = 15 * 60;
/** A Pulumi operation that waits longer than a day is a stuck operation, not a wait. */
export const MAX_AWAIT_TIMEOUT_SECONDS = 24 * 60 * 60;

export const INPUTS = [
  "tenant",
  "tenantId",
  "appId",
  "resourceAppId",
  "roles",
  "mode",
  "awaitTimeoutSeconds",
  "consentUrl",
] as const;
const TENANTS: readonly string[] = ["source", "target"];
const MODES: readonly string[] = ["grant", "await"];

/**
 * Application permissions Exchange Online publishes that this project may ask for. Only used to catch a
 * wrongly cased value offline (role values are matched exactly); an unlisted value is left to `create`,
 * which resolves it against the tenant's own service principal.
 */
const WELL_KNOWN_ROLES: Record<string, readonly string[]> = {
  [EXCHANGE_ONLINE_APP_ID]: [MAILBOX_MIGRATION_ROLE, "Exchange.ManageAsApp", "full_access_as_app"],
};

export function wanted(i: Inputs): Wanted {
  return {
    tenant: i.tenant,
    appId: i.appId.toLowerCase(),
    resourceAppId: (i.resourceAppId ?? EXCHANGE_ONLINE_APP_ID).toLowerCase(),
    roles: [...new Set(i.roles ?? DEFAULT_ROLES)].sort(),
    mode: i.mode ?? "grant",
    awaitTimeoutSeconds: i.awaitTimeoutSeconds ?? DEFAULT_AWAIT_TIMEOUT_SECONDS,
    consentUrl: i.consentUrl,
  };
}

/**
 * The inputs check hands the engine: as given, with the defaults `wanted` would apply written in (the outputs
 * echo them too), so the state records the roles asked for and a refresh can show which of them the tenant
 * holds (`observedInputs`). Stacks whose state predates this diff the same: diff compares with the outputs.
 */
export function withDefaults(news: Props): Props {
  const out = { ...news };
  if (out.resourceAppId === undefined) out.resourceAppId = EXCHANGE_ONLINE_APP_ID;
  if (out.roles === undefined) out.roles = [...DEFAULT_ROLES];
  if (out.mode === undefined) out.mode = "grant";
  return out;
}

/** Whether outputs show a consent the tenant no longer holds in full (the rule diff uses for drift). */
export function consentDrift(o: Outputs): boolean {
  return o.servicePrincipalId === "" || !(o.roles ?? []).every((r) => (o.grantedRoles ?? []).includes(r));
}

/**
 * The inputs as the tenant now has them, rebuilt from refreshed outputs: what was asked for (the outputs echo
 * it), with `roles` cut to those the app still holds. Read returns them while the consent is (or was, at the
 * last refresh) not held in full, so the change plan shows `roles` going back to what the up grants; roles an
 * administrator granted besides ours are not listed (the up leaves them alone).
 */
export function observedInputs(o: Outputs): Inputs {
  const held = new Set(o.servicePrincipalId === "" ? [] : (o.grantedRoles ?? []));
  // The tenant it was read in stays an input, so the next plan does not show it as added.
  const out: Inputs = {
    tenant: o.tenant,
    ...(o.tenantId ? { tenantId: o.tenantId } : {}),
    appId: o.appId,
    resourceAppId: o.resourceAppId,
    roles: (o.roles ?? []).filter((r) => held.has(r)),
    mode: o.mode,
  };
  if (o.awaitTimeoutSeconds !== undefined) out.awaitTimeoutSeconds = o.awaitTimeoutSeconds;
  if (o.consentUrl !== undefined) out.consentUrl = o.consentUrl;
  return out;
}

/** The input part of the outputs, so diff (which is given old outputs) sees what was asked for. */
export function echoInputs(
  w: Wanted,
  i: Inputs,
): Pick<Outputs, "tenant" | "appId" | "resourceAppId" | "roles" | "mode" | "awaitTimeoutSeconds" | "consentUrl"> {
  const out: Pick<Outputs, "tenant" | "appId" | "resourceAppId" | "roles" | "mode"> & Props = {
    tenant: w.tenant,
    appId: w.appId,
    resourceAppId: w.resourceAppId,
    roles: w.roles,
    mode: w.mode,
  };
  if (i.awaitTimeoutSeconds !== undefined) out.awaitTimeoutSeconds = i.awaitTimeoutSeconds;
  if (i.consentUrl !== undefined) out.consentUrl = i.consentUrl;
  return out;
}

type Failure = pulumi.dynamic.CheckFailure;

export function checkInputs(news: Props): Failure[] {
  const failures: Failure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const show = (v: unknown) => JSON.stringify(v ?? null);

  if (!isUnknown(news.tenant) && !TENANTS.includes(news.tenant as string)) {
    fail(
      "tenant",
      `must be "source" or "target" (the tenant in which the app is consented to), not ${show(news.tenant)}`,
    );
  }
  if (!isUnknown(news.appId) && !isGuid(news.appId)) {
    fail(
      "appId",
      `must be the application (client) id of the app to consent to, a GUID such as 3f2a…-…; got ${show(news.appId)}`,
    );
  }
  if (news.resourceAppId !== undefined && !isUnknown(news.resourceAppId) && !isGuid(news.resourceAppId)) {
    fail(
      "resourceAppId",
      `must be the appId (a GUID) of the API whose permissions are granted; omit it for Office 365 Exchange Online (${EXCHANGE_ONLINE_APP_ID}); got ${show(news.resourceAppId)}`,
    );
  }
  if (
    isGuid(news.appId) &&
    isGuid(news.resourceAppId ?? EXCHANGE_ONLINE_APP_ID) &&
    String(news.appId).toLowerCase() === String(news.resourceAppId ?? EXCHANGE_ONLINE_APP_ID).toLowerCase()
  ) {
    fail("appId", "is the resource's own appId; give the appId of the app that needs the permissions");
  }
  checkRoles(news, fail);
  if (news.mode !== undefined && !isUnknown(news.mode) && !MODES.includes(news.mode as string)) {
    fail(
      "mode",
      `must be "grant" (this stack grants consent) or "await" (wait for another administrator's consent, writing nothing), not ${show(news.mode)}`,
    );
  }
  const t = news.awaitTimeoutSeconds;
  if (t !== undefined && !isUnknown(t)) {
    if (typeof t !== "number" || !Number.isFinite(t) || t <= 0) {
      fail(
        "awaitTimeoutSeconds",
        `must be a positive number of seconds (default ${DEFAULT_AWAIT_TIMEOUT_SECONDS}); got ${show(t)}`,
      );
    } else if (t > MAX_AWAIT_TIMEOUT_SECONDS) {
      fail(
        "awaitTimeoutSeconds",
        `must be at most ${MAX_AWAIT_TIMEOUT_SECONDS} (a day); for longer, let the up fail and run it again after consent; got ${t}`,
      );
    }
  }
  const url = news.consentUrl;
  if (url !== undefined && !isUnknown(url) && !isHttpsUrl(url)) {
    fail(
      "consentUrl",
      `must be an https URL (the admin consent link shown while waiting, e.g. MigrationApp's consentUrl); got ${show(url)}`,
    );
  }
  for (const key of Object.keys(news)) {
    if (!(INPUTS as readonly string[]).includes(key)) {
      fail(key, `is not an input of AdminConsent (inputs: ${INPUTS.join(", ")}); remove it`);
    }
  }
  return failures;
}

function checkRoles(news: Props, fail: (property: string, reason: string) => void): void {
  const roles = news.roles;
  if (roles === undefined || isUnknown(roles)) return;
  if (!Array.isArray(roles) || roles.length === 0) {
    fail(
      "roles",
      `must be a non-empty list of app role values such as ["Mailbox.Migration"] (omit it for that default); got ${JSON.stringify(roles)}`,
    );
    return;
  }
  const resource = isGuid(news.resourceAppId) ? news.resourceAppId.toLowerCase() : EXCHANGE_ONLINE_APP_ID;
  const known = WELL_KNOWN_ROLES[resource] ?? [];
  const seen = new Set<string>();
  roles.forEach((r, i) => {
    const at = `roles[${i}]`;
    if (isUnknown(r)) return;
    if (typeof r !== "string" || r.trim() === "") {
      fail(at, `must be a non-empty app role value such as "Mailbox.Migration"; got ${JSON.stringify(r ?? null)}`);
    } else if (/\s/.test(r) || r.startsWith(".")) {
      // Entra refuses app role values with spaces or a leading dot, so no role can have this value.
      fail(
        at,
        `"${r}" cannot be an app role value (values have no spaces and do not start with "."); give the role's value, not its display name`,
      );
    } else if (seen.has(r)) {
      fail(at, `"${r}" is listed twice; remove the duplicate`);
    } else {
      const cased = known.find((k) => k !== r && k.toLowerCase() === r.toLowerCase());
      if (cased)
        fail(at, `"${r}" does not match the role value "${cased}" (values are case-sensitive); write "${cased}"`);
      seen.add(r);
    }
  });
}

function isHttpsUrl(v: unknown): boolean {
  if (typeof v !== "string") return false;
  try {
    return new URL(v).protocol === "https:";
  } catch {
    return false;
  }
}
