// State the Exchange tests need that the seed deliberately leaves to the stack: a cross-tenant migration
// app registered in the target with a secret, its service principal and consent in the source. Written
// straight into the directory state (in the Graph shape) so Exchange tests do not depend on Graph code.

import { stored, type Rec, type TenantState } from "../model";
import { newGuid } from "./recipient";
import { syncMoveCapability } from "./capabilities";
import { EXCHANGE_ONLINE_APP_ID } from "../../domain/firstParty";

export const MAILBOX_MIGRATION_ROLE_ID = "f7264778-fba9-422d-8e9e-2675a2c4b513";

export interface MigrationApp {
  appId: string;
  secret: string;
}

let counter = 1;
const random = () => (counter = (counter * 16807) % 2147483647) / 2147483647;

/** Registers the migration app in the target tenant with one current client secret. */
export function registerMigrationApp(target: TenantState, now: number): MigrationApp {
  const appId = newGuid(random);
  const id = newGuid(random);
  const keyId = newGuid(random);
  const secret = `emu~${newGuid(random).replace(/-/g, "")}`;
  const app: Rec = {
    id,
    appId,
    displayName: "Cross-tenant mailbox migration",
    signInAudience: "AzureADMultipleOrgs",
    web: { redirectUris: ["https://office.com"] },
    passwordCredentials: [
      {
        keyId,
        displayName: "migration",
        startDateTime: new Date(now - 60_000).toISOString(),
        endDateTime: new Date(now + 365 * 86_400_000).toISOString(),
        hint: secret.slice(0, 3),
      },
    ],
  };
  target.directory.applications.set(id, stored(app, now));
  target.directory.secretValues.set(id, new Map([[keyId, secret]]));
  return { appId, secret };
}

/** Admin consent in the source: the app's service principal and its Mailbox.Migration assignment, made at `at`. */
export function consentInSource(source: TenantState, appId: string, at: number): string {
  const spId = newGuid(random);
  source.directory.servicePrincipals.set(
    spId,
    stored({ id: spId, appId, displayName: "Cross-tenant mailbox migration", appRoles: [] }, at),
  );
  const exo = [...source.directory.servicePrincipals.values()].find((s) => s.obj.appId === EXCHANGE_ONLINE_APP_ID);
  if (!exo) throw new Error("the directory seed has no Exchange Online service principal");
  const assignmentId = newGuid(random);
  source.directory.appRoleAssignments.set(
    assignmentId,
    stored(
      {
        id: assignmentId,
        principalId: spId,
        principalType: "ServicePrincipal",
        resourceId: exo.obj.id,
        appRoleId: MAILBOX_MIGRATION_ROLE_ID,
        createdDateTime: new Date(at).toISOString(),
      },
      at,
    ),
  );
  return spId;
}

/** Assigns the Cross Tenant User Data Migration licence (seeded in the target) to a user. */
export function licenseForMigration(t: TenantState, userId: string): void {
  const sku = t.directory.subscribedSkus.find((s) => /cross.?tenant/i.test(String(s.skuPartNumber)));
  const u = t.directory.users.get(userId);
  if (!sku || !u) throw new Error("no migration SKU or no user");
  u.obj.assignedLicenses = [...((u.obj.assignedLicenses as Rec[]) ?? []), { disabledPlans: [], skuId: sku.skuId }];
  syncMoveCapability(t, userId);
}
