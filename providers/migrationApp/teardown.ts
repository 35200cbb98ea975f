// What MigrationApp's delete does in the target tenant: an app this stack created goes with its service
// principal; an adopted one is given back (the secrets and a service principal we added removed, the
// settings we changed restored).

import { log } from "../context";
import {
  deleteApplication,
  deleteServicePrincipal,
  findServicePrincipal,
  getApplication,
  patchApplication,
} from "./directory";
import { removePassword } from "./clientSecrets";
import type { Outputs } from "./inputs";
import { target } from "./target";

export async function remove(props: Outputs): Promise<void> {
  const t = await target();
  const where = `application ${props.appId} in tenant ${t.tenantId}`;
  if (t.tenantId.toLowerCase() !== String(props.tenantId).toLowerCase()) {
    throw new Error(
      `Deleting ${where}: the app lives in tenant ${props.tenantId}, but the stack's target tenant is now ${t.tenantId}. Point targetTenantId back at it to delete it, or remove it from the state with \`pulumi state delete\`.`,
    );
  }
  if (!props.adopted) {
    if (props.servicePrincipalId)
      await deleteServicePrincipal(t.g, props.servicePrincipalId, `Deleting the service principal of ${where}`);
    const existed = await deleteApplication(t.g, props.applicationObjectId, `Deleting ${where}`);
    log.info(
      `MigrationApp: ${existed ? "deleted" : "found already deleted"} ${where} (with its secrets and service principal).`,
    );
    return;
  }
  const app = await getApplication(t.g, props.applicationObjectId, `Reading ${where}`);
  if (!app) {
    log.info(`MigrationApp: adopted ${where} is already gone; nothing to restore.`);
    return;
  }
  for (const keyId of [props.secretKeyId, ...props.retiringSecretKeyIds]) {
    await removePassword(t.g, app.id, keyId, `Removing client secret ${keyId} from ${where}`);
  }
  if (props.createdServicePrincipal) {
    const sp = await findServicePrincipal(t.g, app.appId, `Reading the service principal of ${where}`);
    if (sp) await deleteServicePrincipal(t.g, sp.id, `Deleting the service principal of ${where}`);
  }
  const original = props.original;
  if (original) {
    const body: Record<string, unknown> = {};
    if (app.displayName !== original.displayName) body.displayName = original.displayName;
    if (app.signInAudience !== original.signInAudience) body.signInAudience = original.signInAudience;
    if (JSON.stringify(app.redirectUris) !== JSON.stringify(original.redirectUris))
      body.web = { ...app.web, redirectUris: original.redirectUris };
    if (JSON.stringify(app.requiredResourceAccess) !== JSON.stringify(original.requiredResourceAccess))
      body.requiredResourceAccess = original.requiredResourceAccess;
    if (Object.keys(body).length > 0)
      await patchApplication(t.g, app.id, body, `Restoring ${Object.keys(body).join(", ")} of adopted ${where}`);
  }
  log.info(
    `MigrationApp: released adopted ${where}: removed the secrets this stack added and restored what it changed.`,
  );
}
