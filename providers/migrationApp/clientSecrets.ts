// MigrationApp's client secrets: how the ones this project adds are named and recognised, and the Graph calls
// that add and remove them (addPassword, removePassword). A secret's text comes back once, so a lost answer is
// never resent blindly: the attempt's secret is found by its name and removed.

import type { Client } from "@microsoft/microsoft-graph-client";
import { graphCall } from "../tenant/graph";
import { isGuid } from "../../domain/ids";
import { getApplication, guidOrThrow, maybeApplied, status, type Application, type PasswordInfo } from "./directory";
import { secretLifetimeLimit, type Inputs } from "./inputs";
import type { Target } from "./target";

type Json = Record<string, unknown>;

export interface NewSecret extends PasswordInfo {
  secretText: string;
}

/** How every client secret this project adds is named (then an ISO time, and " #n" on a retry). */
const SECRET_NAME_PREFIX = "xtmm migration ";

function secretName(): string {
  // Unique per attempt (see addPassword); says who added it for whoever looks in the portal.
  return `${SECRET_NAME_PREFIX}${new Date().toISOString()}`;
}

/**
 * Secrets on this stack's own (tagged) app that create found there: create runs only when the state holds no
 * app, so whatever an earlier run of this resource added is recorded nowhere. That run was interrupted (a
 * killed `pulumi up`: the app and its secret were made, the engine never heard back) or failed after
 * addPassword. Their values are lost, but a migration endpoint made in that run may still use one, so they
 * are not removed here: they are recorded as retiring, and MigrationAppSecretRetirement removes them once
 * the endpoint has the new secret. Secrets someone added by hand (other names) are left alone.
 */
export function unrecordedSecrets(app: Application): string[] {
  return app.passwords.filter((p) => p.displayName.startsWith(SECRET_NAME_PREFIX)).map((p) => p.keyId);
}

export async function newSecret(t: Target, app: Application, i: Inputs): Promise<NewSecret> {
  const end = i.secretEndDate
    ? new Date(Date.parse(i.secretEndDate)).toISOString()
    : new Date(secretLifetimeLimit(Date.now())).toISOString();
  return addPassword(
    t.g,
    app,
    secretName(),
    end,
    `Adding a client secret to application ${app.appId} in tenant ${t.tenantId}`,
  );
}

/** Attempts of addPassword whose answers were lost before giving up (each one's secret is removed). */
const ADD_PASSWORD_ATTEMPTS = 4;

/**
 * Adds a client secret. Its text comes back in the answer and never again, so a secret whose answer was lost
 * is useless: it is found by its display name (unique per attempt: `displayName` plus " #n" after the first),
 * removed, and a new one is added, bounded. Once a secret is in hand, any credential left by an earlier
 * attempt that the read did not show yet is removed too, so no orphaned secret stays on the app.
 */
export async function addPassword(
  g: Client,
  app: Application,
  displayName: string,
  endDateTime: string,
  action: string,
): Promise<NewSecret> {
  const names: string[] = [];
  let answer: Json | undefined;
  for (let attempt = 1; answer === undefined; attempt++) {
    const name = attempt === 1 ? displayName : `${displayName} #${attempt}`;
    names.push(name);
    try {
      answer = (await graphCall(action, () =>
        g.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: { displayName: name, endDateTime } }),
      )) as Json;
    } catch (e) {
      if (!maybeApplied(e)) throw e;
      await removeOrphans(g, app.id, names, undefined, action);
      if (attempt >= ADD_PASSWORD_ATTEMPTS) {
        throw new Error(
          `${(e as Error).message} The answers of ${attempt} attempts were lost (each secret they may have added was removed); run \`pulumi up\` again.`,
        );
      }
    }
  }
  if (typeof answer.secretText !== "string" || !isGuid(answer.keyId))
    throw new Error(`${action}: Graph's answer carries no secret or key id.`);
  const keyId = String(answer.keyId).toLowerCase();
  if (names.length > 1) await removeOrphans(g, app.id, names.slice(0, -1), keyId, action);
  return {
    keyId,
    displayName: names[names.length - 1],
    startDateTime: String(answer.startDateTime ?? ""),
    endDateTime: String(answer.endDateTime ?? endDateTime),
    secretText: answer.secretText,
  };
}

/** Removes the app's credentials named in `names` (attempts whose answers were lost), never `keep`. */
async function removeOrphans(
  g: Client,
  objectId: string,
  names: string[],
  keep: string | undefined,
  action: string,
): Promise<void> {
  const now = await getApplication(g, objectId, action);
  for (const orphan of now?.passwords.filter((p) => names.includes(p.displayName) && p.keyId !== keep) ?? []) {
    await removePassword(
      g,
      objectId,
      orphan.keyId,
      `${action}: removing the secret ${orphan.keyId} of an attempt whose answer was lost`,
    );
  }
}

/** Removes a client secret; true when it was there, false when it was already gone. */
export async function removePassword(g: Client, objectId: string, keyId: string, action: string): Promise<boolean> {
  try {
    await graphCall(action, () =>
      g
        .api(`/applications/${guidOrThrow(objectId, "application object id")}/removePassword`)
        .post({ keyId: guidOrThrow(keyId, "keyId") }),
    );
    return true;
  } catch (e) {
    if (status(e) === 404) {
      // 404 for the key or for the app: either way the secret is gone.
      return false;
    }
    if (maybeApplied(e)) {
      const app = await getApplication(g, objectId, action);
      return app?.passwords.some((p) => p.keyId === keyId.toLowerCase())
        ? removePassword(g, objectId, keyId, action)
        : true;
    }
    throw e;
  }
}
