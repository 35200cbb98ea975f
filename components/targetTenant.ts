// The target tenant's part of the pair, in the order of Microsoft's target-tenant steps:
// the multi-tenant migration app with Mailbox.Migration and its secret, admin consent here, organization
// customization, the organization relationship that accepts moves from the source, and the migration endpoint
// that reaches the source with the app's credential. The order is carried by dependencies:
//
//   migration-app -> consent/target ----------------------------\
//   organization-customization/target -> relationship/target    +-> migration-endpoint -> migration-app/secret-retirement
//   (source side) consent/source: sourceConsentedAt ------------/
//
// Old client secrets are retired only after the endpoint holds the new one, so a rotation never leaves the
// endpoint with a dead credential. Components never read configuration: the caller passes typed values.

import * as pulumi from "@pulumi/pulumi";
import { AdminConsent } from "../providers/adminConsent";
import { MigrationApp } from "../providers/migrationApp";
import { MigrationAppSecretRetirement } from "../providers/migrationAppSecretRetirement";
import { MigrationEndpoint } from "../providers/migrationEndpoint";
import { OrganizationCustomization } from "../providers/organizationCustomization";
import { OrganizationRelationship } from "../providers/organizationRelationship";
import type { TenantRef } from "../config/stackConfig";

export interface MigrationAppOptions {
  /** The app's display name; the source administrator sees it in the consent prompt. */
  displayName: string;
  /** Adopt the existing app registration with this application (client) id instead of creating one. */
  adoptAppId?: string;
  /** ISO date the client secret ends (default: two years from creation). */
  secretEndDate?: string;
  /** ISO date after which the next `pulumi up` rotates the secret. */
  rotateAfter?: string;
  /** Any string; changing it rotates the secret. */
  rotationTrigger?: string;
}

export interface MigrationEndpointOptions {
  /** The endpoint's name, later given to migration batches as -SourceEndpoint. */
  name: string;
  /** Verify and adopt an endpoint made by hand (no PowerShell needed); destroy then leaves it in place. */
  adopt?: boolean;
  /** Longest wait for the source consent to reach Exchange Online (seconds, default 600). */
  propagationTimeoutSeconds?: number;
  /** Most concurrent moves through this endpoint; Exchange's default when absent. */
  maxConcurrentMigrations?: number;
  /** The RemoteServer of the stack's cloud, as the stack configures it: the endpoint records it as an input. */
  remoteServer?: string;
}

export interface TargetTenantArgs {
  /** This tenant's directory (tenant) id, as the stack configures it: every resource here records it as an input. */
  tenantId?: string;
  /** The tenant the mailboxes come from (the endpoint's RemoteTenant, the relationship's partner). */
  source: TenantRef;
  app: MigrationAppOptions;
  /** Name of the organization relationship when this stack creates it (an adopted one keeps its name). */
  relationshipName: string;
  endpoint: MigrationEndpointOptions;
  /**
   * When the SOURCE tenant consented to the app: the source AdminConsent's `consentedAt` (which also orders
   * the endpoint after that consent) or, in a split pair, the value the source stack published. Absent: the
   * source has not consented yet, so the endpoint and the secret retirement are not declared.
   */
  sourceConsentedAt?: pulumi.Input<string | null>;
  /** What the app's appId, object id and consent link depend on (providers/anchors.ts); see CrossTenantMigration. */
  appAnchor?: string;
}

export class TargetTenant extends pulumi.ComponentResource {
  readonly organizationCustomization: OrganizationCustomization;
  readonly app: MigrationApp;
  readonly consent: AdminConsent;
  readonly relationship: OrganizationRelationship;
  readonly endpoint?: MigrationEndpoint;
  readonly secretRetirement?: MigrationAppSecretRetirement;

  constructor(name: string, args: TargetTenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("xtmm:index:TargetTenant", name, {}, opts);
    const parent = { parent: this };
    const own = args.tenantId !== undefined ? { tenantId: args.tenantId } : {};

    this.organizationCustomization = new OrganizationCustomization(
      "organization-customization/target",
      { tenant: "target", ...own },
      parent,
    );

    this.app = new MigrationApp(
      "migration-app",
      {
        displayName: args.app.displayName,
        ...own,
        ...(args.app.adoptAppId ? { adoptAppId: args.app.adoptAppId } : {}),
        ...(args.app.secretEndDate ? { secretEndDate: args.app.secretEndDate } : {}),
        ...(args.app.rotateAfter ? { rotateAfter: args.app.rotateAfter } : {}),
        ...(args.app.rotationTrigger ? { rotationTrigger: args.app.rotationTrigger } : {}),
      },
      parent,
    );
    const anchors = (...keys: string[]) =>
      args.appAnchor ? { anchors: Object.fromEntries(keys.map((k) => [k, args.appAnchor!])) } : {};
    this.consent = new AdminConsent(
      "consent/target",
      { tenant: "target", ...own, appId: this.app.appId, ...anchors("appId") },
      parent,
    );

    // Exchange refuses relationship cmdlets in a dehydrated organization.
    this.relationship = new OrganizationRelationship(
      "relationship/target",
      {
        tenant: "target",
        ...own,
        partnerTenantId: args.source.tenantId,
        name: args.relationshipName,
        capabilities: ["Inbound"],
      },
      { ...parent, dependsOn: [this.organizationCustomization] },
    );

    if (args.sourceConsentedAt !== undefined) {
      // null (a consent whose time Entra did not report) is not a timestamp: the endpoint then waits its full bound.
      const consentedAt = pulumi.output(args.sourceConsentedAt).apply((t) => t ?? undefined) as pulumi.Output<string>;
      this.endpoint = new MigrationEndpoint(
        "migration-endpoint",
        {
          ...own,
          name: args.endpoint.name,
          appId: this.app.appId,
          ...anchors("appId"),
          clientSecret: this.app.clientSecret,
          secretKeyId: this.app.secretKeyId,
          remoteTenant: args.source.domain,
          ...(args.endpoint.remoteServer !== undefined ? { remoteServer: args.endpoint.remoteServer } : {}),
          consentedAt,
          ...(args.endpoint.adopt ? { adopt: true } : {}),
          ...(args.endpoint.propagationTimeoutSeconds !== undefined
            ? { propagationTimeoutSeconds: args.endpoint.propagationTimeoutSeconds }
            : {}),
          ...(args.endpoint.maxConcurrentMigrations !== undefined
            ? { maxConcurrentMigrations: args.endpoint.maxConcurrentMigrations }
            : {}),
        },
        // New-MigrationEndpoint needs the app consented in both tenants and a hydrated organization.
        { ...parent, dependsOn: [this.consent, this.organizationCustomization] },
      );
      this.secretRetirement = new MigrationAppSecretRetirement(
        "migration-app/secret-retirement",
        {
          applicationObjectId: this.app.applicationObjectId,
          keepSecretKeyId: this.app.secretKeyId,
          retireSecretKeyIds: this.app.retiringSecretKeyIds,
          ...anchors("applicationObjectId"),
        },
        { ...parent, dependsOn: [this.endpoint] },
      );
    }

    this.registerOutputs({
      appId: this.app.appId,
      consentUrl: this.app.consentUrl,
      endpointName: this.endpoint?.name,
    });
  }
}
