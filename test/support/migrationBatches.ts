// What the MigrationBatch and status test files share: an emulator whose moves take a fraction of a second,
// a ready migration endpoint (app, consent and New-MigrationEndpoint, as the stack's resources leave them),
// users staged through the real MailUser resource (and licensed, or not), many staged users written
// straight into the target for size tests, and the batch resource as the program declares it.

import type { Emulator } from "../../emulator";
import { stored, type Rec, type TenantState } from "../../emulator/model";
import { DEFAULT_EXCHANGE_KNOBS, type ExchangeKnobs } from "../../emulator/exchange/knobs";
import { consentInSource, licenseForMigration, registerMigrationApp } from "../../emulator/exchange/fixtures";
import { put } from "../../emulator/exchange/lookup";
import { mailUserObject, newGuid } from "../../emulator/exchange/recipient";
import { seededRandom } from "../../emulator/faults";
import type { EmulatorOptions } from "../../emulator/options";
import { emulatorTenantSettings, tenantOf } from "./emulator";
import { declareResource, type DeclaredResource, type Engine } from "../../harness/engine";
import type { ProviderHost } from "../../harness/providerHost";
import { declareMailUser, mailUserArgs, theObject } from "./mailUsers";
import { createTenantClient } from "../../providers/tenant";
import { MigrationBatch, type MigrationBatchArgs } from "../../providers/migrationBatch";

/** One move phase (sync, completion) in the emulator: short, so a test sees every status within seconds. */
export const PHASE_MS = 400;
export const ENDPOINT = "xtmm-source";
export const DELIVERY_DOMAIN = "contoso.onmicrosoft.com";

/**
 * Exchange knobs for these tests: fast phases; the source relationship's scope is not enforced (the
 * ScopingGroup and OrganizationRelationship resources have their own tests); REST credentials accepted so
 * the endpoint can be made without the pwsh stand-in.
 */
export function batchEmulatorOptions(over: Partial<ExchangeKnobs> = {}): Partial<EmulatorOptions> {
  return {
    exchange: {
      ...DEFAULT_EXCHANGE_KNOBS,
      migrationPhaseMs: PHASE_MS,
      enforceMigrationScope: false,
      acceptRestCredentials: true,
      ...over,
    },
  };
}

export const targetExchange = (e: Emulator) =>
  createTenantClient(emulatorTenantSettings(e, "target"), { exchange: { baseDelayMs: 5, maxDelayMs: 20 } }).exchange;

/** The target customised, the migration app consented in the source, and the cross-tenant endpoint in the target. */
export async function prepareEndpoint(e: Emulator): Promise<void> {
  const target = tenantOf(e, "target");
  const source = tenantOf(e, "source");
  const app = registerMigrationApp(target, Date.now());
  consentInSource(source, app.appId, Date.now() - 60_000);
  // What the OrganizationCustomization resource does first in a new tenant.
  await targetExchange(e).invoke("Enable-OrganizationCustomization", {});
  await targetExchange(e).invoke("New-MigrationEndpoint", {
    Name: ENDPOINT,
    ExchangeRemoteMove: true,
    RemoteServer: "outlook.office.com",
    RemoteTenant: e.tenants.source.domain,
    ApplicationId: app.appId,
    Credentials: { UserName: app.appId, Password: app.secret },
  });
}

/** Stages users through the MailUser resource (as the wave does); `licensed` get the cross-tenant licence. */
export async function stageUsers(
  e: Emulator,
  engine: Engine,
  aliases: string[],
  licensed: string[] = aliases,
): Promise<string[]> {
  const out: string[] = [];
  for (const alias of aliases) {
    const r = await declareMailUser(mailUserArgs(e, alias));
    await engine.up(r);
    const address = `${alias}@contoso.com`;
    if (licensed.includes(alias))
      licenseForMigration(tenantOf(e, "target"), String(theObject(e, address).ExternalDirectoryObjectId));
    out.push(address);
  }
  return out;
}

/** `n` MailUsers written straight into the target (stamped as staging leaves them), for batches of real size. */
export function stageDirectly(e: Emulator, prefix: string, n: number): string[] {
  const t: TenantState = tenantOf(e, "target");
  const random = seededRandom(n);
  const now = Date.now();
  const out: string[] = [];
  for (let i = 1; i <= n; i++) {
    const alias = `${prefix}${String(i).padStart(5, "0")}`;
    const address = `${alias}@contoso.com`;
    const o: Rec = mailUserObject(
      t,
      {
        name: alias,
        alias,
        displayName: alias,
        primarySmtp: address,
        emailAddresses: [`SMTP:${address}`, `smtp:${alias}@${DELIVERY_DOMAIN}`],
        externalDirectoryObjectId: newGuid(random),
        userPrincipalName: address,
        externalEmailAddress: `SMTP:${alias}@fabrikam.com`,
      },
      now,
      random,
    );
    o.ExchangeGuid = newGuid(random);
    put(t.exchange.recipients, stored(o, now));
    out.push(address);
  }
  return out;
}

export function batchArgs(
  name: string,
  targetAddresses: string[],
  over: Partial<MigrationBatchArgs> = {},
): MigrationBatchArgs {
  return { name, targetAddresses, sourceEndpoint: ENDPOINT, targetDeliveryDomain: DELIVERY_DOMAIN, ...over };
}

export const declareBatch = (resourceName: string, args: MigrationBatchArgs): Promise<DeclaredResource> =>
  declareResource(() => new MigrationBatch(resourceName, args));

export const withInputs = (r: DeclaredResource, over: Record<string, unknown>): DeclaredResource => ({
  ...r,
  inputs: { ...r.inputs, ...over },
});

/** The emulator's record of a batch (by name), or undefined. */
export function batchNamed(e: Emulator, name: string): Rec | undefined {
  return [...tenantOf(e, "target").exchange.migrationBatches.values()]
    .map((s) => s.obj)
    .find((b) => String(b.Name).toLowerCase() === name.toLowerCase());
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The host's console once it shows `pattern` (its output arrives through a pipe, after the call's answer). */
export async function hostSays(host: ProviderHost, pattern: RegExp, timeoutMs = 3000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(host.output()) && Date.now() < until) await sleep(20);
  return host.output();
}

/** Refreshes until the batch's status matches (the emulator moves on lazily, at each request). */
export async function refreshUntil(
  engine: Engine,
  r: DeclaredResource,
  status: RegExp,
  timeoutMs = 10 * PHASE_MS,
): Promise<Rec> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const refreshed = await engine.refresh(r);
    const outs = refreshed.state?.outputs ?? {};
    if (status.test(String(outs.status)) || Date.now() > until) return outs;
    await sleep(PHASE_MS / 4);
  }
}
