// SourceMailboxes: what a migration wave's source mailboxes are, read once per wave from the source tenant
// and handed to the target MailUsers. It creates nothing in any tenant. All the work happens in `check`,
// because the engine uses a to-be-created resource's checked inputs as its outputs at preview: `pulumi
// preview` therefore shows exactly what each target MailUser will be stamped with, and which users cannot
// move and why. Offline validation runs first (no call can be needed to reject bad input), then one bulk
// read of the source (a few paged calls for the whole wave) and one Get-AcceptedDomain on the target.

import * as pulumi from "@pulumi/pulumi";
import { checkedRecordMethods, sameJson as same } from "./checkedRecord";
import { XtmmResource, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, log, type Props, type ResourceImplementation } from "./context";
import { BATCH_LIMIT, tooManyUsers, validateWave, type Failure, type PlannedUser } from "./staging/plan";
import { assess, summaryOf, type SourceMailbox } from "./sourceMailboxes/assess";
import { readSource, targetAcceptedDomains } from "./sourceMailboxes/read";
import { tableRecords, storeTable, type Stored } from "./recordTable";

export type { SourceMailbox } from "./sourceMailboxes/assess";

export interface SourceMailboxesArgs {
  /** The wave's name (one SourceMailboxes per wave). */
  wave: pulumi.Input<string>;
  users: pulumi.Input<PlannedUser[]>;
  /** Target accepted domains that primary addresses may use. */
  targetDomains: pulumi.Input<pulumi.Input<string>[]>;
  /** The domain of the address each MailUser gets for the batch's TargetDeliveryDomain. */
  targetDeliveryDomain: pulumi.Input<string>;
  /**
   * Most users the wave may hold: default 2,000 (Microsoft's limit per migration batch, the wave being one
   * batch); 0 = no limit, for a wave the stack moves in several batches (stack key waves.<wave>.split).
   */
  maxUsers?: pulumi.Input<number>;
}

export interface SourceSummary extends Props {
  ready: number;
  blocked: number;
  moved: number;
}

interface Inputs extends Props {
  wave: string;
  /** The planned users; kept in the state as a table (recordTable.ts) once check has read them. */
  users: Stored<PlannedUser>;
  targetDomains: string[];
  targetDeliveryDomain: string;
  maxUsers?: number;
  /** The records as kept in the state (recordTable.ts); `records` on the resource expands them. */
  mailboxes: Stored<SourceMailbox>;
  summary: SourceSummary;
}

type Outputs = Inputs;

const SPEC: XtmmResourceSpec = {
  kind: "sourceMailboxes",
  type: "SourceMailboxes",
  outputs: ["mailboxes", "summary"],
};

export class SourceMailboxes extends XtmmResource {
  declare readonly wave: pulumi.Output<string>;
  declare readonly users: pulumi.Output<Stored<PlannedUser>>;
  declare readonly targetDomains: pulumi.Output<string[]>;
  declare readonly targetDeliveryDomain: pulumi.Output<string>;
  /** The records as the state keeps them (a table, or the list in state from before): read `records`. */
  declare readonly mailboxes: pulumi.Output<Stored<SourceMailbox>>;
  /** One per user, in the order of `users`. */
  readonly records: pulumi.Output<SourceMailbox[]>;
  declare readonly summary: pulumi.Output<SourceSummary>;

  constructor(name: string, args: SourceMailboxesArgs, opts?: pulumi.CustomResourceOptions) {
    // maxUsers only when given: stacks made before it existed see no change.
    const props = {
      wave: args.wave,
      users: args.users,
      targetDomains: args.targetDomains,
      targetDeliveryDomain: args.targetDeliveryDomain,
    };
    super(SPEC, name, args.maxUsers === undefined ? props : { ...props, maxUsers: args.maxUsers }, opts);
    this.records = this.mailboxes.apply((m) => tableRecords(m) as SourceMailbox[]);
  }
}

const INPUTS = ["wave", "users", "targetDomains", "targetDeliveryDomain", "maxUsers"];
/** Written by check itself; present in `news` only as the class's undefined placeholders or old values. */
const COMPUTED = ["mailboxes", "summary"];
const USER_FIELDS = [
  "sourceAddress",
  "targetPrimary",
  "userPrincipalName",
  "alias",
  "displayName",
  "firstName",
  "lastName",
] as const;
const LOWER: readonly string[] = ["sourceAddress", "targetPrimary", "userPrincipalName"];

const deepUnknown = (v: unknown): boolean =>
  isUnknown(v) ||
  (Array.isArray(v) ? v.some(deepUnknown) : !!v && typeof v === "object" && Object.values(v).some(deepUnknown));

/** Shape checks and normalisation (addresses and domains lower-case); the wave rules are validateWave's. */
function shape(news: Props, failures: Failure[]): Props {
  const out: Props = {};
  for (const key of Object.keys(news)) {
    if (!INPUTS.includes(key) && !COMPUTED.includes(key))
      failures.push({
        property: key,
        reason: `is not an input of SourceMailboxes (inputs: ${INPUTS.join(", ")}); remove it`,
      });
  }
  const { wave, targetDomains, targetDeliveryDomain } = news;
  // A list from the program; the table form only if a stored value ever comes back as input.
  const users = tableRecords(news.users);
  if (!isUnknown(wave) && (typeof wave !== "string" || wave.trim() === ""))
    failures.push({ property: "wave", reason: "must be the wave's name, e.g. wave-1" });
  out.wave = typeof wave === "string" ? wave.trim() : wave;
  if (isUnknown(users)) out.users = users;
  else if (!Array.isArray(users))
    failures.push({
      property: "users",
      reason: "must be a list of planned users ({ sourceAddress, targetPrimary, userPrincipalName, alias })",
    });
  else {
    out.users = users.map((u, i) => {
      if (isUnknown(u)) return u;
      if (!u || typeof u !== "object" || Array.isArray(u)) {
        failures.push({
          property: `users[${i}]`,
          reason: "must be an object { sourceAddress, targetPrimary, userPrincipalName, alias }",
        });
        return u;
      }
      const user: Props = {};
      for (const k of Object.keys(u)) {
        if (!(USER_FIELDS as readonly string[]).includes(k))
          failures.push({
            property: `users[${i}].${k}`,
            reason: `is not a field of a planned user (${USER_FIELDS.join(", ")}); remove it`,
          });
      }
      for (const k of USER_FIELDS) {
        const v = (u as Props)[k];
        if (v === undefined || v === null) continue;
        if (typeof v !== "string" && !isUnknown(v))
          failures.push({ property: `users[${i}].${k}`, reason: `must be a string, not ${JSON.stringify(v)}` });
        user[k] = typeof v === "string" && !isUnknown(v) ? (LOWER.includes(k) ? v.trim().toLowerCase() : v.trim()) : v;
      }
      return user;
    });
  }
  if (isUnknown(targetDomains)) out.targetDomains = targetDomains;
  else if (!Array.isArray(targetDomains))
    failures.push({
      property: "targetDomains",
      reason: "must be a list of the target's accepted domains, e.g. [contoso.com]",
    });
  else
    out.targetDomains = targetDomains.map((d) => (typeof d === "string" && !isUnknown(d) ? d.trim().toLowerCase() : d));
  if (!isUnknown(targetDeliveryDomain) && typeof targetDeliveryDomain !== "string") {
    failures.push({ property: "targetDeliveryDomain", reason: "must be a domain, e.g. contoso.onmicrosoft.com" });
  }
  out.targetDeliveryDomain =
    typeof targetDeliveryDomain === "string" ? targetDeliveryDomain.trim().toLowerCase() : targetDeliveryDomain;
  const maxUsers = news.maxUsers;
  if (maxUsers !== undefined && maxUsers !== null) {
    if (!isUnknown(maxUsers) && (typeof maxUsers !== "number" || !Number.isInteger(maxUsers) || maxUsers < 0)) {
      failures.push({
        property: "maxUsers",
        reason: `must be a whole number of users (0 = no limit), not ${JSON.stringify(maxUsers)}`,
      });
    }
    out.maxUsers = maxUsers;
  }
  return out;
}

/**
 * A record as this version keeps it. Records written before kept the LegacyExchangeDN on its own too; it is the
 * first x500 address, so dropping it loses nothing and an older stack's records compare the same.
 */
function current(m: unknown): unknown {
  if (!m || typeof m !== "object" || !("legacyExchangeDN" in m)) return m;
  const { legacyExchangeDN: _dn, ...rest } = m as Props;
  return rest;
}

/** The SourceMailboxes recorded by the previous check (olds are the old checked inputs). */
function recorded(olds: Props): SourceMailbox[] {
  const records = tableRecords(olds.mailboxes);
  return Array.isArray(records)
    ? (records.map(current) as SourceMailbox[]).filter((m) => m && typeof m.sourceAddress === "string")
    : [];
}

/**
 * A completed move turns "ready" into "moved" with every value kept. That is not a change worth a plan line:
 * after a move the stack must show no changes (issue 5), so the state flip alone is not reported.
 */
function sameMailboxes(oldStored: unknown, newStored: unknown): boolean {
  const olds = tableRecords(oldStored);
  const news = tableRecords(newStored);
  if (!Array.isArray(olds) || !Array.isArray(news) || olds.length !== news.length)
    return same(Array.isArray(olds) ? olds.map(current) : olds, news);
  return news.every((n: SourceMailbox, i) => {
    const o = current(olds[i]) as SourceMailbox;
    if (o?.state === "ready" && n?.state === "moved") return same({ ...o, state: "moved" }, n);
    return same(o, n);
  });
}

export const sourceMailboxesImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(olds, news) {
    const failures: Failure[] = [];
    const inputs = shape(news, failures);
    const waveInputs = [inputs.users, inputs.targetDomains, inputs.targetDeliveryDomain, inputs.maxUsers];
    const malformed = failures.some((f) => /^(users|targetDomains|targetDeliveryDomain|maxUsers)\b/.test(f.property));
    if (malformed || deepUnknown(waveInputs)) {
      // Unknown values are only known at up; the wave rules and the bulk read wait for them.
      const max = typeof inputs.maxUsers === "number" ? inputs.maxUsers : isUnknown(inputs.maxUsers) ? 0 : BATCH_LIMIT;
      if (!malformed && Array.isArray(inputs.users) && max > 0 && inputs.users.length > max) {
        failures.push({ property: "users", reason: tooManyUsers(inputs.users.length, max) });
      }
      return { inputs, failures };
    }
    const users = inputs.users as PlannedUser[];
    const targetDomains = inputs.targetDomains as string[];
    const targetDeliveryDomain = inputs.targetDeliveryDomain as string;
    failures.push(
      ...validateWave(users, { targetDomains, targetDeliveryDomain, maxUsers: inputs.maxUsers as number | undefined }),
    );
    if (failures.length > 0 || isUnknown(inputs.wave)) return { inputs, failures };

    const before = recorded(olds);
    const [listings, accepted] = await Promise.all([readSource(users, before), targetAcceptedDomains()]);
    if (accepted) {
      targetDomains.forEach((d, i) => {
        if (!accepted.includes(d))
          failures.push({
            property: `targetDomains[${i}]`,
            reason: `${d} is not an accepted domain of the target tenant (accepted: ${accepted.join(", ")}); add and verify it in the target, or remove it`,
          });
      });
      if (!accepted.includes(targetDeliveryDomain)) {
        failures.push({
          property: "targetDeliveryDomain",
          reason: `${targetDeliveryDomain} is not an accepted domain of the target tenant (accepted: ${accepted.join(", ")}); use the target's initial domain, e.g. ${accepted.find((d) => d.endsWith(".onmicrosoft.com") && !d.endsWith(".mail.onmicrosoft.com")) ?? "<tenant>.onmicrosoft.com"}`,
        });
      }
    }
    const { mailboxes, sameMailbox } = assess(users, listings, before);
    for (const s of sameMailbox) {
      failures.push({
        property: `users[${s.index}].sourceAddress`,
        reason: `${users[s.index].sourceAddress} is the same source mailbox (${s.name}) as users[${s.first}].sourceAddress ${users[s.first].sourceAddress}; list each mailbox once`,
      });
    }
    if (failures.length > 0) return { inputs, failures };
    for (const m of mailboxes) {
      if (m.state === "blocked")
        log.warn(
          `Wave ${inputs.wave}: ${m.sourceAddress} cannot move and will not be staged: ${m.blockers.join("; ")}.`,
        );
    }
    // Both lists as kept in the state (recordTable.ts): about 750 bytes a user fewer, twice.
    return {
      inputs: { ...inputs, users: storeTable(users), mailboxes: storeTable(mailboxes), summary: summaryOf(mailboxes) },
      failures: [],
    };
  },

  async diff(_id, olds, news) {
    const diffs: string[] = [];
    // Stored lists (the users) compare as the records they hold; any other value is its own record.
    for (const k of INPUTS)
      if (isUnknown(news[k]) || !same(tableRecords(olds[k]), tableRecords(news[k]))) diffs.push(k);
    if (isUnknown(news.mailboxes) || !sameMailboxes(olds.mailboxes, news.mailboxes)) diffs.push("mailboxes");
    // Nothing lives in a tenant, so every change is an update in place.
    return diffs.length > 0 ? { changes: true, replaces: [], diffs } : { changes: false };
  },

  ...checkedRecordMethods<Inputs, Outputs>((i) => `source-mailboxes/${i.wave}`, outputs),
};

function outputs(inputs: Inputs): Outputs {
  const records = tableRecords(inputs.mailboxes);
  if (!Array.isArray(records)) {
    throw new Error(
      `SourceMailboxes ${inputs.wave}: check did not read the source (an input was unknown); run the update again.`,
    );
  }
  const { wave, users, targetDomains, targetDeliveryDomain, maxUsers, mailboxes } = inputs;
  return {
    wave,
    users,
    targetDomains,
    targetDeliveryDomain,
    ...(maxUsers === undefined || maxUsers === null ? {} : { maxUsers }),
    mailboxes,
    summary: summaryOf(records as SourceMailbox[]),
  };
}
