// The scoping group itself: found by name, alias or primary address (create-or-adopt), created with
// `New-DistributionGroup -Type Security` and its members in one call, refused when the object that holds
// the name is not a mail-enabled security group, removed only when this stack created it.

import { log, tenantFor, type Props } from "../context";
import type { TenantClient } from "../tenant";
import type { TenantRole } from "../tenant/settings";
import { isDehydrated, kindOf, maybeApplied, message, waitFor } from "../exchangeFailure";
import { GROUP_SELECT } from "../organizationRelationship/scopes";
import { roleOf, type Inputs, type Outputs } from "./inputs";
import { convergeMembers, normalize, primaries, readMembers, unknownAddresses, type Member } from "./members";

interface Group {
  Name: string;
  Alias: string;
  Guid: string;
  PrimarySmtpAddress: string;
  ExternalDirectoryObjectId?: string;
  RecipientTypeDetails: string;
}

const SECURITY = "MailUniversalSecurityGroup";

function describe(client: TenantClient, role: TenantRole, name: string): string {
  return `the scoping group '${name}' in tenant ${client.settings.tenantId} (${role})`;
}

export async function converge(inputs: Inputs, prior?: Outputs): Promise<Outputs> {
  const role = roleOf(inputs.tenant);
  const client = tenantFor(role);
  const who = describe(client, role, inputs.name);
  let group = prior ? await byId(client, prior.identity, who) : undefined;
  let adopted = prior?.adopted ?? false;
  let original = prior?.originalMembers ?? null;
  if (!group) {
    if (prior) log.warn(`${who}: the group (${prior.identity}) is gone; creating it again.`);
    const existing = await findExisting(client, inputs, who);
    if (existing) {
      group = existing;
      adopted = true;
      original = primaries(await readMembers(client, existing.Guid, who));
      log.info(
        `${who}: adopting the existing security group '${existing.Name}' (${original.length} members); destroy restores its members and keeps it.`,
      );
    } else {
      group = await create(client, inputs, who);
      adopted = false;
      original = null;
    }
  }
  const done = await convergeMembers(client, group.Guid, inputs.members, who);
  return outputs(client, role, inputs, group, done.members, done.aliases, adopted, original);
}

export async function observe(props: Outputs): Promise<Outputs | undefined> {
  const client = tenantFor(props.tenant);
  const who = describe(client, props.tenant, props.name);
  const group = await byId(client, props.identity, who);
  if (!group) return undefined;
  const members = await readMembers(client, group.Guid, who);
  return { ...props, ...fromGroup(group), members: primaries(members) };
}

export async function release(props: Outputs): Promise<void> {
  const client = tenantFor(props.tenant);
  const who = describe(client, props.tenant, props.name);
  if (!props.adopted) {
    try {
      await client.exchange.invoke(
        "Remove-DistributionGroup",
        { Identity: props.identity, BypassSecurityGroupManagerCheck: true, Confirm: false },
        { idempotent: true },
      );
    } catch (e) {
      if (kindOf(e) === "NotFound") return;
      throw new Error(`Removing ${who} (Remove-DistributionGroup): ${message(e)}`);
    }
    return;
  }
  const group = await byId(client, props.identity, who);
  if (!group) return log.info(`${who}: the adopted group is gone already; nothing to restore.`);
  await convergeMembers(client, group.Guid, props.originalMembers ?? [], who, true);
  log.info(
    `${who}: restored the ${props.originalMembers?.length ?? 0} members the group had before this stack adopted it; the group stays.`,
  );
}

async function byId(client: TenantClient, id: string, who: string): Promise<Group | undefined> {
  try {
    return (await client.exchange.invoke<Group>("Get-DistributionGroup", { Identity: id }, { select: GROUP_SELECT }))
      .value[0];
  } catch (e) {
    if (kindOf(e) === "NotFound") return undefined;
    throw new Error(`Reading ${who} (Get-DistributionGroup): ${message(e)}`);
  }
}

/** Any recipient holding the name, alias or address; a group that is not a security group is refused. */
async function findExisting(client: TenantClient, inputs: Inputs, who: string): Promise<Group | undefined> {
  for (const key of [inputs.name, inputs.alias, inputs.primarySmtpAddress]) {
    if (!key) continue;
    let hit: Group | undefined;
    try {
      hit = (await client.exchange.invoke<Group>("Get-Recipient", { Identity: key }, { select: GROUP_SELECT }))
        .value[0];
    } catch (e) {
      if (kindOf(e) === "NotFound") continue;
      throw new Error(`Looking for ${who} by '${key}' (Get-Recipient): ${message(e)}`);
    }
    if (!hit) continue;
    if (hit.RecipientTypeDetails !== SECURITY) {
      throw new Error(
        `${who}: '${key}' already belongs to '${hit.Name}', a ${hit.RecipientTypeDetails} (not a ${SECURITY}). A migration scope must be a ` +
          "mail-enabled security group: Exchange would drop this one from MailboxMovePublishedScopes with only a warning, and no mailbox " +
          "could move. Give the scoping group another name/alias/address, or remove that object.",
      );
    }
    if (hit.Name.toLowerCase() !== inputs.name.toLowerCase())
      log.warn(`${who}: adopting '${hit.Name}', found by '${key}'; its name is left as it is.`);
    return hit;
  }
  return undefined;
}

async function create(client: TenantClient, inputs: Inputs, who: string): Promise<Group> {
  const desired = normalize(inputs.members);
  const params: Props = { Name: inputs.name, Type: "Security" };
  if (inputs.alias) params.Alias = inputs.alias;
  if (inputs.primarySmtpAddress) params.PrimarySmtpAddress = inputs.primarySmtpAddress;
  // Members go in with the group: one call, and nothing to add while the new group still replicates.
  if (desired.length) params.Members = desired;
  let guid: string | undefined;
  try {
    guid = (await client.exchange.invoke<Group>("New-DistributionGroup", params)).value[0]?.Guid;
  } catch (e) {
    if (isDehydrated(e)) {
      throw new Error(
        `Creating ${who}: the tenant is dehydrated; enable organization customization first (the OrganizationCustomization resource, ordered before this one).`,
      );
    }
    if (kindOf(e) === "NotFound" && desired.length) {
      const missing = await unknownAddresses(client, desired, who);
      if (missing.length) {
        throw new Error(
          `Creating ${who}: no recipient has the address(es) ${missing.join(", ")}; fix the members list (nothing was created).`,
        );
      }
    }
    // A lost answer: the group we just looked for and did not find is ours if it shows up now.
    if (!maybeApplied(e)) throw new Error(`Creating ${who} (New-DistributionGroup): ${message(e)}`);
    const ours = await waitFor(`${who} after an unanswered New-DistributionGroup`, () =>
      byId(client, inputs.name, who),
    );
    if (!ours)
      throw new Error(`Creating ${who} (New-DistributionGroup): ${message(e)}; it does not show up, so run up again.`);
    guid = ours.Guid;
  }
  if (!guid) throw new Error(`Creating ${who} (New-DistributionGroup): Exchange answered without the new group.`);
  const id = guid;
  const group = await waitFor(`${who} to become readable`, () => byId(client, id, who));
  if (!group)
    throw new Error(
      `Creating ${who}: Exchange created it (${guid}) but does not show it yet; run up again in a few minutes.`,
    );
  return group;
}

function fromGroup(g: Group) {
  return {
    identity: g.Guid,
    name: g.Name,
    alias: g.Alias,
    primarySmtpAddress: g.PrimarySmtpAddress.toLowerCase(),
    externalDirectoryObjectId: g.ExternalDirectoryObjectId ?? "",
  };
}

function outputs(
  client: TenantClient,
  role: TenantRole,
  inputs: Inputs,
  g: Group,
  members: Member[],
  memberAliases: Record<string, string>,
  adopted: boolean,
  originalMembers: string[] | null,
): Outputs {
  return {
    tenant: role,
    tenantId: client.settings.tenantId,
    requested: {
      name: inputs.name,
      alias: inputs.alias ?? null,
      primarySmtpAddress: inputs.primarySmtpAddress ?? null,
    },
    ...fromGroup(g),
    adopted,
    members: primaries(members),
    memberAliases: Object.entries(memberAliases).map(([requested, primary]) => ({ requested, primary })),
    originalMembers,
  };
}
