// Proxy addresses on a recipient: EmailAddresses (replace or add/remove), PrimarySmtpAddress and
// WindowsEmailAddress kept consistent with the one upper-case "SMTP:" entry, uniqueness across the
// tenant (soft-deleted objects included) and SMTP domains limited to accepted domains.

import type { Rec, TenantState } from "../../model";
import { has, proxyInUse, raise, type Call } from "../call";
import { proxyOwner } from "../lookup";
import { applyMulti } from "./common";

export function defaultDomain(t: TenantState): string {
  const d = t.exchange.acceptedDomains.find((x) => x.Default === true);
  return String(d?.DomainName ?? t.initialDomain);
}

function accepted(t: TenantState, domain: string): boolean {
  return t.exchange.acceptedDomains.some((d) => String(d.DomainName).toLowerCase() === domain.toLowerCase());
}

/** "SMTP:a@b", "smtp:a@b", "x500:/o=…", or a bare address (taken as smtp). */
function normalise(call: Call, p: string): string {
  const m = /^([A-Za-z0-9]+):(.+)$/.exec(p);
  if (!m) return `smtp:${p}`;
  const [, prefix, rest] = m;
  if (prefix.toLowerCase() === "smtp") {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(rest)) {
      raise(call, {
        type: "Microsoft.Exchange.Data.DataValidationException",
        text: `The email address "${rest}" isn't correct. Please use this format: user name, the @ sign, followed by the domain name. For example, tonysmith@contoso.com or tony.smith@contoso.com.`,
      });
    }
    return `${prefix === "SMTP" ? "SMTP" : "smtp"}:${rest}`;
  }
  return p;
}

/** Checks a proxy list for addresses another object uses and SMTP domains the tenant does not accept. */
export function checkProxies(call: Call, proxies: string[], self?: Rec): void {
  for (const p of proxies) {
    if (proxyOwner(call.tenant, p, self)) proxyInUse(call, p);
    const smtp = /^smtp:(.+)$/i.exec(p);
    if (smtp) {
      const domain = smtp[1].split("@")[1];
      // Exchange Online's text for a non-accepted SMTP domain, as remembered (UNCONFIRMED).
      if (!accepted(call.tenant, domain)) {
        raise(call, {
          type: "Microsoft.Exchange.Data.DataValidationException",
          text: `You can't use the domain ${domain} because it's not an accepted domain for your organization.`,
        });
      }
    }
  }
}

/** Applies EmailAddresses / PrimarySmtpAddress / WindowsEmailAddress parameters to a recipient. */
export function applyEmailAddresses(call: Call, o: Rec): void {
  if (!has(call, "EmailAddresses") && !has(call, "PrimarySmtpAddress") && !has(call, "WindowsEmailAddress")) return;
  let list = (o.EmailAddresses as string[]).slice();
  if (has(call, "EmailAddresses")) {
    list = applyMulti(list, call.params.EmailAddresses).map((p) => normalise(call, String(p)));
  }
  const newPrimary = (call.params.PrimarySmtpAddress ?? call.params.WindowsEmailAddress) as string | undefined;
  if (newPrimary) {
    list = list
      .map((p) => (/^smtp:/i.test(p) ? `smtp:${p.slice(5)}` : p))
      .filter((p) => p.toLowerCase() !== `smtp:${newPrimary.toLowerCase()}`);
    list.unshift(`SMTP:${newPrimary}`);
  }
  const primaries = list.filter((p) => p.startsWith("SMTP:"));
  if (primaries.length === 0) {
    // Keep the old primary when it is still listed, else promote the first SMTP address.
    const old = String(o.PrimarySmtpAddress).toLowerCase();
    const i = list.findIndex((p) => p.toLowerCase() === `smtp:${old}`);
    const j = i >= 0 ? i : list.findIndex((p) => /^smtp:/i.test(p));
    if (j >= 0) list[j] = `SMTP:${list[j].slice(5)}`;
  } else if (primaries.length > 1) {
    raise(call, {
      type: "Microsoft.Exchange.Data.DataValidationException",
      text: "The primary SMTP address can't be specified more than once.",
    });
  }
  const unique: string[] = [];
  for (const p of list) if (!unique.some((u) => u.toLowerCase() === p.toLowerCase())) unique.push(p);
  const added = unique.filter((p) => !(o.EmailAddresses as string[]).some((x) => x.toLowerCase() === p.toLowerCase()));
  checkProxies(call, added, o);
  o.EmailAddresses = unique;
  const primary = unique.find((p) => p.startsWith("SMTP:"));
  if (primary) o.PrimarySmtpAddress = o.WindowsEmailAddress = primary.slice(5);
}
