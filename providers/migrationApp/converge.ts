// What MigrationApp's create, read and update do in the target tenant (delete is teardown.ts).

import { log, stackConfig } from "../context";
import { adminConsentUrl } from "../tenant/clouds";
import {
  ensureServicePrincipal,
  findServicePrincipal,
  getApplication,
  mailboxMigrationRoleId,
  patchApplication,
  type Application,
} from "./directory";
import { newSecret, unrecordedSecrets } from "./clientSecrets";
import { EXCHANGE_ONLINE_APP_ID, MICROSOFT_GRAPH_APP_ID } from "../../domain/firstParty";
import {
  MULTI_TENANT_AUDIENCE,
  echoInputs,
  redirectUriOf,
  type AppSettings,
  type Inputs,
  type Outputs,
} from "./inputs";
import { adopt, findOrCreate, tagOf } from "./naturalKey";
import { USER_READ_SCOPE_ID, hasRequirement, sameId, wantedRequirements } from "./permissions";
import { rotationReason } from "./rotation";
import { target, type Target } from "./target";

function consentUrl(t: Target, appId: string): string {
  // The source tenant's domain reads best in the link; its id works as well.
  const source = stackConfig("sourceDomain") || stackConfig("sourceTenantId") || "";
  return adminConsentUrl(t.client.settings.cloud, source, appId);
}

function settingsOf(app: Application): AppSettings {
  return {
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    redirectUris: app.redirectUris,
    requiredResourceAccess: app.requiredResourceAccess,
    tags: app.tags,
  };
}

/** Brings the app's settings to what the inputs ask for; one PATCH with only what differs. */
async function converge(
  t: Target,
  app: Application,
  i: Inputs,
  roleId: string,
  adopted: boolean,
  oldTag?: string,
): Promise<void> {
  const body: Record<string, unknown> = {};
  if (app.displayName !== i.displayName) body.displayName = i.displayName;
  if (app.signInAudience !== MULTI_TENANT_AUDIENCE) body.signInAudience = MULTI_TENANT_AUDIENCE;
  const uri = redirectUriOf(i);
  if (!(app.redirectUris.length === 1 && app.redirectUris[0] === uri)) body.web = { ...app.web, redirectUris: [uri] };
  const rra = wantedRequirements(app.requiredResourceAccess, roleId, adopted);
  if (JSON.stringify(rra) !== JSON.stringify(app.requiredResourceAccess)) body.requiredResourceAccess = rra;
  if (!adopted) {
    const tag = tagOf(i.naturalKey);
    const tags = [...app.tags.filter((x) => x !== oldTag && x !== tag), tag];
    if (!app.tags.includes(tag) || (oldTag && oldTag !== tag && app.tags.includes(oldTag))) body.tags = tags;
  }
  if (Object.keys(body).length === 0) return;
  log.info(`MigrationApp ${app.appId}: setting ${Object.keys(body).join(", ")} in tenant ${t.tenantId}.`);
  await patchApplication(
    t.g,
    app.id,
    body,
    `Updating application ${app.appId} (${Object.keys(body).join(", ")}) in tenant ${t.tenantId}`,
  );
}

/** The outputs from the service's view of the app after a create or an update. */
type Base = Pick<
  Outputs,
  | "servicePrincipalId"
  | "mailboxMigrationRoleId"
  | "secretKeyId"
  | "secretStartDateTime"
  | "secretEndDateTime"
  | "clientSecret"
  | "retiringSecretKeyIds"
  | "adopted"
  | "createdServicePrincipal"
  | "original"
>;

async function outputs(t: Target, app: Application, i: Inputs, base: Base): Promise<Outputs> {
  const fresh = (await getApplication(t.g, app.id, `Reading application ${app.appId} in tenant ${t.tenantId}`)) ?? app;
  const out = {
    ...echoInputs(i),
    tenantId: t.tenantId,
    appId: fresh.appId,
    applicationObjectId: fresh.id,
    consentUrl: consentUrl(t, fresh.appId),
    ...base,
    ...observed(fresh, base.secretKeyId, base.mailboxMigrationRoleId),
  };
  out.retiringSecretKeyIds = base.retiringSecretKeyIds.filter((k) => fresh.passwords.some((p) => p.keyId === k));
  return out as Outputs;
}

function observed(app: Application, secretKeyId: string, roleId: string) {
  return {
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    redirectUris: app.redirectUris,
    hasMailboxMigration: hasRequirement(app.requiredResourceAccess, EXCHANGE_ONLINE_APP_ID, roleId, "Role"),
    hasUserRead: hasRequirement(app.requiredResourceAccess, MICROSOFT_GRAPH_APP_ID, USER_READ_SCOPE_ID, "Scope"),
    secretPresent: app.passwords.some((p) => p.keyId === secretKeyId),
  };
}

export async function create(i: Inputs): Promise<Outputs> {
  const t = await target();
  const roleId = await mailboxMigrationRoleId(t.g, t.tenantId);
  const adopted = i.adoptAppId !== undefined;
  const { app, found } = adopted
    ? { app: await adopt(t, i.adoptAppId as string), found: false }
    : await findOrCreate(t, i, roleId);
  // Only on this stack's own app: on an adopted one, another stack adopting the same app may own such a secret.
  const leftover = found ? unrecordedSecrets(app) : [];
  const original = adopted ? { ...settingsOf(app) } : null;
  await converge(t, app, i, roleId, adopted);
  const sp = await ensureServicePrincipal(
    t.g,
    app.appId,
    `Creating the service principal of application ${app.appId} in tenant ${t.tenantId}`,
  );
  if (!sp.created && adopted)
    log.info(
      `MigrationApp ${app.appId}: its service principal ${sp.id} already existed in tenant ${t.tenantId}; adopted, and left in place on delete.`,
    );
  // On this stack's own app it was made by an earlier, interrupted attempt: it goes with the app on delete.
  else if (!sp.created)
    log.info(
      `MigrationApp ${app.appId}: its service principal ${sp.id} was made by an earlier attempt that did not finish; kept, and deleted with the app.`,
    );
  const secret = await newSecret(t, app, i);
  log.info(`MigrationApp ${app.appId}: added client secret ${secret.keyId} (ends ${secret.endDateTime}).`);
  const retiring = leftover.filter((k) => k !== secret.keyId);
  if (retiring.length > 0) {
    log.info(
      `MigrationApp ${app.appId}: client secret(s) ${retiring.join(", ")} were added by an earlier run that was interrupted or failed before the state recorded them; ` +
        "they are retired (MigrationAppSecretRetirement removes them) once the migration endpoint has the new secret.",
    );
  }
  return outputs(t, app, i, {
    servicePrincipalId: sp.id,
    mailboxMigrationRoleId: roleId,
    secretKeyId: secret.keyId,
    secretStartDateTime: secret.startDateTime,
    secretEndDateTime: secret.endDateTime,
    clientSecret: secret.secretText,
    retiringSecretKeyIds: retiring,
    adopted,
    // An app we created takes its service principal with it; for an adopted app, only one we made goes.
    createdServicePrincipal: adopted ? sp.created : true,
    original,
  });
}

export async function update(olds: Outputs, news: Inputs): Promise<Outputs> {
  const t = await target();
  const app = await getApplication(
    t.g,
    olds.applicationObjectId,
    `Reading application ${olds.appId} in tenant ${t.tenantId}`,
  );
  if (!app) {
    throw new Error(
      `Updating application ${olds.appId} in tenant ${t.tenantId}: it no longer exists. Run \`pulumi refresh\` to drop it from the state; the next up creates it again.`,
    );
  }
  const roleId = await mailboxMigrationRoleId(t.g, t.tenantId);
  await converge(
    t,
    app,
    news,
    roleId,
    olds.adopted,
    olds.naturalKey !== news.naturalKey ? tagOf(olds.naturalKey) : undefined,
  );
  const sp = await ensureServicePrincipal(
    t.g,
    app.appId,
    `Creating the service principal of application ${app.appId} in tenant ${t.tenantId}`,
  );
  const base: Base = {
    servicePrincipalId: sp.id,
    mailboxMigrationRoleId: roleId,
    secretKeyId: olds.secretKeyId,
    secretStartDateTime: olds.secretStartDateTime,
    secretEndDateTime: olds.secretEndDateTime,
    clientSecret: olds.clientSecret,
    retiringSecretKeyIds: olds.retiringSecretKeyIds,
    adopted: olds.adopted,
    createdServicePrincipal: olds.createdServicePrincipal || sp.created,
    original: olds.original,
  };
  const present = (k: string) => app.passwords.some((p) => p.keyId === k);
  const reason = rotationReason({ ...olds, secretPresent: present(olds.secretKeyId) }, news, Date.now());
  if (reason) {
    const secret = await newSecret(t, app, news);
    // The old secret stays until MigrationAppSecretRetirement removes it, after the endpoint has the new one.
    base.retiringSecretKeyIds = [...new Set([...olds.retiringSecretKeyIds, olds.secretKeyId])].filter(present);
    Object.assign(base, {
      secretKeyId: secret.keyId,
      secretStartDateTime: secret.startDateTime,
      secretEndDateTime: secret.endDateTime,
      clientSecret: secret.secretText,
    });
    log.info(
      `MigrationApp ${app.appId}: rotated the client secret (${reason}): new secret ${secret.keyId}; ` +
        (base.retiringSecretKeyIds.length > 0
          ? `${base.retiringSecretKeyIds.join(", ")} stays valid until MigrationAppSecretRetirement removes it.`
          : "no older secret remains."),
    );
  }
  return outputs(t, app, news, base);
}

/** The service's view for refresh; an empty id when the application is gone. */
export async function read(id: string, props: Outputs): Promise<{ id: string; props?: Outputs }> {
  const t = await target();
  if (t.tenantId.toLowerCase() !== String(props.tenantId).toLowerCase()) {
    log.warn(
      `MigrationApp ${props.appId} lives in tenant ${props.tenantId}, but the stack's target tenant is now ${t.tenantId}; not refreshed.`,
    );
    return { id, props };
  }
  const app = await getApplication(t.g, id, `Reading application ${props.appId} in tenant ${t.tenantId}`);
  if (!app) return { id: "" };
  const sp = await findServicePrincipal(
    t.g,
    app.appId,
    `Reading the service principal of application ${app.appId} in tenant ${t.tenantId}`,
  );
  return {
    id,
    props: {
      ...props,
      ...observed(app, props.secretKeyId, props.mailboxMigrationRoleId),
      appId: app.appId,
      servicePrincipalId: sp?.id ?? "",
      retiringSecretKeyIds: props.retiringSecretKeyIds.filter((k) => app.passwords.some((p) => p.keyId === k)),
    },
  };
}

export { sameId };
