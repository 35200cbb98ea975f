// Organisation relationships: the cross-tenant trust of a mailbox move. DomainNames carries the partner
// tenant id (Microsoft's current guide), which is how our providers find a relationship again.

import { isVisible, type Rec, type Stored } from "../../model";
import {
  alreadyExists,
  has,
  noChangeWarning,
  notFound,
  raise,
  referenceNotFound,
  requireHydrated,
  str,
  type Call,
  type CmdletImpl,
} from "../call";
import { findAll } from "../lookup";
import { distinguishedName, newGuid } from "../recipient";
import { applyMulti, markChanged, setProperties, storeNew } from "./common";

function all(call: Call): Stored[] {
  return [...call.tenant.exchange.organizationRelationships.values()];
}

function byIdentity(call: Call, identity: string): Stored {
  const id = identity.toLowerCase();
  const hit = all(call).filter(
    (s) =>
      isVisible(s, call.now) &&
      [s.obj.Name, s.obj.Guid, s.obj.DistinguishedName].some((v) => String(v).toLowerCase() === id),
  );
  if (!hit.length) return notFound(call, identity);
  return hit[0];
}

export const getOrganizationRelationship: CmdletImpl = (call) => {
  const id = str(call, "Identity");
  if (id !== undefined) return [byIdentity(call, id).obj];
  return all(call)
    .filter((s) => isVisible(s, call.now))
    .map((s) => s.obj);
};

/**
 * Published scopes must be mail-enabled security groups; anything else is dropped with a warning whose
 * text is from microsoft-365-docs issue 4812. More scopes than allowed fail with the 2021 text of
 * office-docs-powershell issue 7416 (typo included); the current limit is UNCONFIRMED.
 */
function publishedScopes(call: Call, requested: unknown[]): string[] {
  const out: string[] = [];
  for (const scope of requested.map(String)) {
    const hits = findAll(call.tenant.exchange.recipients, scope).filter((s) => isVisible(s, call.now));
    if (!hits.length) referenceNotFound(call, scope);
    const g = hits[0].obj;
    if (g.RecipientTypeDetails !== "MailUniversalSecurityGroup") {
      call.warnings.push(
        `Access scope specified '${scope}' is not a security group. This scope will not be added to the organization relationship.`,
      );
      continue;
    }
    if (!out.includes(String(g.Name))) out.push(String(g.Name));
  }
  const limit = call.knobs.maxPublishedScopes;
  if (out.length > limit) {
    raise(call, {
      type: "Microsoft.Exchange.Management.SystemConfigurationTasks.MailboxMigrationScopeOverLimitException",
      text: `Number of scopes specified '${out.length}' exeeds the allowed limit '${limit}'.`,
    });
  }
  return out;
}

function checkDomainsFree(call: Call, domains: unknown[], self?: Rec): void {
  for (const s of all(call)) {
    if (s.obj === self) continue;
    const taken = (s.obj.DomainNames as string[]).map((d) => d.toLowerCase());
    const clash = domains.map(String).find((d) => taken.includes(d.toLowerCase()));
    if (clash) {
      // Exchange refuses overlapping relationships; the sentence is inferred (no public capture).
      raise(call, {
        type: "Microsoft.Exchange.Management.SystemConfigurationTasks.DuplicateOrganizationRelationshipDomainException",
        text: `The domain '${clash}' is already used by the organization relationship '${s.obj.Name}'. Please specify a different domain.`,
      });
    }
  }
}

export const newOrganizationRelationship: CmdletImpl = (call) => {
  requireHydrated(call);
  const name = str(call, "Name")!;
  if (all(call).some((s) => String(s.obj.Name).toLowerCase() === name.toLowerCase()))
    alreadyExists(call, "organization relationship", name);
  const domains = applyMulti([], call.params.DomainNames);
  checkDomainsFree(call, domains);
  const when = new Date(call.now).toISOString();
  const o: Rec = {
    Name: name,
    Identity: name,
    Id: name,
    Guid: newGuid(call.ctx.random),
    DistinguishedName: `CN=${name},CN=Federation,${distinguishedName(call.tenant, "x").replace(/^CN=x,/, "")}`,
    DomainNames: domains,
    Enabled: true,
    FreeBusyAccessEnabled: false,
    FreeBusyAccessLevel: "None",
    FreeBusyAccessScope: null,
    MailTipsAccessEnabled: false,
    MailTipsAccessLevel: "None",
    MailTipsAccessScope: null,
    PhotosEnabled: false,
    DeliveryReportEnabled: false,
    ArchiveAccessEnabled: false,
    MailboxMoveEnabled: false,
    MailboxMoveCapability: "None",
    MailboxMovePublishedScopes: [],
    OAuthApplicationId: "",
    OrganizationContact: "",
    TargetApplicationUri: null,
    TargetAutodiscoverEpr: null,
    TargetOwaURL: null,
    TargetSharingEpr: null,
    WhenCreated: when,
    WhenChanged: when,
  };
  const scopes = has(call, "MailboxMovePublishedScopes")
    ? publishedScopes(call, applyMulti([], call.params.MailboxMovePublishedScopes))
    : [];
  setProperties(call, o, ["Name", "DomainNames", "MailboxMovePublishedScopes"]);
  o.MailboxMovePublishedScopes = scopes;
  storeNew(call, call.tenant.exchange.organizationRelationships, o);
  return [o];
};

export const setOrganizationRelationship: CmdletImpl = (call) => {
  requireHydrated(call);
  const s = byIdentity(call, str(call, "Identity")!);
  const o = s.obj;
  const before = JSON.stringify(o);
  if (has(call, "DomainNames")) {
    const domains = applyMulti(o.DomainNames, call.params.DomainNames);
    checkDomainsFree(call, domains, o);
    o.DomainNames = domains;
  }
  if (has(call, "MailboxMovePublishedScopes")) {
    o.MailboxMovePublishedScopes = publishedScopes(
      call,
      applyMulti(o.MailboxMovePublishedScopes, call.params.MailboxMovePublishedScopes),
    );
  }
  setProperties(call, o, ["DomainNames", "MailboxMovePublishedScopes"]);
  // `-OAuthApplicationId $null` clears the app: the relationship then reads as one that never had one (UNCONFIRMED
  // whether Exchange answers "" or null for it; New gives "" here, so a cleared one does too).
  if (has(call, "OAuthApplicationId") && o.OAuthApplicationId === null) o.OAuthApplicationId = "";
  if (has(call, "Name")) o.Identity = o.Id = o.Name;
  if (JSON.stringify(o) === before) noChangeWarning(call, String(o.Identity));
  else markChanged(call, o);
  return [];
};

export const removeOrganizationRelationship: CmdletImpl = (call) => {
  const s = byIdentity(call, str(call, "Identity")!);
  call.tenant.exchange.organizationRelationships.delete(String(s.obj.Guid).toLowerCase());
  return [];
};
