// Group membership converged as a set. Members are compared case-insensitively by any SMTP address the
// member has (Get-DistributionGroupMember returns PrimarySmtpAddress and EmailAddresses), so a member
// named by a secondary address is not removed and re-added. Small changes go member by member; large
// ones replace the list in one Update-DistributionGroupMember (Exchange keeps the members that stay).

import { log, type Props } from "../context";
import type { TenantClient } from "../tenant";
import { kindOf, message } from "../exchangeFailure";

/** Up to this many adds plus removes go one call each; more are one full replacement. */
export const SMALL_CHANGE = 10;
/** Up to this many unknown addresses are looked up one by one; more are found from one recipient listing. */
const LOOKUP_ONE_BY_ONE = 50;
const MEMBER_SELECT = ["Name", "Guid", "PrimarySmtpAddress", "EmailAddresses"];
const BYPASS = { BypassSecurityGroupManagerCheck: true };

export interface Member {
  Name?: string;
  Guid?: string;
  PrimarySmtpAddress: string;
  EmailAddresses?: string[];
}

export interface MembershipPlan {
  add: string[];
  remove: Member[];
  /** Requested address → the member's primary address, where they differ. */
  aliases: Record<string, string>;
}

export const normalize = (addresses: string[]): string[] => [...new Set(addresses.map((a) => a.trim().toLowerCase()))];

function addressesOf(m: Member): string[] {
  const out = [m.PrimarySmtpAddress];
  for (const p of m.EmailAddresses ?? []) if (/^smtp:/i.test(p)) out.push(p.slice(5));
  return out.filter(Boolean).map((a) => a.toLowerCase());
}

export function planMembership(desired: string[], current: Member[]): MembershipPlan {
  const byAddress = new Map<string, Member>();
  for (const m of current) for (const a of addressesOf(m)) byAddress.set(a, m);
  const kept = new Set<Member>();
  const add: string[] = [];
  const aliases: Record<string, string> = {};
  for (const d of normalize(desired)) {
    const m = byAddress.get(d);
    if (!m) {
      add.push(d);
      continue;
    }
    kept.add(m);
    const primary = m.PrimarySmtpAddress.toLowerCase();
    if (primary !== d) aliases[d] = primary;
  }
  return { add, remove: current.filter((m) => !kept.has(m)), aliases };
}

export const primaries = (members: Member[]): string[] =>
  normalize(members.map((m) => m.PrimarySmtpAddress).filter(Boolean)).sort();

export async function readMembers(client: TenantClient, group: string, who: string): Promise<Member[]> {
  try {
    // ResultSize: Exchange returns only 1,000 members unless told otherwise.
    return (
      await client.exchange.invoke<Member>(
        "Get-DistributionGroupMember",
        { Identity: group, ResultSize: "Unlimited" },
        { select: MEMBER_SELECT },
      )
    ).value;
  } catch (e) {
    throw new Error(`Reading the members of ${who} (Get-DistributionGroupMember): ${message(e)}`);
  }
}

export interface Converged {
  members: Member[];
  aliases: Record<string, string>;
  /** Requested addresses no recipient has (only when told to tolerate them). */
  skipped: string[];
}

/**
 * Brings the group's members to `desired`. Unknown addresses fail the whole change with an error naming
 * all of them, unless `tolerateMissing` (restoring an adopted group's members, some of whom may be gone).
 */
export async function convergeMembers(
  client: TenantClient,
  group: string,
  desired: string[],
  who: string,
  tolerateMissing = false,
): Promise<Converged> {
  const current = await readMembers(client, group, who);
  const plan = planMembership(desired, current);
  if (plan.add.length + plan.remove.length === 0) return { members: current, aliases: plan.aliases, skipped: [] };
  let missing: string[];
  if (plan.add.length + plan.remove.length <= SMALL_CHANGE) missing = await oneByOne(client, group, plan, who);
  else missing = await replaceAll(client, group, normalize(desired), plan, who, tolerateMissing);
  if (missing.length && !tolerateMissing) throw notFound(who, missing);
  if (missing.length)
    log.warn(`${who}: skipped ${missing.length} member(s) that no longer exist: ${missing.join(", ")}.`);
  const after = await readMembers(client, group, who);
  return { members: after, aliases: planMembership(desired, after).aliases, skipped: missing };
}

function notFound(who: string, missing: string[]): Error {
  return new Error(
    `${who}: no recipient has the address(es) ${missing.join(", ")}; Exchange cannot make them members. ` +
      "Fix the members list (a mailbox's address in the source tenant), then run up again.",
  );
}

async function oneByOne(client: TenantClient, group: string, plan: MembershipPlan, who: string): Promise<string[]> {
  const missing: string[] = [];
  // Adding twice answers "already a member" and removing twice "isn't a member": both are the state we
  // want, so the tenant layer may resend either after a lost answer.
  const jobs = [
    ...plan.add.map((member) => async () => {
      try {
        await client.exchange.invoke(
          "Add-DistributionGroupMember",
          { Identity: group, Member: member, ...BYPASS },
          { idempotent: true },
        );
      } catch (e) {
        if (kindOf(e) === "AlreadyExists") return;
        if (kindOf(e) === "NotFound") return void missing.push(member);
        throw new Error(`Adding ${member} to ${who} (Add-DistributionGroupMember): ${message(e)}`);
      }
    }),
    ...plan.remove.map((m) => async () => {
      const member = m.Guid || m.PrimarySmtpAddress;
      try {
        await client.exchange.invoke(
          "Remove-DistributionGroupMember",
          { Identity: group, Member: member, ...BYPASS, Confirm: false },
          { idempotent: true },
        );
      } catch (e) {
        if (kindOf(e) === "NotAMember" || kindOf(e) === "NotFound") return;
        throw new Error(`Removing ${m.PrimarySmtpAddress} from ${who} (Remove-DistributionGroupMember): ${message(e)}`);
      }
    }),
  ];
  // A few in flight; the tenant layer's per-tenant gate decides how many really run at once.
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }),
  );
  return missing.sort();
}

async function replaceAll(
  client: TenantClient,
  group: string,
  desired: string[],
  plan: MembershipPlan,
  who: string,
  tolerateMissing: boolean,
): Promise<string[]> {
  const update = (members: string[]) =>
    client.exchange.invoke(
      "Update-DistributionGroupMember",
      { Identity: group, Members: members, ...BYPASS, Confirm: false },
      { idempotent: true },
    );
  try {
    await update(desired);
    return [];
  } catch (e) {
    if (kindOf(e) !== "NotFound")
      throw new Error(
        `Replacing the members of ${who} (Update-DistributionGroupMember, ${desired.length} members): ${message(e)}`,
      );
    // Exchange names only the first unknown member; find them all (only new ones can be unknown).
    const missing = await unknownAddresses(client, plan.add, who);
    if (!missing.length)
      throw new Error(`Replacing the members of ${who} (Update-DistributionGroupMember): ${message(e)}`);
    if (tolerateMissing) await update(desired.filter((d) => !missing.includes(d)));
    return missing;
  }
}

/** The addresses no recipient in the tenant has. */
export async function unknownAddresses(client: TenantClient, addresses: string[], who: string): Promise<string[]> {
  if (addresses.length <= LOOKUP_ONE_BY_ONE) {
    const missing: string[] = [];
    for (const a of addresses) {
      try {
        await client.exchange.invoke("Get-Recipient", { Identity: a }, { select: ["PrimarySmtpAddress"] });
      } catch (e) {
        if (kindOf(e) === "NotFound") missing.push(a);
        else throw new Error(`Looking up the member ${a} of ${who} (Get-Recipient): ${message(e)}`);
      }
    }
    return missing;
  }
  let all: Props[];
  try {
    all = (
      await client.exchange.invoke<Props>(
        "Get-Recipient",
        { ResultSize: "Unlimited" },
        { select: ["PrimarySmtpAddress", "EmailAddresses"] },
      )
    ).value;
  } catch (e) {
    throw new Error(`Looking up the members of ${who} (Get-Recipient): ${message(e)}`);
  }
  const known = new Set<string>();
  for (const r of all) for (const a of addressesOf(r as unknown as Member)) known.add(a);
  return addresses.filter((a) => !known.has(a.toLowerCase()));
}
