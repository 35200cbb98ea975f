// What a MigrationEndpoint is given and what it records, and the two offline verbs: `check` (inputs alone,
// plus the stack's own tenant ids and cloud, so no request is ever needed to reject them) and `diff` (the
// recorded service view against the new inputs, and nothing else). Nothing here loads the tenant layer.
//
// The checks of where the endpoint points (remoteTenant, remoteServer) are in remote.ts.
//
// The RemoteServer the endpoint must have is the input `remoteServer`, and its tenant the input `tenantId`
// (providers/tenantInput.ts), so that the state and the change plan show what diff compares. The program
// passes both; check fills them in when a caller does not. State written before these inputs existed lacks
// them, but the endpoint has always recorded the service's RemoteServer and its tenant as the outputs
// `remoteServer` and `tenantId`, which diff compares against, so an old stack sees no change unless one of
// them really differs.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, type Props } from "../context";
import { isGuid } from "../../domain/ids";
import { lower } from "../../domain/text";
import { tenantChanged } from "../tenantInput";
import { checkRemoteTenant } from "./remote";

export interface Inputs extends Props {
  /** Optional, for components that pass a role to every resource; the endpoint always lives in the target. */
  tenant?: "target";
  /** The target tenant's directory id (check fills it in from the configuration). */
  tenantId?: string;
  name: string;
  appId: string;
  /** The migration app's secret VALUE; never logged, never in outputs. */
  clientSecret?: string;
  /** Graph keyId of that secret: what diff compares to see a rotation without holding the secret. */
  secretKeyId?: string;
  /** The SOURCE tenant's initial domain. */
  remoteTenant: string;
  /** What -RemoteServer must be, the stack's cloud's host (check fills it in from the configuration). */
  remoteServer?: string;
  consentedAt?: string;
  propagationTimeoutSeconds?: number;
  adopt?: boolean;
  maxConcurrentMigrations?: number;
}

export interface Outputs extends Props {
  /** The name the stack gave (the natural key). */
  name: string;
  /** The service's Identity of the endpoint. */
  identity: string;
  guid: string | null;
  endpointType: string | null;
  remoteServer: string | null;
  remoteTenant: string | null;
  applicationId: string | null;
  maxConcurrentMigrations: number | string | null;
  /** keyId of the secret we last gave the endpoint; null when we never gave it one (adopted as is). */
  secretKeyId: string | null;
  /** True when the endpoint existed before this stack: it is left in place on destroy. */
  adopted: boolean;
  /** The target tenant the endpoint lives in. */
  tenantId: string;
}

export const INPUTS = [
  "tenant",
  "tenantId",
  "name",
  "appId",
  "clientSecret",
  "secretKeyId",
  "remoteTenant",
  "remoteServer",
  "consentedAt",
  "propagationTimeoutSeconds",
  "adopt",
  "maxConcurrentMigrations",
];

export const ENDPOINT_TYPE = "ExchangeRemoteMove";
/** Default bound of the wait for the source consent to reach Exchange (Microsoft gives no figure; peers saw minutes to hours). */
export const DEFAULT_PROPAGATION_TIMEOUT_SECONDS = 600;
const MAX_PROPAGATION_TIMEOUT_SECONDS = 6 * 3600;

/** Characters we refuse in a name: it is an Exchange object name, and it is typed into `-SourceEndpoint` and CSVs later. */
const NAME_FORBIDDEN = /[\\/:*?"<>|,;=+[\]{}\u0000-\u001f\u007f]/;

export async function checkInputs(news: Props): Promise<pulumi.dynamic.CheckResult<Props>> {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const known = (k: string) => news[k] !== undefined && !isUnknown(news[k]);
  const adopt = news.adopt;

  for (const key of Object.keys(news)) {
    if (!INPUTS.includes(key))
      fail(key, `is not an input of MigrationEndpoint (inputs: ${INPUTS.join(", ")}); remove it`);
  }
  if (known("tenant") && news.tenant !== "target") {
    fail(
      "tenant",
      `must be "target" if given: the migration endpoint is created in the target tenant, pointing at the source`,
    );
  }

  if (news.name === undefined)
    fail(
      "name",
      'is required: the migration endpoint\'s name (e.g. "xtmm-source"), later used as -SourceEndpoint of migration batches',
    );
  else if (known("name")) {
    const name = news.name;
    if (typeof name !== "string" || name.length === 0 || name.length > 64)
      fail("name", "must be a string of 1 to 64 characters");
    else if (name.trim() !== name) fail("name", "must not start or end with white space");
    else if (NAME_FORBIDDEN.test(name))
      fail("name", `must not contain any of \\ / : * ? " < > | , ; = + [ ] { } or control characters`);
  }

  if (news.appId === undefined)
    fail("appId", "is required: the migration app's application (client) id, e.g. the MigrationApp's appId output");
  else if (known("appId") && !isGuid(news.appId))
    fail("appId", `must be the migration app's application (client) id, a GUID; got ${JSON.stringify(news.appId)}`);

  // adopt=true is for engineers who made the endpoint by hand without us: no secret needed then.
  const needSecret = adopt !== true && !isUnknown(adopt);
  if (news.clientSecret === undefined) {
    if (needSecret)
      fail(
        "clientSecret",
        "is required (unless adopt is true): the migration app's client secret VALUE, e.g. the MigrationApp's clientSecret output",
      );
  } else if (known("clientSecret")) {
    if (typeof news.clientSecret !== "string" || news.clientSecret.length === 0)
      fail("clientSecret", "must be a non-empty string");
    // The value itself is never echoed, only what it looks like.
    else if (isGuid(news.clientSecret))
      fail(
        "clientSecret",
        "looks like a GUID, i.e. the secret's id; give the secret VALUE (Entra shows it only once, when it is created)",
      );
  }
  if (news.secretKeyId === undefined) {
    if (needSecret)
      fail(
        "secretKeyId",
        "is required (unless adopt is true): the keyId of that client secret, e.g. the MigrationApp's secretKeyId output; a change of it rotates the endpoint's credential",
      );
  } else if (known("secretKeyId") && !isGuid(news.secretKeyId))
    fail("secretKeyId", `must be the client secret's keyId, a GUID; got ${JSON.stringify(news.secretKeyId)}`);
  if (known("clientSecret") && !known("secretKeyId") && !isUnknown(news.secretKeyId)) {
    fail(
      "secretKeyId",
      "is required with clientSecret: without it a rotated secret could not be told from the old one",
    );
  }

  checkRemoteTenant(news, fail);

  if (known("consentedAt") && (typeof news.consentedAt !== "string" || Number.isNaN(Date.parse(news.consentedAt)))) {
    fail(
      "consentedAt",
      `must be an ISO 8601 timestamp (the source AdminConsent's consentedAt output); got ${JSON.stringify(news.consentedAt)}`,
    );
  }
  if (known("propagationTimeoutSeconds")) {
    const t = news.propagationTimeoutSeconds;
    if (typeof t !== "number" || !Number.isFinite(t) || t < 0 || t > MAX_PROPAGATION_TIMEOUT_SECONDS) {
      fail(
        "propagationTimeoutSeconds",
        `must be a number of seconds from 0 to ${MAX_PROPAGATION_TIMEOUT_SECONDS}; got ${JSON.stringify(t)}`,
      );
    }
  }
  if (known("adopt") && typeof adopt !== "boolean")
    fail("adopt", `must be true or false; got ${JSON.stringify(adopt)}`);
  if (known("maxConcurrentMigrations")) {
    const m = news.maxConcurrentMigrations;
    if (typeof m !== "number" || !Number.isInteger(m) || m < 1)
      fail("maxConcurrentMigrations", `must be a whole number of at least 1; got ${JSON.stringify(m)}`);
  }
  return { inputs: news, failures };
}

/**
 * Replacement for what Set-MigrationEndpoint cannot change (the name is the identity; RemoteTenant and the
 * endpoint type are fixed at creation; another target tenant is another object); in place for the rest.
 */
export async function diffInputs(olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
  const replaces: string[] = [];
  const updates: string[] = [];
  const changed = (a: unknown, b: unknown) => isUnknown(a) || lower(a) !== lower(b);

  if (isUnknown(news.name) || news.name !== olds.name) replaces.push("name");
  if (changed(news.remoteTenant, olds.remoteTenant)) replaces.push("remoteTenant");
  if (olds.endpointType !== ENDPOINT_TYPE) replaces.push("endpointType");
  if (tenantChanged(olds, news)) replaces.push("tenantId");

  if (changed(news.appId, olds.applicationId)) updates.push("appId");
  // Only a given secretKeyId is managed; adopt mode may leave it out.
  if (
    news.secretKeyId !== undefined &&
    (isUnknown(news.secretKeyId) || lower(news.secretKeyId) !== lower(olds.secretKeyId))
  )
    updates.push("secretKeyId");
  // Absent only from inputs recorded before the input existed (refresh diffs against those): nothing to compare.
  if (news.remoteServer !== undefined && news.remoteServer !== null && changed(news.remoteServer, olds.remoteServer))
    updates.push("remoteServer");
  if (
    news.maxConcurrentMigrations !== undefined &&
    (isUnknown(news.maxConcurrentMigrations) ||
      String(news.maxConcurrentMigrations) !== String(olds.maxConcurrentMigrations))
  ) {
    updates.push("maxConcurrentMigrations");
  }

  if (replaces.length === 0 && updates.length === 0) return { changes: false };
  // A replacement under the same name would collide with the old endpoint, so that one goes first.
  return { changes: true, replaces, deleteBeforeReplace: replaces.length > 0 && !replaces.includes("name") };
}
