// What the MailUser test files share: MailUser inputs built straight from the emulator's seeded source
// mailboxes (as the SourceMailboxes resource would hand them over), and views of the target tenant's
// state and of the Exchange calls the emulator saw.

import type { Emulator } from "../../emulator";
import { type Rec, type Stored } from "../../emulator/model";
import { declareResource, type DeclaredResource } from "../../harness/engine";
import { MailUser, type MailUserArgs } from "../../providers/mailUser";
import { tenantOf } from "./emulator";

export const ZERO_GUID = "00000000-0000-0000-0000-000000000000";

export function sourceMailbox(e: Emulator, alias: string): Rec {
  const hit = [...tenantOf(e, "source").exchange.recipients.values()].find(
    (s) => String(s.obj.Alias).toLowerCase() === alias.toLowerCase(),
  );
  if (!hit) throw new Error(`no seeded source mailbox with alias ${alias}`);
  return hit.obj;
}

/** Inputs of one staged user, from its source mailbox: target address `<alias>@contoso.com`. */
export function mailUserArgs(e: Emulator, alias: string, over: Partial<MailUserArgs> = {}): MailUserArgs {
  const m = sourceMailbox(e, alias);
  const x500s = [`x500:${m.LegacyExchangeDN}`, ...(m.EmailAddresses as string[]).filter((p) => /^x500:/i.test(p))];
  const target = `${alias}@contoso.com`;
  return {
    sourceAddress: String(m.PrimarySmtpAddress).toLowerCase(),
    targetPrimary: target,
    userPrincipalName: target,
    alias,
    name: alias,
    displayName: String(m.DisplayName),
    firstName: String(m.FirstName ?? ""),
    lastName: String(m.LastName ?? ""),
    externalEmailAddress: String(m.PrimarySmtpAddress),
    exchangeGuid: String(m.ExchangeGuid),
    archiveGuid: m.ArchiveGuid === ZERO_GUID ? "" : String(m.ArchiveGuid),
    x500Addresses: [...new Map(x500s.map((x) => [x.toLowerCase(), x])).values()],
    deliveryAddress: `${alias}@contoso.onmicrosoft.com`,
    sharedMailbox: m.RecipientTypeDetails === "SharedMailbox",
    blockers: [],
    purgeOnDelete: false,
    ...over,
  };
}

export const declareMailUser = (args: MailUserArgs): Promise<DeclaredResource> =>
  declareResource(() => new MailUser(`mailuser/${args.targetPrimary}`, args));

export const withInputs = (r: DeclaredResource, over: Record<string, unknown>): DeclaredResource => ({
  ...r,
  inputs: { ...r.inputs, ...over },
});

/** Target recipients (live, then soft-deleted) holding an address as any SMTP proxy. */
export function targetObjects(e: Emulator, address: string): { live: Stored[]; soft: Stored[] } {
  const t = tenantOf(e, "target");
  const holds = (s: Stored) =>
    ((s.obj.EmailAddresses as string[]) ?? []).some((p) => p.toLowerCase() === `smtp:${address.toLowerCase()}`);
  return {
    live: [...t.exchange.recipients.values()].filter(holds),
    soft: [...t.exchange.softDeletedRecipients.values()].filter(holds),
  };
}

/** The one live target object holding the address. */
export function theObject(e: Emulator, address: string): Rec {
  const { live } = targetObjects(e, address);
  if (live.length !== 1) throw new Error(`${live.length} live target objects hold ${address}`);
  return live[0].obj;
}

export const exchangeCalls = (e: Emulator, since: number) =>
  e.requests.slice(since).filter((r) => r.surface === "exchange");
export const graphCalls = (e: Emulator, since: number) => e.requests.slice(since).filter((r) => r.surface === "graph");
export const writes = (calls: ReturnType<typeof exchangeCalls>) =>
  calls.filter((r) => r.cmdlet && !/^Get-/i.test(r.cmdlet));
export const cmdlets = (calls: ReturnType<typeof exchangeCalls>) => calls.map((c) => c.cmdlet);

/** What the completed move does to the target object (as the emulator's migration stand-in does). */
export function completeMove(e: Emulator, address: string): void {
  const o = theObject(e, address);
  delete o.ExternalEmailAddress;
  Object.assign(o, {
    RecipientType: "UserMailbox",
    RecipientTypeDetails: "UserMailbox",
    MailboxMoveStatus: "Completed",
    IsMailboxEnabled: true,
  });
}
