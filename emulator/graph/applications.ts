// /applications: registrations, their client secrets (addPassword/removePassword) and soft deletion.

import { applicationByAppId, type Rec } from "../model";
import { guid, clientSecret, isoDate } from "./ids";
import {
  type OpCall,
  type OpHandler,
  applicationOf,
  store,
  visibleObjects,
  softDelete,
  dropAssignmentsOf,
} from "./objects";
import { collectionResponse, entityResponse } from "./query";
import { badRequest, context, notFound, ok } from "./respond";

const AUDIENCES = [
  "AzureADMyOrg",
  "AzureADMultipleOrgs",
  "AzureADandPersonalMicrosoftAccount",
  "PersonalMicrosoftAccount",
];
const TWO_YEARS_MS = 2 * 365 * 86_400_000;

/** Properties the service assigns; a value in a write body is ignored, as Graph does for read-only properties. */
const SERVICE_OWNED = ["id", "appId", "createdDateTime", "deletedDateTime", "publisherDomain", "createdByAppId"];

function writable(c: OpCall): Rec {
  const body: Rec = { ...c.body };
  for (const k of SERVICE_OWNED) delete body[k];
  if ("passwordCredentials" in body) {
    c.ctx.violation({
      surface: "graph",
      kind: "documented-misuse",
      detail: `${c.op.method} ${c.op.path}: passwordCredentials cannot be set here; the page says to use addPassword`,
    });
    if (c.ctx.options.graph.passwordCredentialsOnWrite === "reject") {
      throw badRequest("Property 'passwordCredentials' is read-only and cannot be set.");
    }
    delete body.passwordCredentials;
  }
  if (body.signInAudience !== undefined && !AUDIENCES.includes(String(body.signInAudience))) {
    throw badRequest(`Invalid value specified for property 'signInAudience' of resource 'Application'.`);
  }
  return body;
}

const list: OpHandler = (c) =>
  collectionResponse(c, "application", "applications", visibleObjects(c.tenant.directory.applications, c.now), c.query);

const create: OpHandler = (c) => {
  const body = writable(c);
  const obj: Rec = {
    id: guid(c.ctx.random),
    deletedDateTime: null,
    appId: guid(c.ctx.random),
    createdDateTime: isoDate(c.now),
    publisherDomain: c.tenant.initialDomain,
    signInAudience: c.ctx.options.graph.defaultSignInAudience,
    identifierUris: [],
    tags: [],
    appRoles: [],
    keyCredentials: [],
    requiredResourceAccess: [],
    ...body,
    passwordCredentials: [],
  };
  store(c, c.tenant.directory.applications, obj);
  return entityResponse(c, 201, "application", "applications", obj);
};

const get: OpHandler = (c) => entityResponse(c, 200, "application", "applications", applicationOf(c).obj, c.query);

const update: OpHandler = (c) => {
  const app = applicationOf(c);
  Object.assign(app.obj, writable(c));
  return ok(c, 204);
};

const remove: OpHandler = (c) => {
  const app = applicationOf(c);
  const d = c.tenant.directory;
  softDelete(c.tenant, d.applications, app, "#microsoft.graph.application", c.now);
  // The application's own service principal in its home tenant goes with it (Entra deletes both).
  for (const sp of [...d.servicePrincipals.values()]) {
    if (String(sp.obj.appId).toLowerCase() === String(app.obj.appId).toLowerCase()) {
      dropAssignmentsOf(c.tenant, String(sp.obj.id));
      softDelete(c.tenant, d.servicePrincipals, sp, "#microsoft.graph.servicePrincipal", c.now);
    }
  }
  return ok(c, 204);
};

const addPassword: OpHandler = (c) => {
  const app = applicationOf(c);
  const input = (c.body.passwordCredential ?? {}) as Rec;
  const start = typeof input.startDateTime === "string" ? Date.parse(input.startDateTime) : c.now;
  const end = typeof input.endDateTime === "string" ? Date.parse(input.endDateTime) : start + TWO_YEARS_MS;
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
    throw badRequest("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.");
  }
  const secret = clientSecret(c.ctx.random);
  const cred: Rec = {
    customKeyIdentifier: null,
    displayName: typeof input.displayName === "string" ? input.displayName : null,
    endDateTime: isoDate(end),
    hint: secret.slice(0, 3),
    keyId: guid(c.ctx.random),
    secretText: null,
    startDateTime: isoDate(start),
  };
  const creds = (app.obj.passwordCredentials as Rec[] | undefined) ?? [];
  app.obj.passwordCredentials = [...creds, cred];
  const values = c.tenant.directory.secretValues.get(String(app.obj.id)) ?? new Map<string, string>();
  values.set(String(cred.keyId), secret);
  c.tenant.directory.secretValues.set(String(app.obj.id), values);
  // The one response that carries the secret; GETs render secretText as null from here on.
  return ok(c, 200, {
    "@odata.context": context(c, "microsoft.graph.passwordCredential"),
    ...cred,
    secretText: secret,
  });
};

const removePassword: OpHandler = (c) => {
  const app = applicationOf(c);
  const keyId = c.body.keyId;
  if (typeof keyId !== "string")
    throw badRequest("Invalid value specified for property 'keyId' of resource 'PasswordCredential'.");
  const creds = (app.obj.passwordCredentials as Rec[] | undefined) ?? [];
  const kept = creds.filter((p) => String(p.keyId).toLowerCase() !== keyId.toLowerCase());
  // Assumption: an unknown keyId answers 404 like any missing resource (no page states the error).
  if (kept.length === creds.length) throw notFound(keyId);
  app.obj.passwordCredentials = kept;
  c.tenant.directory.secretValues.get(String(app.obj.id))?.delete(keyId);
  return ok(c, 204);
};

export const APPLICATION_HANDLERS: Record<string, OpHandler> = {
  "applications.application.ListApplication": list,
  "applications.application.CreateApplication": create,
  "applications.application.GetApplication": get,
  "applications.application.GetApplicationByAppId": get,
  "applications.application.UpdateApplication": update,
  "applications.application.UpdateApplicationByAppId": update,
  "applications.application.DeleteApplication": remove,
  "applications.application.DeleteApplicationByAppId": remove,
  "applications.application.addPassword": addPassword,
  "applications.application.removePassword": removePassword,
};

/** The home application of an appId, if it is visible (used when another tenant creates its service principal). */
export function homeApplication(state: import("../model").EmulatorState, appId: string, now: number) {
  const hit = applicationByAppId(state, appId);
  return hit && hit.app.meta.visibleAt <= now ? hit : undefined;
}
