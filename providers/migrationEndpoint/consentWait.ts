// The bounded wait for the source tenant's consent to reach Exchange Online, and the translation of
// Exchange's terse failures into what an engineer should check. Every message goes through hide(): the
// client secret is never in one.

import { adminConsentUrl } from "../tenant/clouds";
import { exchangeError, isDehydrated, message } from "../exchangeFailure";
import { log } from "../context";
import { hide, type EndpointContext } from "./endpoint";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isPwshUnavailable(e: unknown): boolean {
  return e instanceof Error && e.name === "PowerShellUnavailableError";
}

/**
 * Why the failure means "Exchange cannot act for the app in the source yet" (the consent, or the app's
 * service principal it creates, has not reached Exchange), or undefined for any other failure. Matched on
 * Microsoft's texts because the tenant layer has no kind for it; the texts are the ones MRS wraps
 * (missing source admin consent; cross-tenant OAuth consent that has not propagated yet).
 */
function consentNotVisible(e: unknown): string | undefined {
  if (!exchangeError(e)) return undefined;
  const text = message(e);
  if (/AADSTS700016/.test(text)) return "the app is not yet known in the source tenant";
  if (/ProxyService\/OAuth.*Access is denied|--> Access is denied/i.test(text))
    return "the source tenant does not yet let the app move mailboxes";
  return undefined;
}

export async function withConsentWait<T>(ctx: EndpointContext, action: string, attempt: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const consented = ctx.consentedAt ? Date.parse(ctx.consentedAt) : NaN;
  const from = Number.isFinite(consented) ? Math.min(consented, started) : started;
  const deadline = from + ctx.timeoutSeconds * 1000;
  for (let n = 1, wait = 2000; ; n++, wait = Math.min(wait * 2, 30_000)) {
    try {
      return await attempt();
    } catch (e) {
      const why = consentNotVisible(e);
      if (!why) throw explain(ctx, action, e);
      const now = Date.now();
      if (now >= deadline) throw consentFailure(ctx, action, e, n, now - from, Number.isFinite(consented));
      const pause = Math.min(wait, deadline - now);
      log.info(
        `MigrationEndpoint '${ctx.name}': waiting for the admin consent of app ${ctx.appId} in the source tenant ${ctx.remoteTenant} ` +
          `to reach Exchange Online (${why}); trying again in ${Math.ceil(pause / 1000)} s (attempt ${n + 1}; giving up at ${new Date(deadline).toISOString()}).`,
      );
      await sleep(pause);
    }
  }
}

function consentFailure(
  ctx: EndpointContext,
  action: string,
  e: unknown,
  attempts: number,
  waitedMs: number,
  fromConsent: boolean,
): Error {
  const url = adminConsentUrl(ctx.client.settings.cloud, ctx.remoteTenant, ctx.appId);
  return new Error(
    hide(
      ctx,
      `${action}: Exchange Online still cannot act for the migration app in the source tenant after ${attempts} attempt(s) over ` +
        `${Math.round(waitedMs / 1000)} s${fromConsent ? ` since the consent (${ctx.consentedAt})` : ""} (propagationTimeoutSeconds ${ctx.timeoutSeconds}). ` +
        `Check:\n` +
        `  1. admin consent in the SOURCE tenant ${ctx.remoteTenant}: its admin must grant the app Mailbox.Migration on Office 365 Exchange Online (${url});\n` +
        `  2. the app id ${ctx.appId} is the migration app's application (client) id;\n` +
        `  3. remoteTenant ${ctx.remoteTenant} is the source tenant's initial domain.\n` +
        `Consent can take a while to propagate: if it was just granted, run 'pulumi up' again later or raise propagationTimeoutSeconds.\n` +
        `Last answer: ${message(e)}`,
    ),
  );
}

/** Exchange's answers that say little, told in the stack's terms; everything else keeps Microsoft's text. */
function explain(ctx: EndpointContext, action: string, e: unknown): Error {
  if (isPwshUnavailable(e)) {
    const err = new Error(hide(ctx, `${action}: ${message(e)}`));
    err.name = "PowerShellUnavailableError";
    return err;
  }
  const text = message(e);
  let hint = "";
  if (/resource tenant and the accessing tenant cannot be equal/i.test(text)) {
    hint = ` remoteTenant '${ctx.remoteTenant}' is the target tenant itself; it must be the SOURCE tenant's initial domain.`;
  } else if (/AADSTS90002/.test(text)) {
    hint = ` remoteTenant '${ctx.remoteTenant}' is not a tenant Entra knows; it must be the source tenant's initial domain (…onmicrosoft.com).`;
  } else if (/AADSTS7000215/.test(text)) {
    hint = ` The clientSecret given (keyId ${ctx.secretKeyId ?? "unknown"}) is not a current secret of app ${ctx.appId}: give the secret VALUE, not its id, of a secret that has not expired.`;
  } else if (isDehydrated(e)) {
    hint = ` The target's Exchange organization is dehydrated: hydrate it first (the OrganizationCustomization resource for the target, or Enable-OrganizationCustomization), then run 'pulumi up' again.`;
  }
  return new Error(hide(ctx, `${action}: ${text}${hint}`));
}
