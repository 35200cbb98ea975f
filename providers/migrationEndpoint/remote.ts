// The offline checks of where the endpoint points: `remoteTenant` names the SOURCE tenant by its domain (not
// the target, where the endpoint lives, and not a tenant id), and `remoteServer` is the stack's cloud's host,
// filled in when absent, so the state and the change plan show the server the endpoint is made with.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, stackConfig, type Props } from "../context";
import { isGuid } from "../../domain/ids";
import { lower } from "../../domain/text";
import { isDomain } from "../../domain/addresses";

function configured(key: string): string | undefined {
  try {
    return stackConfig(key);
  } catch {
    return undefined;
  }
}

export function checkRemoteTenant(news: Props, fail: (property: string, reason: string) => void): void {
  const v = news.remoteTenant;
  if (v === undefined) {
    fail("remoteTenant", 'is required: the SOURCE tenant\'s initial domain, e.g. "fabrikam.onmicrosoft.com"');
    return;
  }
  if (isUnknown(v)) return;
  if (typeof v !== "string") {
    fail("remoteTenant", `must be the SOURCE tenant's initial domain (a string); got ${JSON.stringify(v)}`);
    return;
  }
  const targetDomain = configured("targetDomain");
  const targetTenantId = configured("targetTenantId");
  const sourceDomain = configured("sourceDomain");
  // Exchange's own answer to pointing the endpoint at itself is "ASSERT: The resource tenant and the
  // accessing tenant cannot be equal." (https://github.com/microsoft/cross-tenant/issues/55), which says
  // nothing useful.
  const which = sourceDomain
    ? `the source tenant's initial domain ("${sourceDomain}")`
    : "the SOURCE tenant's initial domain";
  if ((targetDomain && lower(v) === lower(targetDomain)) || (targetTenantId && lower(v) === lower(targetTenantId))) {
    fail(
      "remoteTenant",
      `is the TARGET tenant (${v}), where the endpoint itself is created; it must name the tenant mailboxes move FROM: ${which}`,
    );
    return;
  }
  if (isGuid(v)) {
    fail("remoteTenant", `is a tenant id; New-MigrationEndpoint -RemoteTenant takes a domain: ${which}`);
    return;
  }
  if (!isDomain(v)) fail("remoteTenant", `must be a domain name, ${which}; got ${JSON.stringify(v)}`);
}

/** What check needs of the stack's cloud to fill in and verify `remoteServer`. */
export interface ConfiguredCloud {
  name: string;
  migrationRemoteServer: string;
}

/**
 * check's part for `remoteServer`: the inputs with it filled in from the stack's cloud when absent and
 * lower-cased, and a failure when it is not a host name or not the server the provider would give
 * New-MigrationEndpoint (the endpoint would be recorded with one server and made with another). Without a
 * readable cloud (`cloud` undefined) a given value is only checked for its form, and none is filled in.
 */
export function checkRemoteServer(
  news: Props,
  cloud: ConfiguredCloud | undefined,
): { inputs: Props; failures: pulumi.dynamic.CheckFailure[] } {
  const given = news.remoteServer;
  if (isUnknown(given)) return { inputs: news, failures: [] };
  const expected = cloud ? lower(cloud.migrationRemoteServer) : undefined;
  if (given === undefined || given === null) {
    return { inputs: expected ? { ...news, remoteServer: expected } : news, failures: [] };
  }
  const example = expected ?? "outlook.office.com";
  if (typeof given !== "string" || !isDomain(given.trim())) {
    return {
      inputs: news,
      failures: [
        {
          property: "remoteServer",
          reason: `must be the host name New-MigrationEndpoint takes as -RemoteServer (e.g. ${example}), not ${JSON.stringify(given)}; or leave it out to use the stack's cloud's`,
        },
      ],
    };
  }
  const remoteServer = lower(given);
  if (cloud && expected !== remoteServer) {
    return {
      inputs: news,
      failures: [
        {
          property: "remoteServer",
          reason:
            `is ${remoteServer}, but the stack's cloud (${cloud.name}) takes ${expected}: the endpoint would be recorded ` +
            `with one server and made with another; pass ${expected}, or leave remoteServer out`,
        },
      ],
    };
  }
  return { inputs: { ...news, remoteServer }, failures: [] };
}
