// LicenceAssignment (opt-in): gives a wave's users the Cross Tenant User Data Migration licence, which a move
// needs on the source mailbox OR the target MailUser (Microsoft's prerequisites). On the source side
// the users already have mailboxes, so a licence creates nothing. On the target side a MailUser licensed
// before its ExchangeGuid is stamped gets a NEW mailbox and the move fails (Microsoft documents this), so such a
// user is refused by name before anything is written. The SKU is found by its service plan (part numbers
// vary; Microsoft never published the SkuId), in check, so preview shows which SKU and whether there are
// enough units. Destroy takes back only the licences this resource assigned.

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, log, tenantFor, type Props, type ResourceImplementation } from "./context";
import { carriesMailboxMove, licencePool, skuPool, type LicencePool } from "./licenceAssignment/sku";
import {
  assignOne,
  inPool,
  removeOne,
  resolveUsers,
  subscribedSkus,
  type Assigned,
  type Resolved,
  type Side,
} from "./licenceAssignment/converge";
import { shape, type Failure, type Inputs, type Outputs } from "./licenceAssignment/inputs";

export interface LicenceAssignmentArgs {
  wave: pulumi.Input<string>;
  /** Where the licences are assigned: "source" (the source mailboxes) or "target" (the staged MailUsers). */
  tenant: pulumi.Input<"source" | "target">;
  /** Source addresses (tenant source) or target primary addresses (tenant target) of the wave's users. */
  users: pulumi.Input<pulumi.Input<string>[]>;
  /** Use this SKU instead of the one found by its EXCHANGEONLINE_T2TMBXMOVE service plan. */
  skuId?: pulumi.Input<string>;
  /** Two-letter country set on users without a usage location (Microsoft requires one before a licence). */
  usageLocation?: pulumi.Input<string>;
}

const SPEC: XtmmResourceSpec = {
  kind: "licenceAssignment",
  type: "LicenceAssignment",
  outputs: ["skuId", "skuPartNumber", "assigned", "alreadyLicensed", "available"],
};

export class LicenceAssignment extends XtmmResource {
  declare readonly skuId: pulumi.Output<string>;
  declare readonly skuPartNumber: pulumi.Output<string>;
  declare readonly assigned: pulumi.Output<Assigned[]>;
  declare readonly alreadyLicensed: pulumi.Output<string[]>;
  declare readonly available: pulumi.Output<number>;

  constructor(name: string, args: LicenceAssignmentArgs, opts?: pulumi.CustomResourceOptions) {
    super(SPEC, name, { ...args }, opts);
  }
}

/** Users licensed at once; Graph throttles per app and tenant, the client retries 429s. */
const WIDTH = 4;

/** The pool the assignment draws from: the configured SKU, or the one found by its service plan. */
async function poolOf(side: Side, skuId: string | undefined): Promise<{ pool: LicencePool; failure?: string }> {
  const skus = await subscribedSkus(tenantFor(side));
  if (skuId) {
    const hit = skus.find((s) => String(s.skuId ?? "").toLowerCase() === skuId);
    if (!hit)
      return {
        pool: licencePool([]),
        failure: `SKU ${skuId} is not subscribed in the ${side} tenant (subscribed: ${skus.map((s) => s.skuPartNumber).join(", ") || "none"})`,
      };
    const note = carriesMailboxMove(hit)
      ? "configured skuId"
      : "configured skuId (it has no EXCHANGEONLINE_T2TMBXMOVE service plan; make sure it licenses mailbox moves)";
    return { pool: skuPool(hit, note) };
  }
  const pool = licencePool(skus);
  if (!pool.found) {
    const other = side === "source" ? "target" : "source";
    return {
      pool,
      failure: `the ${side} tenant has no Cross Tenant User Data Migration licence (${pool.note}); buy it there, or assign it on the other side (tenant: ${other})`,
    };
  }
  return { pool };
}

const known = (v: unknown): boolean => !isUnknown(v) && !(Array.isArray(v) && v.some(isUnknown));

export const licenceAssignmentImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const failures: Failure[] = [];
    const inputs = shape(news, (property, reason) => failures.push({ property, reason }));
    if (failures.length > 0 || !known(inputs.tenant) || !known(inputs.skuId ?? "")) return { inputs, failures };
    const side = inputs.tenant as Side;
    const { pool, failure } = await poolOf(side, inputs.skuId as string | undefined);
    if (failure) return { inputs, failures: [{ property: inputs.skuId ? "skuId" : "tenant", reason: failure }] };
    inputs.skuId = pool.skuId;
    inputs.skuPartNumber = pool.skuPartNumber;
    if (!known(inputs.users)) return { inputs, failures };
    // Enough units? Users Exchange shows licensed need none. Only a warning: Exchange shows a new licence some
    // minutes late, so users this stack just licensed may still count here; Microsoft refuses the excess anyway.
    const { found, missing } = await resolveUsers(tenantFor(side), side, inputs.users as string[]);
    const needed = found.filter((u) => !u.licensedInExchange).length;
    if (needed + missing.length > pool.available) {
      log.warn(
        `LicenceAssignment ${String(inputs.wave)}: ${needed} user(s) without the licence${missing.length ? ` and ${missing.length} not staged yet` : ""}, but the ${side} tenant has ` +
          `${pool.available} of ${pool.enabled} ${pool.skuPartNumber} left; buy more or license the rest on the other side.`,
      );
    }
    return { inputs, failures };
  },

  async diff(_id, olds, news) {
    const replaces = ["wave", "tenant", "skuId"].filter((k) => isUnknown(news[k]) || olds[k] !== news[k]);
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    const diffs = [
      ...replaces,
      ...["users", "usageLocation"].filter((k) => isUnknown(news[k]) || !same(olds[k], news[k])),
    ];
    return diffs.length ? { changes: true, replaces, diffs, deleteBeforeReplace: true } : { changes: false };
  },

  async create(inputs) {
    const id = `licences/${inputs.tenant}/${inputs.wave}`;
    return { outs: await converge(id, inputs, { assigned: [], alreadyLicensed: [] }), id };
  },

  // Licences are read when they change (the next update); refresh keeps what this resource recorded.
  async read(id, props) {
    return { id, props };
  },

  async update(id, olds, news) {
    return { outs: await converge(id, news, olds) };
  },

  async delete(_id, props) {
    const client = tenantFor(props.tenant);
    const failed = await inPool(props.assigned ?? [], WIDTH, (a) => removeOne(client, a, props.skuId));
    if (failed.length)
      throw new Error(
        `LicenceAssignment ${props.wave}: could not take back the licence from ${failed.map((f) => `${f.item.address} (${f.error})`).join("; ")}`,
      );
    log.info(
      `LicenceAssignment ${props.wave}: took back ${props.assigned?.length ?? 0} licence(s) this stack assigned in the ${props.tenant} tenant.`,
    );
  },
};

/**
 * Brings the assignments to `inputs.users`: takes back ours from users no longer listed, licenses the new
 * ones. Refusals (unknown addresses, unstamped MailUsers) come before any write; a failure after some
 * writes is a partial failure that still records what was assigned.
 */
async function converge(
  id: string,
  inputs: Inputs,
  was: Pick<Outputs, "assigned" | "alreadyLicensed">,
): Promise<Outputs> {
  const side = inputs.tenant;
  const client = tenantFor(side);
  const wanted = new Set(inputs.users);
  const assigned = was.assigned.filter((a) => wanted.has(a.address));
  const dropped = was.assigned.filter((a) => !wanted.has(a.address));
  const alreadyLicensed = was.alreadyLicensed.filter((a) => wanted.has(a));
  const todo = inputs.users.filter((a) => !assigned.some((x) => x.address === a) && !alreadyLicensed.includes(a));
  let resolved: Resolved[] = [];
  if (todo.length > 0) {
    const { found, missing } = await resolveUsers(client, side, todo);
    const what = side === "source" ? "mailbox in the source" : "MailUser in the target";
    if (missing.length)
      throw new Error(
        `LicenceAssignment ${inputs.wave}: no ${what} has the address ${missing.join(", ")}; nothing was assigned. Stage the users first (or fix the addresses).`,
      );
    const unstamped = found.filter((u) => side === "target" && !u.stamped).map((u) => u.address);
    if (unstamped.length) {
      throw new Error(
        `LicenceAssignment ${inputs.wave}: refusing to license ${unstamped.join(", ")}: the target MailUser has no ExchangeGuid yet, and a licence now would provision a new mailbox that breaks the move. Stamp it first (the MailUser resource does), then run up again; nothing was assigned.`,
      );
    }
    resolved = found;
  }
  const reasons: string[] = [];
  const removeFailed = await inPool(dropped, WIDTH, (a) => removeOne(client, a, inputs.skuId));
  for (const f of removeFailed) {
    assigned.push(f.item);
    reasons.push(`taking back ${f.item.address}: ${f.error}`);
  }
  const failed = await inPool(resolved, WIDTH, async (u) => {
    if (u.licensedInExchange) return void alreadyLicensed.push(u.address);
    const outcome = await assignOne(client, u, inputs.skuId, inputs.usageLocation ?? undefined);
    if (outcome === "assigned") assigned.push({ address: u.address, userId: u.userId });
    else alreadyLicensed.push(u.address);
  });
  for (const f of failed) reasons.push(`${f.item.address}: ${f.error}`);
  const order = (a: string, b: string) => inputs.users.indexOf(a) - inputs.users.indexOf(b);
  assigned.sort((a, b) => order(a.address, b.address));
  alreadyLicensed.sort(order);
  const { pool } = await poolOf(side, inputs.skuId);
  const outs: Outputs = { ...inputs, assigned, alreadyLicensed, available: pool.available };
  if (reasons.length) {
    // Recorded as a partial failure: the engine keeps these outputs, so destroy knows what we assigned.
    const e = new Error(
      `LicenceAssignment ${inputs.wave}: ${reasons.length} user(s) failed: ${reasons.join("; ")}`,
    ) as Error & Props;
    Object.assign(e, { id, properties: { ...outs }, reasons });
    throw e;
  }
  log.info(
    `LicenceAssignment ${inputs.wave}: ${assigned.length} licensed by this stack, ${alreadyLicensed.length} already licensed, ${pool.available} ${pool.skuPartNumber} left in the ${side} tenant.`,
  );
  return outs;
}
