// The tenant pair: one stack converges both tenants. Each side is its own component so a split-administration
// pair can later run one side per stack.

import * as pulumi from "@pulumi/pulumi";
import { TenantPreparation } from "./tenantPreparation";

export interface CrossTenantMigrationArgs {
  /** Which sides this stack manages; both unless the pair is split between administrators. */
  manage: { source: boolean; target: boolean };
}

export class CrossTenantMigration extends pulumi.ComponentResource {
  readonly source?: TenantPreparation;
  readonly target?: TenantPreparation;

  constructor(name: string, args: CrossTenantMigrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("xtmm:index:CrossTenantMigration", name, {}, opts);
    // Microsoft's guide configures the target first; the order is carried by dependencies, not declaration.
    if (args.manage.target) this.target = new TenantPreparation("target", { role: "target" }, { parent: this });
    if (args.manage.source) this.source = new TenantPreparation("source", { role: "source" }, { parent: this });
    this.registerOutputs({ source: this.source, target: this.target });
  }
}
