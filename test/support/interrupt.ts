// Interrupting a real `pulumi up` (cli-interrupt.test.ts): the processes a CLI command started, killing all of
// them at once (a closed laptop, a killed terminal), one Ctrl-C as a terminal sends it, and waiting for the
// moment to do it by watching the requests the emulator receives; then what the tenants hold against what the
// stack's checkpoint records.

import * as fs from "node:fs";
import type { Emulator } from "../../emulator";
import type { DirectoryState, ExchangeState, Rec, Stored, TenantState } from "../../emulator/model";
import type { RequestRecord } from "../../emulator/server";
import { snapshot } from "./tenantSnapshot";
import { descendants } from "../../harness/processes";
import { tenantOf } from "./emulator";

const alive = (pid: number): boolean => {
  try {
    // A zombie still answers signal 0; its state in /proc says it is gone.
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
};

/**
 * SIGKILL to the CLI and everything it started (the language host, the program's node process, the provider
 * host, a pwsh it runs). The CLI starts its plugins in process groups of their own, so a signal to the CLI's
 * group misses them: the tree is found through /proc, stopped first (so nothing starts a process the kill
 * would miss, and nothing runs on after the moment chosen), looked at again, then killed. Resolves once all
 * of them are gone, with how many there were.
 */
export async function killTree(pid: number): Promise<number> {
  const tree = new Set([pid, ...descendants(pid)]);
  signal(-pid, "SIGSTOP");
  for (const p of tree) signal(p, "SIGSTOP");
  for (const p of descendants(pid)) {
    tree.add(p);
    signal(p, "SIGSTOP");
  }
  signal(-pid, "SIGKILL");
  for (const p of tree) signal(p, "SIGKILL");
  const all = [...tree];
  for (let i = 0; i < 200 && all.some(alive); i++) await new Promise((r) => setTimeout(r, 25));
  const left = all.filter(alive);
  if (left.length > 0) throw new Error(`processes ${left.join(", ")} survived SIGKILL`);
  return all.length;
}

/**
 * One Ctrl-C as a terminal sends it: SIGINT to the command's process group (the CLI alone: its plugins run in
 * groups of their own, so a terminal's Ctrl-C reaches only the CLI, which shuts them down).
 */
export function ctrlC(pid: number): void {
  signal(-pid, "SIGINT");
}

/**
 * Resolves with the index of the first request (at or after `from`) that `matches`, polling the emulator's
 * request log; rejects after `timeoutMs`, or when `stop` (the command's end) comes first.
 */
export async function requestSeen(
  e: Emulator,
  matches: (r: RequestRecord) => boolean,
  opts: { from?: number; timeoutMs?: number; stop?: Promise<unknown>; what: string },
): Promise<number> {
  let ended = false;
  void opts.stop?.then(() => (ended = true));
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  for (let i = opts.from ?? 0; ;) {
    for (; i < e.requests.length; i++) if (matches(e.requests[i])) return i;
    if (ended) throw new Error(`the command ended before ${opts.what}`);
    if (Date.now() > deadline) throw new Error(`no ${opts.what} within ${(opts.timeoutMs ?? 180_000) / 1000} s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- What the tenants hold, against what the stack's checkpoint records ----

type Collection =
  | "applications"
  | "servicePrincipals"
  | "appRoleAssignments"
  | "users"
  | "groups"
  | "recipients"
  | "organizationRelationships"
  | "migrationEndpoints"
  | "migrationBatches";
const DIRECTORY: Collection[] = ["applications", "servicePrincipals", "appRoleAssignments", "users", "groups"];
const EXCHANGE: Collection[] = ["recipients", "organizationRelationships", "migrationEndpoints", "migrationBatches"];

export type TenantKeys = Record<string, Record<Collection, Set<string>>>;

function collections(t: TenantState): [Collection, Map<string, Stored>][] {
  return [
    ...DIRECTORY.map(
      (c) => [c, t.directory[c as keyof DirectoryState] as Map<string, Stored>] as [Collection, Map<string, Stored>],
    ),
    ...EXCHANGE.map(
      (c) => [c, t.exchange[c as keyof ExchangeState] as Map<string, Stored>] as [Collection, Map<string, Stored>],
    ),
  ];
}

/** The keys of every object each tenant holds, by collection (taken before an up, to tell what it made). */
export function tenantKeys(e: Emulator): TenantKeys {
  const out: TenantKeys = {};
  for (const t of e.state.tenants.values())
    out[t.label] = Object.fromEntries(collections(t).map(([c, m]) => [c, new Set(m.keys())])) as Record<
      Collection,
      Set<string>
    >;
  return out;
}

/** The objects made since `before`, as "<tenant> <collection> <key>" with the object. */
export function madeSince(e: Emulator, before: TenantKeys): { what: string; obj: Rec }[] {
  const out: { what: string; obj: Rec }[] = [];
  for (const t of e.state.tenants.values()) {
    for (const [c, m] of collections(t))
      for (const [k, s] of m) if (!before[t.label][c].has(k)) out.push({ what: `${t.label} ${c} ${k}`, obj: s.obj });
  }
  return out;
}

/**
 * The objects made since `before` that the checkpoint never mentions: orphans, which no later up, refresh or
 * destroy would find. An object counts as recorded when its key, id, Guid or BatchGuid is in the checkpoint; an
 * app role assignment also when its service principal is (deleting the principal deletes its assignments).
 */
export function orphans(e: Emulator, before: TenantKeys, checkpoint: string): string[] {
  const text = checkpoint.toLowerCase();
  return madeSince(e, before)
    .filter(
      ({ what, obj }) =>
        ![
          what.split(" ")[2],
          obj.id,
          obj.Guid,
          obj.BatchGuid,
          what.includes(" appRoleAssignments ") ? obj.principalId : undefined,
        ].some((v) => typeof v === "string" && v !== "" && text.includes(v.toLowerCase())),
    )
    .map(({ what, obj }) => `${what} (${String(obj.displayName ?? obj.Name ?? obj.appId ?? "")})`);
}

/** The source tenant's mailboxes (users and shared), normalised as tenantSnapshot compares them. */
export function sourceMailboxes(e: Emulator): unknown {
  const recipients = snapshot(e).source.exchange.recipients as Record<string, Rec>;
  return Object.fromEntries(
    Object.entries(recipients).filter(([, r]) => /Mailbox$/.test(String(r.RecipientTypeDetails))),
  );
}

/**
 * The live (not soft-deleted) MailUsers of the target, by their ExternalEmailAddress (the source they stand for).
 * With `before`, only those made since: a MailUser the tenant already had (the seed has one, for the
 * previous-mailbox check) is not the stack's.
 */
export function mailUsersBySource(e: Emulator, before?: TenantKeys): Map<string, Rec[]> {
  const out = new Map<string, Rec[]>();
  const existed = before?.target.recipients;
  for (const [key, { obj }] of tenantOf(e, "target").exchange.recipients) {
    if (existed?.has(key)) continue;
    if (obj.RecipientTypeDetails !== "MailUser" || obj.WhenSoftDeleted || obj.IsSoftDeletedByRemove) continue;
    const source = String(obj.ExternalEmailAddress ?? "")
      .replace(/^smtp:/i, "")
      .toLowerCase();
    out.set(source, [...(out.get(source) ?? []), obj]);
  }
  return out;
}

/** The tenant writes (Exchange cmdlets other than Get-/Test-, Graph calls other than GET) since `from`. */
export function writesSince(e: Emulator, from: number): string[] {
  return e.requests
    .slice(from)
    .filter(
      (r) =>
        (r.surface === "exchange" && !!r.cmdlet && !/^(Get|Test)-/i.test(r.cmdlet)) ||
        (r.surface === "graph" && r.method !== "GET"),
    )
    .map((r) => r.cmdlet ?? `${r.method} ${r.path}`);
}
