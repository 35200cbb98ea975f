// The Graph calls MigrationApp and MigrationAppSecretRetirement make (those for client secrets are in
// clientSecrets.ts). Writes whose answer may be lost are
// followed by a read, never by a blind resend; objects replication has not yet made visible are waited for,
// bounded, with a message that says what to do when the wait runs out.

import type { Client } from "@microsoft/microsoft-graph-client";
import { visibilityTimeoutMs, waitFor } from "../exchangeFailure";
import { graphCall, type GraphRequestError } from "../tenant/graph";
import { EXCHANGE_ONLINE_APP_ID, MAILBOX_MIGRATION_ROLE } from "../../domain/firstParty";
import { isGuid } from "../../domain/ids";
import type { AppSettings } from "./inputs";
import type { ResourceRequirement } from "./permissions";

type Json = Record<string, unknown>;

export interface PasswordInfo {
  keyId: string;
  displayName: string;
  startDateTime: string;
  endDateTime: string;
}

export interface Application extends AppSettings {
  id: string;
  appId: string;
  web: Json;
  passwords: PasswordInfo[];
}

const APP_FIELDS = [
  "id",
  "appId",
  "displayName",
  "signInAudience",
  "web",
  "requiredResourceAccess",
  "tags",
  "passwordCredentials",
];

export const status = (e: unknown) => (e as GraphRequestError)?.status;
export const maybeApplied = (e: unknown) => (e as GraphRequestError)?.maybeApplied === true;

export function guidOrThrow(v: string, what: string): string {
  // Checked again here because the value goes into a URL; check() has already refused anything else.
  if (!isGuid(v)) throw new Error(`${what} "${v}" is not a GUID`);
  return v;
}

function application(a: Json): Application {
  const web = (a.web && typeof a.web === "object" ? a.web : {}) as Json;
  const rra = Array.isArray(a.requiredResourceAccess) ? (a.requiredResourceAccess as Json[]) : [];
  const creds = Array.isArray(a.passwordCredentials) ? (a.passwordCredentials as Json[]) : [];
  return {
    id: String(a.id),
    appId: String(a.appId),
    displayName: String(a.displayName ?? ""),
    signInAudience: String(a.signInAudience ?? ""),
    web,
    redirectUris: Array.isArray(web.redirectUris) ? (web.redirectUris as unknown[]).map(String) : [],
    requiredResourceAccess: rra.map((r) => ({
      resourceAppId: String(r.resourceAppId),
      resourceAccess: (Array.isArray(r.resourceAccess) ? (r.resourceAccess as Json[]) : []).map((x) => ({
        id: String(x.id),
        type: String(x.type),
      })),
    })),
    tags: Array.isArray(a.tags) ? (a.tags as unknown[]).map(String) : [],
    passwords: creds.map((c) => ({
      keyId: String(c.keyId).toLowerCase(),
      displayName: String(c.displayName ?? ""),
      startDateTime: String(c.startDateTime ?? ""),
      endDateTime: String(c.endDateTime ?? ""),
    })),
  };
}

/**
 * Polls `probe` until it answers, bounded by the project's one visibility timeout (Entra usually needs
 * seconds, sometimes a minute); `what` completes "still not visible: …".
 */
export async function untilVisible<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = visibilityTimeoutMs(),
): Promise<T> {
  const hit = await waitFor(what, probe, timeoutMs, { quiet: true });
  if (hit !== undefined) return hit;
  throw new Error(
    `${what}: still not visible after ${Math.round(timeoutMs / 1000)} s (Entra replicates new objects between its replicas). Run \`pulumi up\` again; the object is found again, not created twice.`,
  );
}

export async function getApplication(g: Client, objectId: string, action: string): Promise<Application | undefined> {
  try {
    return application(
      (await graphCall(action, () =>
        g
          .api(`/applications/${guidOrThrow(objectId, "application object id")}`)
          .select(APP_FIELDS)
          .get(),
      )) as Json,
    );
  } catch (e) {
    if (status(e) === 404) return undefined;
    throw e;
  }
}

export async function getApplicationByAppId(
  g: Client,
  appId: string,
  action: string,
): Promise<Application | undefined> {
  try {
    return application(
      (await graphCall(action, () =>
        g
          .api(`/applications(appId='${guidOrThrow(appId, "appId")}')`)
          .select(APP_FIELDS)
          .get(),
      )) as Json,
    );
  } catch (e) {
    if (status(e) === 404) return undefined;
    throw e;
  }
}

async function listApplications(g: Client, filter: string, action: string): Promise<Application[]> {
  const out: Application[] = [];
  let page = (await graphCall(action, () =>
    g.api("/applications").filter(filter).select(APP_FIELDS).top(999).get(),
  )) as Json;
  for (;;) {
    for (const a of (page.value as Json[] | undefined) ?? []) out.push(application(a));
    const next = page["@odata.nextLink"];
    if (typeof next !== "string") return out;
    page = (await graphCall(action, () => g.api(next).get())) as Json;
  }
}

const odataString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export function findApplicationsByTag(g: Client, tag: string, action: string): Promise<Application[]> {
  return listApplications(g, `tags/any(t:t eq ${odataString(tag)})`, action);
}

export function findApplicationsByName(g: Client, displayName: string, action: string): Promise<Application[]> {
  return listApplications(g, `displayName eq ${odataString(displayName)}`, action);
}

/** POST /applications; undefined when the answer was lost (the app may exist: find it by its tag). */
export async function createApplication(g: Client, body: Json, action: string): Promise<Application | undefined> {
  try {
    return application((await graphCall(action, () => g.api("/applications").post(body))) as Json);
  } catch (e) {
    if (maybeApplied(e)) return undefined;
    throw e;
  }
}

export async function patchApplication(g: Client, objectId: string, body: Json, action: string): Promise<void> {
  // PATCH sets values, so applying it twice is applying it once: a lost answer is simply sent again (bounded).
  const path = `/applications/${guidOrThrow(objectId, "application object id")}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await graphCall(action, () => g.api(path).patch(body));
      return;
    } catch (e) {
      if (!maybeApplied(e) || attempt >= 4) throw e;
    }
  }
}

/** Deletes the application; true when it was there. */
export async function deleteApplication(g: Client, objectId: string, action: string): Promise<boolean> {
  try {
    await graphCall(action, () => g.api(`/applications/${guidOrThrow(objectId, "application object id")}`).delete());
    return true;
  } catch (e) {
    if (status(e) === 404) return false;
    if (maybeApplied(e))
      return (await getApplication(g, objectId, action)) === undefined ? true : deleteApplication(g, objectId, action);
    throw e;
  }
}

export async function findServicePrincipal(
  g: Client,
  appId: string,
  action: string,
): Promise<{ id: string } | undefined> {
  try {
    const sp = (await graphCall(action, () =>
      g
        .api(`/servicePrincipals(appId='${guidOrThrow(appId, "appId")}')`)
        .select(["id", "appId"])
        .get(),
    )) as Json;
    return { id: String(sp.id) };
  } catch (e) {
    if (status(e) === 404) return undefined;
    throw e;
  }
}

/**
 * The app's service principal: found, or created. `created` is false when it already existed (an
 * administrator consented in the target before, or it was made by hand), so delete leaves it alone.
 */
export async function ensureServicePrincipal(
  g: Client,
  appId: string,
  action: string,
): Promise<{ id: string; created: boolean }> {
  const found = await findServicePrincipal(g, appId, action);
  if (found) return { ...found, created: false };
  try {
    const sp = (await graphCall(action, () => g.api("/servicePrincipals").post({ appId }))) as Json;
    const id = String(sp.id);
    await untilVisible(() => findServicePrincipal(g, appId, action), `${action}: the new service principal ${id}`);
    return { id, created: true };
  } catch (e) {
    // Lost answer: it may exist. 409: it exists but replication hid it from our first look.
    if (!maybeApplied(e) && status(e) !== 409) throw e;
    const sp = await untilVisible(
      () => findServicePrincipal(g, appId, action),
      `${action}: the service principal of ${appId}`,
    );
    return { ...sp, created: maybeApplied(e) };
  }
}

export async function deleteServicePrincipal(g: Client, id: string, action: string): Promise<void> {
  try {
    await graphCall(action, () => g.api(`/servicePrincipals/${guidOrThrow(id, "service principal id")}`).delete());
  } catch (e) {
    if (status(e) === 404) return;
    if (maybeApplied(e)) return deleteServicePrincipal(g, id, action);
    throw e;
  }
}

/** Office 365 Exchange Online's Mailbox.Migration application role id in this tenant, looked up by value. */
export async function mailboxMigrationRoleId(g: Client, tenantId: string): Promise<string> {
  const action = `Reading the Office 365 Exchange Online service principal (${EXCHANGE_ONLINE_APP_ID}) in tenant ${tenantId}`;
  let sp: Json;
  try {
    sp = (await graphCall(action, () =>
      g.api(`/servicePrincipals(appId='${EXCHANGE_ONLINE_APP_ID}')`).select(["id", "appRoles"]).get(),
    )) as Json;
  } catch (e) {
    if (status(e) === 404) {
      throw new Error(
        `${action}: it does not exist. The tenant needs an Exchange Online subscription before a migration app can ask for Mailbox.Migration.`,
      );
    }
    throw e;
  }
  const roles = Array.isArray(sp.appRoles) ? (sp.appRoles as Json[]) : [];
  const role = roles.find(
    (r) =>
      r.value === MAILBOX_MIGRATION_ROLE &&
      r.isEnabled !== false &&
      Array.isArray(r.allowedMemberTypes) &&
      (r.allowedMemberTypes as string[]).includes("Application"),
  );
  if (!role || !isGuid(role.id)) {
    throw new Error(
      `${action}: it publishes no enabled application role "${MAILBOX_MIGRATION_ROLE}" (roles: ${roles.map((r) => r.value).join(", ") || "none"}).`,
    );
  }
  return String(role.id).toLowerCase();
}

export type { ResourceRequirement };
