// The emulated tenants' state, shared by every surface. Directory objects are kept in Graph's JSON
// shape (camelCase, as Graph returns them) and Exchange objects in Exchange's shape (PascalCase, as
// InvokeCommand returns them), so a surface renders what it stores. What a surface needs of another
// (Exchange asking whether consent exists) goes through the helpers below, not through copies.

export type Surface = "login" | "graph" | "exchange" | "admin";

export interface Violation {
  surface: Surface;
  /** e.g. "unknown-cmdlet", "unknown-parameter", "not-in-exchange-online", "unknown-graph-path", "unknown-property". */
  kind: string;
  detail: string;
  at: string;
}

export type Rec = Record<string, unknown>;

/** Bookkeeping the emulator keeps beside an object; never rendered. */
export interface Meta {
  /** Epoch ms from which the object is visible (replication delay). */
  visibleAt: number;
  /** Epoch ms of creation. */
  createdAt: number;
}

export interface Stored<T extends Rec = Rec> {
  obj: T;
  meta: Meta;
}

export interface DirectoryState {
  organization: Rec;
  domains: Rec[];
  subscribedSkus: Rec[];
  /** keyed by object id */
  applications: Map<string, Stored>;
  servicePrincipals: Map<string, Stored>;
  appRoleAssignments: Map<string, Stored>;
  users: Map<string, Stored>;
  groups: Map<string, Stored>;
  directoryRoles: Map<string, Stored>;
  roleAssignments: Map<string, Stored>;
  oauth2PermissionGrants: Map<string, Stored>;
  /** Soft-deleted directory objects, keyed by id; `obj["@odata.type"]` says what each one is. */
  deletedItems: Map<string, Stored>;
  /** Client secret values by application object id then keyId. Graph never returns them again. */
  secretValues: Map<string, Map<string, string>>;
  /** Device-code sign-ins waiting for approval, by device code. */
  deviceCodes: Map<string, Rec>;
}

export interface ExchangeState {
  organizationConfig: Rec;
  acceptedDomains: Rec[];
  /** Mailboxes, MailUsers, groups... keyed by Guid (lower-case). */
  recipients: Map<string, Stored>;
  /** Soft-deleted recipients, keyed by Guid. */
  softDeletedRecipients: Map<string, Stored>;
  organizationRelationships: Map<string, Stored>;
  migrationEndpoints: Map<string, Stored>;
  migrationBatches: Map<string, Stored>;
  migrationUsers: Map<string, Stored>;
  /** Issued paging continuations, by $skiptoken. */
  pagingTokens: Map<string, Rec>;
}

export interface TenantState {
  tenantId: string;
  /** "source" or "target" in the seeded pair; any label for extra tenants. */
  label: string;
  /** Initial domain, e.g. "contoso.onmicrosoft.com". */
  initialDomain: string;
  /** The operator app the CLI prints credentials for. */
  operator: { clientId: string; clientSecret: string; servicePrincipalId: string };
  directory: DirectoryState;
  exchange: ExchangeState;
}

export interface EmulatorState {
  tenants: Map<string, TenantState>;
  /** Requests that broke Microsoft's reference (strict mode). */
  violations: Violation[];
}

export function emptyDirectory(organization: Rec): DirectoryState {
  return {
    organization,
    domains: [],
    subscribedSkus: [],
    applications: new Map(),
    servicePrincipals: new Map(),
    appRoleAssignments: new Map(),
    users: new Map(),
    groups: new Map(),
    directoryRoles: new Map(),
    roleAssignments: new Map(),
    oauth2PermissionGrants: new Map(),
    deletedItems: new Map(),
    secretValues: new Map(),
    deviceCodes: new Map(),
  };
}

export function emptyExchange(organizationConfig: Rec): ExchangeState {
  return {
    organizationConfig,
    acceptedDomains: [],
    recipients: new Map(),
    softDeletedRecipients: new Map(),
    organizationRelationships: new Map(),
    migrationEndpoints: new Map(),
    migrationBatches: new Map(),
    migrationUsers: new Map(),
    pagingTokens: new Map(),
  };
}

export function stored<T extends Rec>(obj: T, now: number, replicationMs = 0): Stored<T> {
  return { obj, meta: { createdAt: now, visibleAt: now + replicationMs } };
}

export function isVisible(s: Stored, now: number): boolean {
  return s.meta.visibleAt <= now;
}

/** Finds a tenant by GUID or by any of its domains (Exchange accepts either in the URL). */
export function findTenant(state: EmulatorState, idOrDomain: string): TenantState | undefined {
  const key = idOrDomain.toLowerCase();
  const byId = state.tenants.get(key);
  if (byId) return byId;
  for (const t of state.tenants.values()) {
    if (t.initialDomain.toLowerCase() === key) return t;
    if (t.directory.domains.some((d) => String(d.id).toLowerCase() === key)) return t;
  }
  return undefined;
}

export function servicePrincipalByAppId(t: TenantState, appId: string, now: number): Stored | undefined {
  for (const sp of t.directory.servicePrincipals.values()) {
    if (String(sp.obj.appId).toLowerCase() === appId.toLowerCase() && isVisible(sp, now)) return sp;
  }
  return undefined;
}

/** Application (registration) by appId, searched across every tenant: a multi-tenant app lives in its home tenant only. */
export function applicationByAppId(
  state: EmulatorState,
  appId: string,
): { tenant: TenantState; app: Stored } | undefined {
  for (const tenant of state.tenants.values()) {
    for (const app of tenant.directory.applications.values()) {
      if (String(app.obj.appId).toLowerCase() === appId.toLowerCase()) return { tenant, app };
    }
  }
  return undefined;
}

/**
 * The application permissions (role values) a service principal holds on a resource, as a token would
 * carry them. `since` filters to assignments older than the given epoch ms (consent propagation).
 */
export function grantedRoles(t: TenantState, principalId: string, resourceAppId: string, since = Infinity): string[] {
  const resource = [...t.directory.servicePrincipals.values()].find(
    (sp) => String(sp.obj.appId).toLowerCase() === resourceAppId.toLowerCase(),
  );
  if (!resource) return [];
  const roles = (resource.obj.appRoles as Rec[] | undefined) ?? [];
  const out: string[] = [];
  for (const a of t.directory.appRoleAssignments.values()) {
    if (a.obj.principalId !== principalId || a.obj.resourceId !== resource.obj.id) continue;
    if (a.meta.createdAt > since) continue;
    const role = roles.find((r) => r.id === a.obj.appRoleId);
    if (role && typeof role.value === "string") out.push(role.value);
  }
  return out;
}

/** Directory role template ids held by a principal (through unifiedRoleAssignments at directory scope). */
export function directoryRoleTemplates(t: TenantState, principalId: string): string[] {
  const out: string[] = [];
  for (const ra of t.directory.roleAssignments.values()) {
    if (ra.obj.principalId === principalId) out.push(String(ra.obj.roleDefinitionId));
  }
  return out;
}

// State files: Maps become [key, value] arrays so a saved pair reloads exactly.
export function serializeState(state: EmulatorState): string {
  return JSON.stringify(state, (_k, v) => (v instanceof Map ? { __map: [...v.entries()] } : v));
}

export function deserializeState(text: string): EmulatorState {
  return JSON.parse(text, (_k, v) => (v && typeof v === "object" && Array.isArray(v.__map) ? new Map(v.__map) : v));
}
