// Entra's error answers. The JSON fields and the `AADSTSnnnnn: text` convention are Entra's; each
// text below is Microsoft's wording where it is known (codes from Microsoft's
// AADSTS error-code reference), and the code says which ones are guesses.

import { randomUUID } from "node:crypto";
import { json, type EmuResponse, type EmuRequest } from "../http";

export interface EntraError {
  status: number;
  error: string;
  code: number;
  text: string;
}

function entraTimestamp(d: Date): string {
  // Entra writes "2026-11-21 00:10:00Z" in the JSON, and the same with a T in the description.
  return d
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

export function entraError(req: EmuRequest, e: EntraError, now: number): EmuResponse {
  const traceId = randomUUID();
  const correlationId = req.headers["client-request-id"] || randomUUID();
  const at = new Date(now);
  const description = `AADSTS${e.code}: ${e.text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${entraTimestamp(at)}`;
  return json(
    e.status,
    {
      error: e.error,
      error_description: description,
      error_codes: [e.code],
      timestamp: entraTimestamp(at),
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${req.url.origin}/error?code=${e.code}`,
    },
    { "cache-control": "no-store, no-cache", pragma: "no-cache" },
  );
}

export const AADSTS = {
  tenantNotFound: (tenant: string): EntraError => ({
    status: 400,
    error: "invalid_tenant",
    code: 90002,
    text: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  }),
  noTenantInfo: (): EntraError => ({
    // UNCONFIRMED that a client_credentials request to /common or /organizations answers exactly this.
    status: 400,
    error: "invalid_request",
    code: 50059,
    text: "No tenant-identifying information found in either the request or implied by any provided credentials.",
  }),
  missingParameter: (name: string): EntraError => ({
    status: 400,
    error: "invalid_request",
    code: 900144,
    text: `The request body must contain the following parameter: '${name}'.`,
  }),
  unsupportedGrant: (grant: string): EntraError => ({
    status: 400,
    error: "unsupported_grant_type",
    code: 70003,
    text: `The app requested an unsupported grant type '${grant}'.`,
  }),
  appNotFound: (appId: string, tenant: string): EntraError => ({
    status: 400,
    error: "unauthorized_client",
    code: 700016,
    text: `Application with identifier '${appId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  }),
  appDisabled: (appId: string): EntraError => ({
    status: 400,
    error: "unauthorized_client",
    code: 7000112,
    text: `Application '${appId}' is disabled.`,
  }),
  noCredential: (): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 7000218,
    text: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  }),
  invalidSecret: (appId: string): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 7000215,
    text: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`,
  }),
  expiredSecret: (appId: string): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 7000222,
    text: `The provided client secret keys for app '${appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
  }),
  assertionType: (): EntraError => ({
    status: 400,
    error: "invalid_request",
    code: 50027,
    text: "JWT token is invalid or malformed.",
  }),
  assertionKeyNotFound: (appId: string, thumbprint: string): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 700027,
    text: `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${appId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${appId}']`,
  }),
  assertionSignature: (): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 700027,
    text: "Client assertion failed signature validation.",
  }),
  assertionExpired: (): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 700024,
    text: "Client assertion is not within its valid time range.",
  }),
  assertionSubject: (): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 700021,
    text: "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .",
  }),
  assertionAudience: (): EntraError => ({
    // UNCONFIRMED: Microsoft's exact code for a wrong `aud` in a client assertion.
    status: 401,
    error: "invalid_client",
    code: 700212,
    text: "The audience claim in the client assertion does not match the token endpoint of the tenant.",
  }),
  certificateExpired: (appId: string): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 700027,
    text: `Client assertion contains an invalid signature. [Reason - The key used is expired., Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${appId}'.]`,
  }),
  defaultScopeRequired: (scope: string): EntraError => ({
    status: 400,
    error: "invalid_scope",
    code: 1002012,
    text: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
  }),
  resourceNotFound: (resource: string, tenant: string): EntraError => ({
    status: 400,
    error: "invalid_resource",
    code: 500011,
    text: `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
  }),
  pending: (): EntraError => ({
    status: 400,
    error: "authorization_pending",
    code: 70016,
    text: "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
  }),
  deviceCodeExpired: (): EntraError => ({
    status: 400,
    error: "expired_token",
    code: 70020,
    text: "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
  }),
  badGrant: (): EntraError => ({
    status: 400,
    error: "invalid_grant",
    code: 70000,
    text: "Provided grant is invalid or malformed.",
  }),
  publicClientOnly: (): EntraError => ({
    status: 400,
    error: "invalid_client",
    code: 7000218,
    text: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  }),
  transient: (): EntraError => ({
    status: 503,
    error: "temporarily_unavailable",
    code: 90033,
    text: "A transient error has occurred. Please try again.",
  }),
};
