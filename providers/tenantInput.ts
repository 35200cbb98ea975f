// Which tenant a resource's object lives in is the input `tenantId`, so that the change plan and the state
// show it, and a stack repointed at another tenant plans a replacement from the inputs alone (diff reads
// nothing else). The program passes it from the stack configuration; a caller that does not is given the
// provider host's configured id by check, so the recorded inputs carry it either way.
//
// State written before this input existed has no `tenantId` among its inputs, but every one of these
// resources has always recorded the tenant it was made in as the output `tenantId`; diff compares against
// that output, so an old stack sees no change unless its tenant really changed.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, stackConfig, type Props } from "./context";
import { isGuid } from "../domain/ids";

/** The stack configuration's tenant id for a role (undefined without a role); throws when the host was never configured. */
function configuredTenantId(role: unknown): string | undefined {
  if (role !== "source" && role !== "target") return undefined;
  return stackConfig(`${role}TenantId`)?.toLowerCase();
}

/**
 * check's part: the inputs with `tenantId` filled in (from the host's configuration when absent) and
 * lower-cased, and a failure when it is not a directory id or names another tenant than the one the host
 * would call for `role`.
 */
export function checkTenantId(news: Props, role: unknown): { inputs: Props; failures: pulumi.dynamic.CheckFailure[] } {
  const given = news.tenantId;
  if (isUnknown(given) || isUnknown(role)) return { inputs: news, failures: [] };
  const configured = configuredTenantId(role);
  if (given === undefined || given === null) {
    return { inputs: configured ? { ...news, tenantId: configured } : news, failures: [] };
  }
  if (typeof given !== "string" || !isGuid(given)) {
    return {
      inputs: news,
      failures: [
        {
          property: "tenantId",
          reason: `must be the tenant's directory (tenant) ID, a GUID, not ${JSON.stringify(given)}`,
        },
      ],
    };
  }
  const tenantId = given.toLowerCase();
  if (configured && configured !== tenantId) {
    return {
      inputs: news,
      failures: [
        {
          property: "tenantId",
          reason:
            `is ${tenantId}, but the stack's ${role}TenantId is ${configured}: the resource would be recorded for one ` +
            `tenant and written to another; pass the stack's ${role}TenantId`,
        },
      ],
    };
  }
  return { inputs: { ...news, tenantId }, failures: [] };
}

/** diff's part: whether the inputs name another tenant than the one the object was made in. */
export function tenantChanged(olds: Props, news: Props): boolean {
  if (news.tenantId === undefined || news.tenantId === null) return false;
  if (isUnknown(news.tenantId)) return true;
  return String(news.tenantId).toLowerCase() !== String(olds.tenantId ?? "").toLowerCase();
}
