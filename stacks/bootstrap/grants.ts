// What the operator identity is granted, derived from providers/tenant/permissions.ts and from nothing else.
// The bootstrap program declares exactly these grants, the README's prerequisites table is rendered from them
// (and checked by a test), and the emulator seeds the same list, so a provider call that needs a permission
// not listed there fails a test instead of a tenant. No Pulumi here: plain data and pure functions.

import {
  EXCHANGE_ADMIN_ROLE,
  EXCHANGE_APPLICATION_PERMISSIONS,
  GRAPH_APPLICATION_PERMISSIONS,
  RESOURCE_APP_IDS,
  type AppPermission,
} from "../../providers/tenant/permissions";

/** One first-party API and the application permissions (app roles) the operator holds on it. */
export interface ResourceGrant {
  /** Short, stable name; part of Pulumi resource names, so never changed once released. */
  key: keyof typeof RESOURCE_APP_IDS;
  /** The resource's display name in Entra (API permissions blade). */
  displayName: string;
  /** The resource's well-known application id; the same in every tenant and cloud. */
  resourceAppId: string;
  permissions: readonly AppPermission[];
}

export const OPERATOR_API_GRANTS: readonly ResourceGrant[] = [
  {
    key: "microsoftGraph",
    displayName: "Microsoft Graph",
    resourceAppId: RESOURCE_APP_IDS.microsoftGraph,
    permissions: GRAPH_APPLICATION_PERMISSIONS,
  },
  {
    key: "exchangeOnline",
    displayName: "Office 365 Exchange Online",
    resourceAppId: RESOURCE_APP_IDS.exchangeOnline,
    permissions: EXCHANGE_APPLICATION_PERMISSIONS,
  },
];

/** The Entra directory role the Exchange admin API requires of an app-only caller, assigned tenant-wide. */
export const OPERATOR_DIRECTORY_ROLE = {
  ...EXCHANGE_ADMIN_ROLE,
  /** Tenant-wide: the admin API has no narrower scope for an app-only caller. */
  directoryScopeId: "/",
  why: "the Exchange Online admin API answers an app-only caller only when it also holds an Entra role",
} as const;

/** `requiredResourceAccess` of the operator application: application permissions only (`Role`), no scopes. */
export function requiredResourceAccesses(): {
  resourceAppId: string;
  resourceAccesses: { id: string; type: "Role" }[];
}[] {
  return OPERATOR_API_GRANTS.map((g) => ({
    resourceAppId: g.resourceAppId,
    resourceAccesses: g.permissions.map((p) => ({ id: p.id, type: "Role" as const })),
  }));
}

/**
 * The app role id to assign, checked against what the resource's service principal in this tenant publishes
 * (`appRoleIds`: value -> id). permissions.ts holds Microsoft's published ids; a tenant that disagrees (or a
 * typo in permissions.ts) stops the bootstrap at preview rather than granting something else.
 */
export function checkedAppRoleId(
  grant: ResourceGrant,
  permission: AppPermission,
  published: Record<string, string> | undefined,
): string {
  const actual = published?.[permission.value];
  if (actual === undefined) {
    throw new Error(
      `${grant.displayName} (${grant.resourceAppId}) in this tenant publishes no application permission '${permission.value}'. ` +
        `Check providers/tenant/permissions.ts against the API's published app roles.`,
    );
  }
  if (actual.toLowerCase() !== permission.id.toLowerCase()) {
    throw new Error(
      `${grant.displayName} publishes '${permission.value}' with id ${actual}, but providers/tenant/permissions.ts says ${permission.id}. ` +
        `Correct permissions.ts (ids are Microsoft's published app-role ids) and run the bootstrap again.`,
    );
  }
  return permission.id;
}

/** A safe fragment of a Pulumi resource name for a grant, e.g. `microsoftGraph/User.ReadWrite.All`. */
export function grantResourceName(grant: ResourceGrant, permission: AppPermission): string {
  return `${grant.key}/${permission.value}`;
}

export const README_BEGIN =
  "<!-- operator-permissions:begin (generated from providers/tenant/permissions.ts by stacks/bootstrap/grants.ts; `npm test` checks it) -->";
export const README_END = "<!-- operator-permissions:end -->";

/** The README's prerequisites table, markers included. */
export function renderPermissionsTable(): string {
  const rows: string[] = ["| API | Permission | Id | Why the providers need it |", "| --- | --- | --- | --- |"];
  for (const g of OPERATOR_API_GRANTS) {
    for (const p of g.permissions) {
      rows.push(
        `| ${g.displayName} (\`${g.resourceAppId}\`) | application permission \`${p.value}\` | \`${p.id}\` | ${p.why} |`,
      );
    }
  }
  const r = OPERATOR_DIRECTORY_ROLE;
  rows.push(
    `| Microsoft Entra ID | directory role ${r.displayName}, scope \`${r.directoryScopeId}\` | \`${r.templateId}\` (role template) | ${r.why} |`,
  );
  return [README_BEGIN, ...rows, README_END].join("\n");
}

/** The generated block as it stands in a README text, or undefined when the markers are missing. */
export function extractPermissionsTable(readme: string): string | undefined {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) return undefined;
  return readme.slice(begin, end + README_END.length);
}

// `node dist/stacks/bootstrap/grants.js` prints the block to paste into README.md.
if (require.main === module) process.stdout.write(renderPermissionsTable() + "\n");
