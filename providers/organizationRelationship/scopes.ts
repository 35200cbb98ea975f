// The groups a source relationship publishes (MailboxMovePublishedScopes), resolved before any write so
// that a scope that is missing or not a mail-enabled security group fails with the reason instead of
// Exchange's warning, and recognised however Exchange lists them afterwards.

import type { Props } from "../context";
import type { TenantClient } from "../tenant";
import { kindOf, message, waitFor } from "../exchangeFailure";

export interface Scope {
  requested: string;
  /** Every identifier of the group, lower case, to recognise it however Exchange lists it. */
  ids: string[];
}

/** What identifies a scope group however it is named; readiness reads the published scope with it too. */
export const GROUP_SELECT = [
  "Name",
  "Identity",
  "Alias",
  "Guid",
  "DistinguishedName",
  "PrimarySmtpAddress",
  "ExternalDirectoryObjectId",
  "RecipientTypeDetails",
];

export async function resolveScopes(client: TenantClient, scopes: string[], who: string): Promise<Scope[]> {
  const out: Scope[] = [];
  for (const requested of scopes) {
    const probe = async () => {
      try {
        return (
          await client.exchange.invoke<Props>(
            "Get-DistributionGroup",
            { Identity: requested },
            { select: GROUP_SELECT },
          )
        ).value[0];
      } catch (e) {
        if (kindOf(e) === "NotFound") return undefined;
        throw new Error(`Reading the published scope '${requested}' of ${who} (Get-DistributionGroup): ${message(e)}`);
      }
    };
    // A scoping group created a moment ago may still be replicating.
    const g = await waitFor(`the published scope '${requested}' to become readable`, probe);
    if (!g)
      throw new Error(
        `${who}: the published scope '${requested}' is not a group in that tenant; create it (ScopingGroup) or fix publishedScopes.`,
      );
    if (g.RecipientTypeDetails !== "MailUniversalSecurityGroup") {
      throw new Error(
        `${who}: the published scope '${requested}' is a ${String(g.RecipientTypeDetails)}, not a mail-enabled security group; ` +
          "Exchange would drop it with only a warning and no mailbox could move.",
      );
    }
    const ids = GROUP_SELECT.filter((k) => k !== "RecipientTypeDetails")
      .map((k) => g[k])
      .filter((v): v is string => typeof v === "string" && v !== "")
      .map((v) => v.toLowerCase());
    out.push({ requested, ids: [...ids, requested.toLowerCase()] });
  }
  return out;
}

/** Every requested group is listed and nothing else is (however Exchange writes the group's identity). */
export function scopesMatch(listed: string[], scopes: Scope[]): boolean {
  const matches = (value: string, s: Scope) => s.ids.includes(value.toLowerCase());
  return (
    scopes.every((s) => listed.some((v) => matches(v, s))) && listed.every((v) => scopes.some((s) => matches(v, s)))
  );
}
