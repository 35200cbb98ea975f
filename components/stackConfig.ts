// Reading and checking the stack configuration, offline: every mistake is reported by its key, with the
// fix, before any resource is declared and so before anything in either tenant is touched. Credentials are
// only checked here; the dynamic providers read them again inside the provider host (`configure()`).

import * as pulumi from "@pulumi/pulumi";
import { readTenantSettings, type TenantSettings } from "../providers/tenant/settings";

/** Keys whose values are credentials: they must be stored encrypted (`pulumi config set --secret`). */
export const SECRET_CONFIG_KEYS = [
  "sourceClientSecret",
  "sourceCertificatePassword",
  "targetClientSecret",
  "targetCertificatePassword",
] as const;

export class StackConfigError extends Error {
  override name = "StackConfigError";
}

// Not in the SDK's typings, but exported by it: whether the engine handed a key over as a secret.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

export function readStackConfig(config: pulumi.Config): { source: TenantSettings; target: TenantSettings } {
  const get = (key: string): string | undefined => {
    const v = config.get(key);
    return v === undefined || v === "" ? undefined : v;
  };
  for (const key of SECRET_CONFIG_KEYS) {
    if (get(key) !== undefined && !runtimeConfig.isConfigSecret(`${config.name}:${key}`)) {
      throw new StackConfigError(
        `${config.name}:${key} is stored in plain text. Remove it from the stack file and set it again with: ` +
          `pulumi config set --secret ${config.name}:${key}`,
      );
    }
  }
  const source = readTenantSettings(get, "source");
  const target = readTenantSettings(get, "target");
  if (source.tenantId.toLowerCase() === target.tenantId.toLowerCase()) {
    throw new StackConfigError(
      `${config.name}:sourceTenantId and ${config.name}:targetTenantId are the same tenant (${source.tenantId}). ` +
        `Cross-tenant migration moves mailboxes between two tenants: set each key to its own tenant id.`,
    );
  }
  return { source, target };
}
