// The target tenant as MigrationApp's calls use it: its tenant client, its Graph client and its id.

import type { Client } from "@microsoft/microsoft-graph-client";
import { tenantFor } from "../context";
import type { TenantClient } from "../tenant";

export interface Target {
  client: TenantClient;
  g: Client;
  tenantId: string;
}

export async function target(): Promise<Target> {
  const client = tenantFor("target");
  return { client, g: await client.graph(), tenantId: client.settings.tenantId };
}
