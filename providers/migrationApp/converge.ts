// What MigrationApp's create, read, update and delete do in the target tenant.

import type { Client } from "@microsoft/microsoft-graph-client";
import { log, stackConfig, tenantFor } from "../context";
import type { TenantClient } from "../tenant";
import { adminConsentUrl } from "../tenant/clouds";
import {
  createApplication,
  deleteApplication,
  deleteServicePrincipal,
  ensureServicePrincipal,
  findApplicationsByName,
  findApplicationsByTag,
  findServicePrincipal,
  getApplication,
  getApplicationByAppId,
  mailboxMigrationRoleId,
  patchApplication,
  untilVisible,
  type Application,
} from "./directory";
import { addPassword, removePassword, type NewSecret } from "./clientSecrets";
import { EXCHANGE_ONLINE_APP_ID, MICROSOFT_GRAPH_APP_ID } from "../../domain/firstParty";
import {
  MULTI_TENANT_AUDIENCE,
  TAG_PREFIX,
  echoInputs,
  redirectUriOf,
  secretLifetimeLimit,
  type AppSettings,
  type Inputs,
  type Outputs,
} from "./inputs";
import { USER_READ_SCOPE_ID, hasRequirement, sameId, wantedRequirements } from "./permissions";
import { rotationReason } from "./rotation";

interface Target {
  client: TenantClient;
  g: Client;
  tenantId: string;
}

async function target(): Promise<Target> {
  const client = tenantFor("target");
  return { client, g: await client.graph(), tenantId: client.settings.tenantId };
}

export const tagOf = (naturalKey: string) => `${TAG_PREFIX}${naturalKey}`;

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
function unrecordedSecrets(app: Application): string[] {
  return app.passwords.filter((p) => p.displayName.startsWith(SECRET_NAME_PREFIX)).map((p) => p.keyId);
}

async function newSecret(t: Target, app: Application, i: Inputs): Promise<NewSecret> {
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

/** Finds this stack's app by its tag (`found`), or creates it; never two. */
async function findOrCreate(t: Target, i: Inputs, roleId: string): Promise<{ app: Application; found: boolean }> {
  const tag = tagOf(i.naturalKey);
  const action = `Looking for the migration application tagged "${tag}" in tenant ${t.tenantId}`;
  const tagged = await findApplicationsByTag(t.g, tag, action);
  if (tagged.length > 1) {
    throw new Error(
      `${action}: ${tagged.length} applications carry it (appIds ${tagged.map((a) => a.appId).join(", ")}). Delete all but one in Entra → App registrations, then run up again.`,
    );
  }
  if (tagged.length === 1) {
    log.info(
      `MigrationApp: found application ${tagged[0].appId} created earlier for "${i.naturalKey}" (tag ${tag}); continuing with it.`,
    );
    return { app: tagged[0], found: true };
  }
  const namesakes = await findApplicationsByName(
    t.g,
    i.displayName,
    `Looking for applications named "${i.displayName}" in tenant ${t.tenantId}`,
  );
  if (namesakes.length > 0) {
    log.warn(
      `MigrationApp: tenant ${t.tenantId} already has ${namesakes.length} application(s) named "${i.displayName}" (appId ${namesakes.map((a) => a.appId).join(", ")}) ` +
        "that this stack did not create; creating a new one. To use an existing one instead, set adoptAppId.",
    );
  }
  const create = `Creating application "${i.displayName}" in tenant ${t.tenantId}`;
  const body = {
    displayName: i.displayName,
    signInAudience: MULTI_TENANT_AUDIENCE,
    web: { redirectUris: [redirectUriOf(i)] },
    requiredResourceAccess: wantedRequirements([], roleId, false),
    tags: [tag],
  };
  const created = await createApplication(t.g, body, create);
  if (created)
    return {
      app: await untilVisible(
        () => getApplication(t.g, created.id, create),
        `${create}: the new application ${created.appId}`,
      ),
      found: false,
    };
  log.warn(`${create}: the answer was lost; looking for the application by its tag before anything else.`);
  return {
    app: await untilVisible(
      async () => (await findApplicationsByTag(t.g, tag, create))[0],
      `${create}: the answer was lost and no application tagged "${tag}" appeared`,
    ),
    found: false,
  };
}

async function adopt(t: Target, appId: string): Promise<Application> {
  const action = `Reading application ${appId} (adoptAppId) in tenant ${t.tenantId}`;
  const app = await getApplicationByAppId(t.g, appId, action);
  if (!app) {
    throw new Error(
      `${action}: there is no application with this appId in the target tenant. Check adoptAppId against Entra → App registrations → Application (client) ID, or remove it to create a new app.`,
    );
  }
  return app;
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

export { sameId };
