// Which application is this MigrationApp's: the one tagged with its natural key (found again after a lost
// answer or a failed up, created only when none carries the tag, never two), or the one adoptAppId names.

import { log } from "../context";
import {
  createApplication,
  findApplicationsByName,
  findApplicationsByTag,
  getApplication,
  getApplicationByAppId,
  untilVisible,
  type Application,
} from "./directory";
import { MULTI_TENANT_AUDIENCE, TAG_PREFIX, redirectUriOf, type Inputs } from "./inputs";
import { wantedRequirements } from "./permissions";
import type { Target } from "./target";

export const tagOf = (naturalKey: string) => `${TAG_PREFIX}${naturalKey}`;

/** Finds this stack's app by its tag (`found`), or creates it; never two. */
export async function findOrCreate(
  t: Target,
  i: Inputs,
  roleId: string,
): Promise<{ app: Application; found: boolean }> {
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

export async function adopt(t: Target, appId: string): Promise<Application> {
  const action = `Reading application ${appId} (adoptAppId) in tenant ${t.tenantId}`;
  const app = await getApplicationByAppId(t.g, appId, action);
  if (!app) {
    throw new Error(
      `${action}: there is no application with this appId in the target tenant. Check adoptAppId against Entra → App registrations → Application (client) ID, or remove it to create a new app.`,
    );
  }
  return app;
}
