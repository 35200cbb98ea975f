// The API permissions MigrationApp's registration asks for, by Microsoft's guide: Office 365 Exchange Online's
// Mailbox.Migration as an application permission, and no Microsoft Graph User.Read (the portal adds it to every
// new registration; the guide removes it). Pure: the role id is looked up in the tenant by the caller.

import type { Props } from "../context";
import { EXCHANGE_ONLINE_APP_ID, MICROSOFT_GRAPH_APP_ID } from "../../domain/firstParty";

/**
 * Microsoft Graph's delegated `User.Read` scope, which the portal adds to every new registration and Microsoft's
 * guide removes. Its id is published in the Graph permissions reference and is the same in every tenant; it is
 * only used to take the scope out, never to grant it.
 */
export const USER_READ_SCOPE_ID = "e1fe6dd8-ba31-4d61-89e7-88639da4683d";

export interface ResourceRequirement extends Props {
  resourceAppId: string;
  resourceAccess: Array<{ id: string; type: string }>;
}

/** Requirements with Mailbox.Migration (as an application permission) added and Graph's User.Read removed. */
export function wantedRequirements(
  current: ResourceRequirement[],
  mailboxMigrationRoleId: string,
  adopted: boolean,
): ResourceRequirement[] {
  const exo: ResourceRequirement = {
    resourceAppId: EXCHANGE_ONLINE_APP_ID,
    resourceAccess: [{ id: mailboxMigrationRoleId, type: "Role" }],
  };
  // An app we created carries exactly the one permission; an adopted one keeps whatever else it had.
  if (!adopted) return [exo];
  const out: ResourceRequirement[] = [];
  let sawExo = false;
  for (const r of current) {
    let access = r.resourceAccess;
    if (sameId(r.resourceAppId, MICROSOFT_GRAPH_APP_ID))
      access = access.filter((a) => !(sameId(a.id, USER_READ_SCOPE_ID) && a.type === "Scope"));
    if (sameId(r.resourceAppId, EXCHANGE_ONLINE_APP_ID)) {
      sawExo = true;
      if (!access.some((a) => sameId(a.id, mailboxMigrationRoleId) && a.type === "Role"))
        access = [...access, exo.resourceAccess[0]];
    }
    if (access.length > 0)
      out.push({ resourceAppId: r.resourceAppId, resourceAccess: access.map((a) => ({ id: a.id, type: a.type })) });
  }
  if (!sawExo) out.push(exo);
  return out;
}

export function hasRequirement(
  current: ResourceRequirement[],
  resourceAppId: string,
  id: string,
  type: string,
): boolean {
  return current.some(
    (r) => sameId(r.resourceAppId, resourceAppId) && r.resourceAccess.some((a) => sameId(a.id, id) && a.type === type),
  );
}

export const sameId = (a: unknown, b: unknown) => String(a).toLowerCase() === String(b).toLowerCase();
