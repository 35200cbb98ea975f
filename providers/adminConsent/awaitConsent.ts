// AdminConsent's await mode (split administration): nobody here may write to the tenant, so the resource
// polls, reading only, until someone else's consent shows, and says whom to ask with which link.

import { log, tenantFor } from "../context";
import { adminConsentUrl } from "../tenant/clouds";
import { observe, what, type Found, type Prior } from "./converge";
import { sleep } from "./directory";
import type { Wanted } from "./inputs";

/** The admin consent link for the message: the one given, else the stack's own for that tenant. */
export function consentLink(w: Wanted): string {
  if (w.consentUrl) return w.consentUrl;
  const s = tenantFor(w.tenant).settings;
  return adminConsentUrl(s.cloud, s.domain, w.appId);
}

/**
 * Await mode (split administration): nobody here may write to this tenant. Polls, reading only, until the
 * app holds every role, and fails with the consent link once the wait runs out.
 */
export async function awaitConsent(w: Wanted, prior: Prior = {}): Promise<Found> {
  const client = tenantFor(w.tenant);
  const name = what(client, w);
  const url = consentLink(w);
  const timeoutMs = w.awaitTimeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  const pollMs = Math.min(15_000, Math.max(500, timeoutMs / 20));
  const ask = (missing: string[]) =>
    `an administrator of ${client.settings.domain} (the ${w.tenant} tenant) must grant admin consent: open ${url} ` +
    `signed in as a Global Administrator (or Privileged Role Administrator) and accept. Missing: ${missing.join(", ")}.`;
  let nextNotice = 0;
  for (;;) {
    const seen = await observe(w, prior);
    if (seen.missing.length === 0) {
      log.info(
        `${name}: admin consent found (${w.roles.join(", ")}, consented at ${seen.consentedAt ?? "an unknown time"}).`,
      );
      const { missing: _done, ...found } = seen;
      return found;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(
        `${name}: no admin consent after waiting ${w.awaitTimeoutSeconds} s (mode "await"); ${ask(seen.missing)} Then run \`pulumi up\` again.`,
      );
    }
    if (Date.now() >= nextNotice) {
      log.warn(`${name}: waiting up to ${Math.ceil(left / 1000)} s more; ${ask(seen.missing)}`);
      nextNotice = Date.now() + 60_000;
    }
    await sleep(Math.min(pollMs, left));
  }
}
