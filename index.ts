// The Pulumi program: read and check the stack configuration, build the tenant pair, export what an engineer
// needs next.

import * as pulumi from "@pulumi/pulumi";
import { CrossTenantMigration } from "./components/crossTenantMigration";
import { readStackConfig } from "./components/stackConfig";

const settings = readStackConfig(new pulumi.Config());
const pair = new CrossTenantMigration("pair", { manage: { source: true, target: true } });

export const sourceTenantId = settings.source.tenantId;
export const targetTenantId = settings.target.tenantId;
export const organizationCustomization = {
  source: pair.source?.organizationCustomization.isDehydrated.apply((d) => (d ? "dehydrated" : "customizable")),
  target: pair.target?.organizationCustomization.isDehydrated.apply((d) => (d ? "dehydrated" : "customizable")),
};
