// The emulator's two tenants as plain data, for "the tenants hold exactly what they held before" comparisons
// after a destroy, and the deleted app a destroy leaves in Entra's recycle bin.

import type { Emulator } from "../../emulator";
import type { Rec } from "../../emulator/model";

export type Section = Record<string, unknown>;
export type Snapshot = Record<string, { directory: Section; exchange: Section }>;

// Clock values change with every write and say nothing about what a tenant holds.
const TIMESTAMP =
  /^(When(Changed|Created)(UTC)?|createdDateTime|deletedDateTime|renewedDateTime|lastModifiedDateTime)$/;
// Paging continuations and sign-ins in progress are not tenant content.
const EPHEMERAL = new Set(["pagingTokens", "deviceCodes"]);

function norm(v: unknown): unknown {
  if (v instanceof Map) {
    // Stored objects by key; a map of maps (secret values by app) by its keys only, so no secret is compared or printed.
    return Object.fromEntries(
      [...v.entries()]
        .sort(([a], [b]) => String(a).localeCompare(String(b)))
        .map(([k, x]) => [k, x instanceof Map ? [...x.keys()].sort() : norm(x?.obj ?? x)]),
    );
  }
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .filter((k) => !TIMESTAMP.test(k))
        .sort()
        .map((k) => [k, norm((v as Rec)[k])]),
    );
  return v;
}

const section = (o: object): Section =>
  Object.fromEntries(
    Object.entries(o)
      .filter(([k]) => !EPHEMERAL.has(k))
      .map(([k, v]) => [k, norm(v)]),
  );

/**
 * Everything each tenant holds, normalised (timestamps dropped, maps sorted by key). `migrated` names the
 * ExchangeGuids of moved mailboxes: their recipients (in both tenants) and their directory users are left out.
 * `from` re-filters an earlier snapshot with the same exclusions.
 */
export function snapshot(e: Emulator, migrated = new Set<string>(), from?: Snapshot): Snapshot {
  const taken: Snapshot =
    from ??
    Object.fromEntries(
      [...e.state.tenants.values()].map((t) => [
        t.label,
        { directory: section(t.directory), exchange: section(t.exchange) },
      ]),
    );
  const out: Snapshot = {};
  for (const [label, { directory, exchange }] of Object.entries(taken)) {
    const recipients = exchange.recipients as Record<string, Rec>;
    const moved = new Set(Object.keys(recipients).filter((k) => migrated.has(String(recipients[k].ExchangeGuid))));
    const users = new Set([...moved].map((k) => String(recipients[k].ExternalDirectoryObjectId)));
    const without = (o: unknown, drop: Set<string>) =>
      Object.fromEntries(Object.entries(o as Rec).filter(([k]) => !drop.has(k)));
    out[label] = {
      directory: { ...directory, users: without(directory.users, users) },
      exchange: { ...exchange, recipients: without(recipients, moved) },
    };
  }
  return out;
}

/** One app's entries in a tenant's Entra recycle bin (`deletedItems`): its application and service principals, by id. */
export function binnedApp(s: Snapshot, label: string, appId: string): Array<[string, Rec]> {
  return Object.entries(s[label].directory.deletedItems as Record<string, Rec>).filter(([, o]) => o.appId === appId);
}

/** Takes one app's recycle-bin entries, and their secret values, out of both tenants' snapshots. */
export function dropBinnedApp(s: Snapshot, appId: string): void {
  for (const label of ["source", "target"]) {
    const ids = new Set(binnedApp(s, label, appId).map(([id]) => id));
    const keep = (o: unknown) => Object.fromEntries(Object.entries(o as Rec).filter(([id]) => !ids.has(id)));
    const d = s[label].directory;
    s[label].directory = { ...d, deletedItems: keep(d.deletedItems), secretValues: keep(d.secretValues) };
  }
}

/** What a destroy of a stack that made the migration app leaves in the recycle bins, by tenant (Entra keeps them 30 days). */
export const BINNED_APP = {
  source: ["#microsoft.graph.servicePrincipal"],
  target: ["#microsoft.graph.application", "#microsoft.graph.servicePrincipal"],
};

/**
 * The pair after a destroy, made comparable with the snapshot `before` the first up: the app's recycle-bin
 * entries (returned by their types, to be checked against BINNED_APP) are taken out, and each organization's
 * IsDehydrated is set back, as Exchange cannot dehydrate an organization again.
 */
export function afterDestroy(
  e: Emulator,
  before: Snapshot,
  appId: string,
): { after: Snapshot; was: Snapshot; binned: Record<"source" | "target", string[]> } {
  const after = snapshot(e);
  const was = snapshot(e, undefined, before);
  const types = (label: string) =>
    binnedApp(after, label, appId)
      .map(([, o]) => String(o["@odata.type"]))
      .sort();
  const binned = { source: types("source"), target: types("target") };
  dropBinnedApp(after, appId);
  for (const role of ["source", "target"] as const) {
    after[role].exchange.organizationConfig = {
      ...(after[role].exchange.organizationConfig as Rec),
      IsDehydrated: (was[role].exchange.organizationConfig as Rec).IsDehydrated,
    };
  }
  return { after, was, binned };
}
