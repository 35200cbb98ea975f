// The source tenant's part of the pair, in the order of Microsoft's source-tenant steps:
// admin consent to the target's migration app, organization customization, the mail-enabled security group
// that scopes which mailboxes may move, and the organization relationship that lets the target pull them
// (RemoteOutbound, naming the app and the scoping group). Dependencies carry the order:
//
//   consent/source ---------------------------------------------------\
//   organization-customization/source -> scoping-group (members) ------+-> relationship/source
//
// In a split pair the app belongs to the target stack: its id and consent URL arrive from the partner stack,
// and until they do only what needs no app (customization, scoping group) is declared.

import * as pulumi from "@pulumi/pulumi";
import { AdminConsent } from "../providers/adminConsent";
import { OrganizationCustomization } from "../providers/organizationCustomization";
import { OrganizationRelationship } from "../providers/organizationRelationship";
import { ScopingGroup } from "../providers/scopingGroup";
import type { TenantRef } from "../config/stackConfig";

export interface SourceTenantArgs {
  /** This tenant's directory (tenant) id, as the stack configures it: every resource here records it as an input. */
  tenantId?: string;
  /** The tenant the mailboxes move to (the relationship's partner). */
  target: TenantRef;
  /** The migration app's application (client) id; absent in a split pair until the target stack published it. */
  appId?: pulumi.Input<string>;
  /** The consent link, shown while `consentMode: "await"` waits for an administrator to open it. */
  consentUrl?: pulumi.Input<string>;
  /** grant (default): the stack's operator grants the consent; await: it waits for someone to open consentUrl. */
  consentMode?: "grant" | "await";
  scopingGroupName: string;
  /** Name of the organization relationship when this stack creates it (an adopted one keeps its name). */
  relationshipName: string;
  /** SMTP addresses of the mailboxes that may move: the scoping group's members. */
  scopeMembers: pulumi.Input<string[]>;
  /** With the migration app in this stack: what its appId and consent link depend on (providers/anchors.ts). */
  appAnchor?: string;
}

export class SourceTenant extends pulumi.ComponentResource {
  readonly organizationCustomization: OrganizationCustomization;
  readonly consent?: AdminConsent;
  readonly scopingGroup: ScopingGroup;
  readonly relationship?: OrganizationRelationship;

  constructor(name: string, args: SourceTenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("xtmm:index:SourceTenant", name, {}, opts);
    const parent = { parent: this };
    const own = args.tenantId !== undefined ? { tenantId: args.tenantId } : {};

    this.organizationCustomization = new OrganizationCustomization(
      "organization-customization/source",
      { tenant: "source", ...own },
      parent,
    );

    // New-DistributionGroup is a customization cmdlet: a dehydrated organization refuses it.
    this.scopingGroup = new ScopingGroup(
      "scoping-group",
      { tenant: "source", ...own, name: args.scopingGroupName, members: args.scopeMembers },
      { ...parent, dependsOn: [this.organizationCustomization] },
    );

    const anchors = (...keys: string[]) =>
      args.appAnchor ? { anchors: Object.fromEntries(keys.map((k) => [k, args.appAnchor!])) } : {};
    if (args.appId !== undefined) {
      this.consent = new AdminConsent(
        "consent/source",
        {
          tenant: "source",
          ...own,
          appId: args.appId,
          ...(args.consentMode === "await" ? { mode: "await" as const } : {}),
          ...(args.consentUrl !== undefined ? { consentUrl: args.consentUrl } : {}),
          ...anchors("appId", "consentUrl"),
        },
        parent,
      );
      // Microsoft's source steps consent first; the relationship names the app, whose service principal the
      // consent creates in this tenant.
      this.relationship = new OrganizationRelationship(
        "relationship/source",
        {
          tenant: "source",
          ...own,
          partnerTenantId: args.target.tenantId,
          name: args.relationshipName,
          capabilities: ["RemoteOutbound"],
          oauthApplicationId: args.appId,
          ...anchors("oauthApplicationId"),
          // By the group's name, known at preview, rather than its identity output: otherwise every change of
          // membership would list the relationship as a possible update in the change plan. Exchange names are
          // unique among recipients; the dependency keeps the group first.
          publishedScopes: [args.scopingGroupName],
        },
        { ...parent, dependsOn: [this.organizationCustomization, this.consent, this.scopingGroup] },
      );
    }

    this.registerOutputs({
      consentedAt: this.consent?.consentedAt,
      scopingGroup: this.scopingGroup.primarySmtpAddress,
    });
  }
}
