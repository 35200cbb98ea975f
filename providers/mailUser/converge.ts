// Staging one user in the target: find what already holds its names (one coalesced read for all users
// created together), adopt a MailUser that already carries the ExchangeGuid, refuse any other holder by
// name, else New-MailUser then ONE Set-MailUser carrying every stamped attribute Microsoft
// requires. Never a licence. A lost New-MailUser answer is resolved by looking the object up, never by a
// second New-MailUser; a new object that Set-MailUser cannot see yet is waited for (bounded).

import { randomInt } from "crypto";
import type { TenantClient } from "../tenant";
import { hashtable } from "../tenant/exchangeWire";
import { log, tenantFor, type Props } from "../context";
import { kindOf, maybeApplied, message, waitFor } from "../exchangeFailure";
import { guidOrEmpty, missingX500, type Inputs, type Outputs } from "./inputs";
import { lower } from "../../domain/text";
import { holds, isMailbox, isSoftDeleted, readerFor, recipientsByIdentity, type Recipient } from "./reader";
import { graphCall } from "../tenant/graph";

export const describeUser = (i: Pick<Inputs, "targetPrimary">): string => `MailUser ${i.targetPrimary}`;

/**
 * The keys nothing else may hold for this user to be staged: its address, alias, name and delivery address.
 * (A UPN clash shows as New-MailUser's own error, which names the value: Get-Recipient has no UPN.)
 */
const claimKeys = (i: Inputs): string[] => [i.targetPrimary, i.alias, i.name, i.deliveryAddress];

const external = (v: unknown): string => lower(String(v ?? "").replace(/^smtp:/i, ""));

export function heldOutputs(inputs: Inputs): Outputs {
  // Nothing exists; the outputs show what will be stamped once the blockers clear.
  return {
    ...inputs,
    identity: "",
    externalDirectoryObjectId: "",
    recipientTypeDetails: "",
    emailAddresses: [],
    staged: false,
    held: true,
    migrated: false,
    adopted: false,
    password: null,
  };
}

/** Outputs from what an object carries (plus proxies just added by a successful Set-MailUser). */
export function observed(
  inputs: Inputs,
  r: Recipient,
  prior: Pick<Outputs, "adopted" | "password">,
  added: { proxies?: string[]; exchangeGuid?: string; archiveGuid?: string; primary?: string } = {},
): Outputs {
  let proxies = [...(r.EmailAddresses ?? [])];
  for (const p of added.proxies ?? []) if (!proxies.some((x) => lower(x) === lower(p))) proxies.push(p);
  if (added.primary) {
    // A new primary: the old one stays as a secondary address.
    const primary = lower(added.primary);
    proxies = [
      `SMTP:${added.primary}`,
      ...proxies
        .filter((p) => lower(p) !== `smtp:${primary}`)
        .map((p) => (p.startsWith("SMTP:") ? `smtp:${p.slice(5)}` : p)),
    ];
  }
  const migrated = isMailbox(r);
  return {
    ...inputs,
    identity: r.Guid.toLowerCase(),
    externalDirectoryObjectId: r.ExternalDirectoryObjectId ?? "",
    recipientTypeDetails: r.RecipientTypeDetails,
    exchangeGuid: added.exchangeGuid ?? guidOrEmpty(r.ExchangeGuid),
    archiveGuid: added.archiveGuid ?? guidOrEmpty(r.ArchiveGuid),
    x500Addresses: proxies.filter((p) => /^x500:/i.test(p)),
    emailAddresses: proxies.filter((p) => /^smtp:/i.test(p)),
    staged: !migrated,
    held: false,
    migrated,
    adopted: prior.adopted,
    password: prior.password,
  };
}

export async function stage(inputs: Inputs): Promise<Outputs> {
  const client = tenantFor("target");
  const who = describeUser(inputs);
  const holders = await readerFor(client).find(claimKeys(inputs));
  const existing = settle(inputs, holders, who);
  if (existing) return stamp(client, inputs, existing.r, { adopted: existing.adopted, password: null });
  const password = generatePassword();
  const created = await createObject(client, inputs, password, who);
  return stamp(client, inputs, created, { adopted: false, password });
}

/** Brings an existing staged object to the inputs with at most one Set-MailUser; used by update too. */
export async function converge(inputs: Inputs, prior: Outputs): Promise<Outputs> {
  const client = tenantFor("target");
  const found = await readerFor(client).byGuid(prior.identity);
  if (!found || isSoftDeleted(found)) {
    throw new Error(
      `${describeUser(inputs)}: the object (${prior.identity}) is gone from tenant ${client.settings.tenantId}; run \`pulumi refresh\`, then \`pulumi up\` stages it again.`,
    );
  }
  await renameEntraUser(client, inputs, prior);
  return stamp(client, inputs, found, prior);
}

/** The UPN and given/surname live on the Entra user (Set-MailUser has no FirstName/LastName). */
async function renameEntraUser(client: TenantClient, inputs: Inputs, prior: Outputs): Promise<void> {
  const id = prior.externalDirectoryObjectId;
  if (prior.adopted || !id) return;
  const body: Props = {};
  if (lower(prior.userPrincipalName) !== lower(inputs.userPrincipalName))
    body.userPrincipalName = inputs.userPrincipalName;
  if ((prior.firstName ?? "") !== inputs.firstName) body.givenName = inputs.firstName || null;
  if ((prior.lastName ?? "") !== inputs.lastName) body.surname = inputs.lastName || null;
  if (Object.keys(body).length === 0) return;
  const g = await client.graph();
  await graphCall(`Updating ${Object.keys(body).join(", ")} of the Entra user ${id} of ${describeUser(inputs)}`, () =>
    g.api(`/users/${encodeURIComponent(id)}`).patch(body),
  );
}

/** What to do with the objects that hold the user's keys: adopt one, or refuse with their names. */
function settle(inputs: Inputs, holders: Recipient[], who: string): { r: Recipient; adopted: boolean } | undefined {
  const guid = lower(inputs.exchangeGuid);
  const ours = holders.find((r) => !isSoftDeleted(r) && lower(r.ExchangeGuid) === guid);
  // A MailUser with no ExchangeGuid yet, pointing at this user's source: a New-MailUser of ours whose
  // answer was lost, or a run stopped before Set-MailUser. It is finished, not duplicated.
  const unstamped = holders.find(
    (r) =>
      !isSoftDeleted(r) &&
      r.RecipientTypeDetails === "MailUser" &&
      !guidOrEmpty(r.ExchangeGuid) &&
      external(r.ExternalEmailAddress) === lower(inputs.externalEmailAddress) &&
      holds(r, inputs.targetPrimary),
  );
  const pick = ours ?? unstamped;
  const others = holders.filter((r) => r !== pick);
  if (others.length) throw conflict(inputs, others, who);
  if (!pick) return undefined;
  if (pick === unstamped) {
    log.warn(
      `${who}: finishing '${pick.Name}' (${pick.Guid}), a MailUser for this user that was created but never stamped (an interrupted or unanswered New-MailUser).`,
    );
    return { r: pick, adopted: false };
  }
  if (isMailbox(pick))
    log.info(
      `${who}: already moved ('${pick.Name}' is a ${pick.RecipientTypeDetails} with the source's ExchangeGuid); recorded as migrated.`,
    );
  else
    log.info(
      `${who}: adopting '${pick.Name}' (${pick.Guid}), a MailUser that already carries ExchangeGuid ${inputs.exchangeGuid}; destroy leaves it.`,
    );
  return { r: pick, adopted: true };
}

function conflict(inputs: Inputs, others: Recipient[], who: string): Error {
  const keys = claimKeys(inputs);
  const lines = others.map((r) => {
    const what = keys.filter((k) => holds(r, k));
    const soft = isSoftDeleted(r) ? "soft-deleted " : "";
    return `'${r.Name}' (${soft}${r.RecipientTypeDetails}, Guid ${r.Guid}${r.ExchangeGuid && guidOrEmpty(r.ExchangeGuid) ? `, ExchangeGuid ${r.ExchangeGuid}` : ""}) holds ${what.join(", ") || "a needed address"}`;
  });
  const purge = others.some(isSoftDeleted)
    ? " A soft-deleted MailUser keeps its addresses for 30 days: purge it (Remove-MailUser -Identity <Guid> -PermanentlyDelete, or destroy its stack with purgeStagedUsersOnDestroy) first."
    : "";
  return new Error(
    `${who}: cannot stage it: ${lines.join("; ")}. Only a MailUser carrying ExchangeGuid ${inputs.exchangeGuid} is adopted; give this user another target address/alias, or remove that object.${purge}`,
  );
}

async function createObject(client: TenantClient, inputs: Inputs, password: string, who: string): Promise<Recipient> {
  const params: Props = {
    Name: inputs.name,
    Alias: inputs.alias,
    DisplayName: inputs.displayName,
    PrimarySmtpAddress: inputs.targetPrimary,
    // Set together with PrimarySmtpAddress: alone it would become the primary address.
    ExternalEmailAddress: inputs.externalEmailAddress,
    MicrosoftOnlineServicesID: inputs.userPrincipalName,
    Password: password,
  };
  if (inputs.firstName) params.FirstName = inputs.firstName;
  if (inputs.lastName) params.LastName = inputs.lastName;
  try {
    const r = (await client.exchange.invoke<Recipient>("New-MailUser", params)).value[0];
    if (r?.Guid) return r;
    throw new Error("Exchange answered without the new object");
  } catch (e) {
    if (maybeApplied(e)) {
      // The answer was lost, so the object may exist: find it instead of making a second one.
      const mine = await waitFor(`${who} after an unanswered New-MailUser`, async () => {
        const found = await lookUp(client, inputs.targetPrimary, who);
        return found.find(
          (r) =>
            r.RecipientTypeDetails === "MailUser" &&
            external(r.ExternalEmailAddress) === lower(inputs.externalEmailAddress),
        );
      });
      if (mine) return mine;
      throw new Error(
        `${who}: New-MailUser got no answer (${message(e)}) and the object does not show up; run \`pulumi up\` again (it finishes the object if it appears).`,
      );
    }
    const kind = kindOf(e);
    if (kind === "AlreadyExists" || kind === "BadRequest") {
      // Something our lookup could not see (a group or contact, a replicating object) holds a name.
      const others: Recipient[] = [];
      for (const key of new Set(claimKeys(inputs).map(lower)))
        for (const r of await lookUp(client, key, who)) if (!others.some((o) => o.Guid === r.Guid)) others.push(r);
      if (others.length) throw conflict(inputs, others, who);
    }
    throw new Error(`Creating ${who} (New-MailUser): ${message(e)}`);
  }
}

async function lookUp(client: TenantClient, key: string, who: string): Promise<Recipient[]> {
  const found = await recipientsByIdentity(client, key, `${who}: looking up '${key}' (Get-Recipient)`);
  return (found ?? []).filter((r) => holds(r, key));
}

/** The one Set-MailUser: ExchangeGuid, ArchiveGuid, x500s and the delivery-domain address, plus changed names. */
async function stamp(
  client: TenantClient,
  inputs: Inputs,
  r: Recipient,
  prior: Pick<Outputs, "adopted" | "password">,
): Promise<Outputs> {
  const who = describeUser(inputs);
  const before = observed(inputs, r, prior);
  if (before.migrated) return before;
  const params: Props = { Identity: r.Guid };
  if (lower(before.exchangeGuid) !== lower(inputs.exchangeGuid)) params.ExchangeGuid = inputs.exchangeGuid;
  if (inputs.archiveGuid && lower(before.archiveGuid) !== lower(inputs.archiveGuid))
    params.ArchiveGuid = inputs.archiveGuid;
  const add = missingX500(before.x500Addresses, inputs.x500Addresses);
  if (!before.emailAddresses.some((p) => lower(p.slice(5)) === lower(inputs.deliveryAddress)))
    add.push(`smtp:${inputs.deliveryAddress}`);
  if (add.length) params.EmailAddresses = hashtable({ add });
  if (r.ExternalEmailAddress !== undefined && external(r.ExternalEmailAddress) !== lower(inputs.externalEmailAddress))
    params.ExternalEmailAddress = inputs.externalEmailAddress;
  // Names of an object this stack made follow the inputs; an adopted object keeps its own.
  if (!prior.adopted) {
    if (r.DisplayName !== undefined && r.DisplayName !== inputs.displayName) params.DisplayName = inputs.displayName;
    if (r.Alias && r.Alias !== inputs.alias) params.Alias = inputs.alias;
    if (r.Name && r.Name !== inputs.name) params.Name = inputs.name;
    // In Exchange Online WindowsEmailAddress sets the primary SMTP address (PrimarySmtpAddress is on-premises only).
    if (r.PrimarySmtpAddress && lower(r.PrimarySmtpAddress) !== lower(inputs.targetPrimary))
      params.WindowsEmailAddress = inputs.targetPrimary;
  }
  if (Object.keys(params).length === 1) return before;
  // Add-semantics and fixed values: sending it twice changes nothing, so the tenant layer may resend it.
  const send = async (): Promise<true | undefined> => {
    try {
      await client.exchange.invoke("Set-MailUser", params, { idempotent: true });
      return true;
    } catch (e) {
      if (kindOf(e) === "NotFound") return undefined;
      throw new Error(
        `Stamping ${who} (Set-MailUser ${Object.keys(params)
          .filter((k) => k !== "Identity")
          .join(", ")}): ${message(e)}`,
      );
    }
  };
  const done = await waitFor(`${who} to become visible to Set-MailUser`, send);
  if (!done)
    throw new Error(
      `${who}: Exchange created it (${r.Guid}) but Set-MailUser cannot see it yet; run \`pulumi up\` again in a few minutes to stamp it.`,
    );
  const out = observed(inputs, r, prior, {
    proxies: add,
    exchangeGuid: lower(inputs.exchangeGuid),
    archiveGuid: inputs.archiveGuid ? lower(inputs.archiveGuid) : before.archiveGuid,
    primary: params.WindowsEmailAddress as string | undefined,
  });
  return { ...out, staged: true };
}

const SETS = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%+-=?@^_"];

/** 20 characters from all four classes (Entra asks for three of four, 8 to 256 characters). */
export function generatePassword(length = 20): string {
  const all = SETS.join("");
  const chars = SETS.map((s) => s[randomInt(s.length)]);
  while (chars.length < length) chars.push(all[randomInt(all.length)]);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}
