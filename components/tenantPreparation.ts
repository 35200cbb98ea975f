// What one tenant of the pair needs before its Exchange objects can be configured. Today: organization
// customization (a dehydrated tenant refuses the cmdlets that follow). The migration app, consent,
// relationships and scoping group join here as their resources land, each depending on what Microsoft's
// process puts before it.

import * as pulumi from "@pulumi/pulumi";
import { OrganizationCustomization } from "../providers/organizationCustomization";

export type TenantRole = "source" | "target";

export interface TenantPreparationArgs {
  role: TenantRole;
}

export class TenantPreparation extends pulumi.ComponentResource {
  readonly role: TenantRole;
  readonly organizationCustomization: OrganizationCustomization;

  constructor(name: string, args: TenantPreparationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("xtmm:index:TenantPreparation", name, {}, opts);
    this.role = args.role;
    // Named after what it is and where, so `pulumi preview` reads as a change plan.
    this.organizationCustomization = new OrganizationCustomization(
      `organization-customization/${args.role}`,
      { tenant: args.role },
      { parent: this },
    );
    this.registerOutputs({ organizationCustomization: this.organizationCustomization });
  }
}
