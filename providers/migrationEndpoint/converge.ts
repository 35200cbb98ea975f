// The migration endpoint as Exchange Online sees it: read and remove over REST; create and credential
// changes through the PowerShell runner, because only the ExchangeOnlineManagement module can carry the
// PSCredential (REST answers a 500 cast error). Here lives the retry after a lost answer; the bounded wait for
// the source consent and the translation of Exchange's terse failures into what an engineer should check are
// consentWait.ts. The client secret is passed to the runner and nowhere else.

import type { ExchangeErrorKind } from "../tenant";
import { exchangeError, kindOf, message, waitFor } from "../exchangeFailure";
import { log } from "../context";
import { ENDPOINT_TYPE } from "./inputs";
import { manualCommand } from "../tenant";
import { withConsentWait } from "./consentWait";
import { where, type Endpoint, type EndpointContext } from "./endpoint";

const TRANSIENT_ATTEMPTS = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function findEndpoint(
  ctx: Pick<EndpointContext, "client">,
  identity: string,
): Promise<Endpoint | undefined> {
  try {
    return (await ctx.client.exchange.invoke<Endpoint>("Get-MigrationEndpoint", { Identity: identity })).value[0];
  } catch (e) {
    if (kindOf(e) === "NotFound") return undefined;
    throw new Error(`Reading migration endpoint '${identity}' (Get-MigrationEndpoint) in ${where(ctx)}: ${message(e)}`);
  }
}

/** Each property of an existing endpoint that differs from what the stack declares, named as Exchange names it. */
export function mismatches(ctx: EndpointContext, ep: Endpoint): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: string) => typeof a === "string" && a.toLowerCase() === b.toLowerCase();
  const show = (v: unknown) => (v === undefined || v === null ? "empty" : `'${String(v)}'`);
  if (!same(ep.EndpointType, ENDPOINT_TYPE))
    out.push(`EndpointType is ${show(ep.EndpointType)}, expected '${ENDPOINT_TYPE}'`);
  if (!same(ep.RemoteServer, ctx.remoteServer))
    out.push(`RemoteServer is ${show(ep.RemoteServer)}, expected '${ctx.remoteServer}'`);
  if (!same(ep.RemoteTenant, ctx.remoteTenant))
    out.push(`RemoteTenant is ${show(ep.RemoteTenant)}, expected '${ctx.remoteTenant}' (the source tenant)`);
  if (!same(ep.ApplicationId, ctx.appId))
    out.push(`ApplicationId is ${show(ep.ApplicationId)}, expected '${ctx.appId}' (the migration app)`);
  return out;
}

export function assertMatches(ctx: EndpointContext, ep: Endpoint, why: string): void {
  const bad = mismatches(ctx, ep);
  if (bad.length === 0) return;
  throw new Error(
    `Migration endpoint '${ctx.name}' already exists in ${where(ctx)} but ${why}, and it does not match the stack:\n` +
      bad.map((b) => `  - ${b}`).join("\n") +
      `\nRemove it (Remove-MigrationEndpoint -Identity '${ctx.name}') or give the resource another name, or fix the stack's inputs to match it.`,
  );
}

function newParameters(ctx: EndpointContext): Record<string, unknown> {
  return {
    Name: ctx.name,
    ExchangeRemoteMove: true,
    RemoteServer: ctx.remoteServer,
    RemoteTenant: ctx.remoteTenant,
    ApplicationId: ctx.appId,
    ...(ctx.maxConcurrentMigrations !== undefined ? { MaxConcurrentMigrations: ctx.maxConcurrentMigrations } : {}),
  };
}

function credentials(ctx: EndpointContext) {
  if (!ctx.secret)
    throw new Error(
      `Migration endpoint '${ctx.name}': clientSecret is needed to give the endpoint its credential; set the input.`,
    );
  return { Credentials: { userName: ctx.appId, password: ctx.secret } };
}

/** The command an engineer without pwsh runs once by hand; the secret is asked for, never printed. */
export function manualNewCommand(ctx: EndpointContext): string {
  return manualCommand(ctx.client.settings, "New-MigrationEndpoint", newParameters(ctx), {
    Credentials: { userName: ctx.appId, password: "" },
  });
}

export function missingForAdoption(ctx: EndpointContext): Error {
  return new Error(
    `Migration endpoint '${ctx.name}' does not exist in ${where(ctx)}, and adopt is true, so this stack will not create it. ` +
      `Create it once in Exchange Online PowerShell (enter the migration app's client secret when prompted; the user name is the app id), ` +
      `then run 'pulumi up' again:\n\n${manualNewCommand(ctx)}\n`,
  );
}

export interface Created {
  endpoint: Endpoint;
  /** The endpoint was there before us (made by someone else meanwhile), not the one our call made. */
  adopted: boolean;
}

/**
 * New-MigrationEndpoint, waiting for the consent, and surviving a lost answer: when an attempt may have been
 * applied, the endpoint is looked up by name before anything is sent again, so no "already exists" stops us.
 */
export async function createEndpoint(ctx: EndpointContext): Promise<Created> {
  const action = `Creating migration endpoint '${ctx.name}' (New-MigrationEndpoint) in ${where(ctx)}`;
  const params = newParameters(ctx);
  const creds = credentials(ctx);
  let mayHaveApplied = false;
  const made = await withConsentWait(ctx, action, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await ctx.client.powershell.run<Endpoint>("New-MigrationEndpoint", params, creds);
        return { endpoint: r.value[0], adopted: false } as Created;
      } catch (e) {
        const kind = kindOf(e);
        if (kind !== "AlreadyExists" && !uncertain(kind)) throw e;
        const found = await findEndpoint(ctx, ctx.name);
        if (found) {
          if (kind === "AlreadyExists" && !mayHaveApplied) {
            assertMatches(ctx, found, "was created by someone else while this stack was creating it");
            log.info(
              `MigrationEndpoint '${ctx.name}': someone created it while this stack was creating it; it matches, so it is adopted and will be left in place on destroy.`,
            );
            return { endpoint: found, adopted: true };
          }
          assertMatches(ctx, found, "was made by an attempt of ours whose answer was lost");
          log.info(
            `MigrationEndpoint '${ctx.name}': an attempt whose answer was lost had created it; keeping that endpoint (not sending New-MigrationEndpoint again).`,
          );
          return { endpoint: found, adopted: false };
        }
        if (kind === "AlreadyExists" || attempt >= TRANSIENT_ATTEMPTS) throw e;
        mayHaveApplied = true;
        const wait = 1000 * 2 ** (attempt - 1);
        log.info(
          `MigrationEndpoint '${ctx.name}': New-MigrationEndpoint did not get through (${errorClass(e)}) and the endpoint is not there; trying again in ${wait / 1000} s (attempt ${attempt + 1} of ${TRANSIENT_ATTEMPTS}).`,
        );
        await sleep(wait);
      }
    }
  });
  return { endpoint: (await readBack(ctx)) ?? made.endpoint, adopted: made.adopted };
}

/**
 * A failure after which the call may or may not have happened, or that a later attempt may not meet.
 * Throttling is not among them: the PowerShell runner already waits it out (DEFAULT_RETRY_POLICY), so a
 * Throttled that reaches here means it gave up, and resending would only multiply its attempts.
 */
function uncertain(kind: ExchangeErrorKind | undefined): boolean {
  return kind === "Transient" || kind === "Server";
}

function errorClass(e: unknown): string {
  const type = exchangeError(e)?.exceptionType;
  return [kindOf(e), type?.split(".").pop()].filter(Boolean).join(", ") || "error";
}

/** Create ends by reading: the outputs are what the service says, once the new endpoint is visible. */
async function readBack(ctx: EndpointContext): Promise<Endpoint | undefined> {
  const found = await waitFor(`migration endpoint '${ctx.name}' to show in Get-MigrationEndpoint`, () =>
    findEndpoint(ctx, ctx.name),
  );
  if (!found)
    log.warn(
      `MigrationEndpoint '${ctx.name}': created, but Get-MigrationEndpoint does not show it yet; recording what New-MigrationEndpoint returned.`,
    );
  return found;
}

/** Set-MigrationEndpoint with a new credential (and app id) in PowerShell; Microsoft's reference lists -Credentials for Exchange Online. */
export async function setCredential(ctx: EndpointContext, identity: string, withAppId: boolean): Promise<void> {
  const action = `Updating the credential of migration endpoint '${ctx.name}' (Set-MigrationEndpoint -Credentials) in ${where(ctx)}`;
  const params: Record<string, unknown> = { Identity: identity, ...(withAppId ? { ApplicationId: ctx.appId } : {}) };
  const creds = credentials(ctx);
  await withConsentWait(ctx, action, async () => {
    // Setting the same credential twice is harmless, so an uncertain attempt is simply sent again.
    for (let attempt = 1; ; attempt++) {
      try {
        await ctx.client.powershell.run("Set-MigrationEndpoint", params, creds);
        return;
      } catch (e) {
        if (kindOf(e) === "NoOp") return;
        if (!uncertain(kindOf(e)) || attempt >= TRANSIENT_ATTEMPTS) throw e;
        await sleep(1000 * 2 ** (attempt - 1));
      }
    }
  });
}

/** Settings that need no credential go over REST. */
export async function setPlain(ctx: EndpointContext, identity: string, params: Record<string, unknown>): Promise<void> {
  try {
    await ctx.client.exchange.invoke("Set-MigrationEndpoint", { Identity: identity, ...params }, { idempotent: true });
  } catch (e) {
    if (kindOf(e) === "NoOp") return;
    throw new Error(
      `Updating migration endpoint '${ctx.name}' (Set-MigrationEndpoint ${Object.keys(params)
        .map((k) => `-${k}`)
        .join(" ")}) in ${where(ctx)}: ${message(e)}`,
    );
  }
}

/** A migration batch that names the endpoint as its -SourceEndpoint. */
export interface BatchUsingEndpoint {
  name: string;
  status: string;
}

/** What Remove-MigrationEndpoint did: removed it, found it gone, or was refused because batches still use it. */
export type RemoveOutcome = { result: "removed" | "gone" } | { result: "in-use"; batches: BatchUsingEndpoint[] };

/** Get-MigrationBatch -Endpoint: the batches that use the endpoint (Exchange refuses to remove it while any does). */
export async function batchesUsing(
  ctx: Pick<EndpointContext, "client">,
  endpoint: string,
): Promise<BatchUsingEndpoint[]> {
  try {
    const found = await ctx.client.exchange.invoke<{ Name?: string; Identity?: string; Status?: string }>(
      "Get-MigrationBatch",
      { Endpoint: endpoint },
      { select: ["Identity", "Name", "Status"] },
    );
    return found.value.map((b) => ({ name: String(b.Name ?? b.Identity ?? ""), status: String(b.Status ?? "") }));
  } catch (e) {
    if (kindOf(e) === "NotFound") return [];
    throw new Error(
      `Listing the migration batches that use endpoint '${endpoint}' (Get-MigrationBatch -Endpoint) in ${where(ctx)}: ${message(e)}`,
    );
  }
}

export async function removeEndpoint(ctx: Pick<EndpointContext, "client">, identity: string): Promise<RemoveOutcome> {
  try {
    // Removing twice answers "not found", so a lost answer may be retried.
    await ctx.client.exchange.invoke(
      "Remove-MigrationEndpoint",
      { Identity: identity, Confirm: false },
      { idempotent: true },
    );
    return { result: "removed" };
  } catch (e) {
    if (kindOf(e) === "NotFound") return { result: "gone" };
    const inUse = /InUse|used by the migration batch/i.test(`${exchangeError(e)?.exceptionType ?? ""} ${message(e)}`);
    if (inUse) {
      const batches = await batchesUsing(ctx, identity);
      // Refused for a batch that has gone meanwhile: the caller tries again.
      return { result: "in-use", batches };
    }
    throw new Error(
      `Removing migration endpoint '${identity}' (Remove-MigrationEndpoint) from ${where(ctx)}: ${message(e)}`,
    );
  }
}
