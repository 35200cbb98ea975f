// Holds on a source mailbox: "Mailboxes that are on any type of hold aren't migrated, and the move for those
// mailboxes is blocked" (Microsoft's guide). The kinds are the ones Microsoft's validator checks
// (CSS-Exchange's CrossTenantMailboxMigrationValidation.ps1), each with the fix Microsoft documents for
// it. Organisation-wide retention policies come, as in the validator, from the mailbox's HoldTracking log
// (Export-MailboxDiagnosticLogs, read per user in perUserRead.ts): it says which policies hold THIS mailbox and
// whether they ended. Where there is no log (a shared mailbox's account is disabled, and Microsoft keeps none
// for those; or the read failed), the organisation's InPlaceHolds (Get-OrganizationConfig) stand in, with a
// mailbox's exclusion shown as `-<policy>` in its own InPlaceHolds.

import { list, str, type Listed } from "./model";

export interface Hold {
  check: string;
  message: string;
  fix: string;
}

/** The policy id of a hold entry: "mbx<guid>:<action>" → "mbx<guid>"; an exclusion's "-" dropped. */
const policyOf = (entry: string): string => entry.replace(/^-/, "").split(":")[0].toLowerCase();

/** Per-mailbox InPlaceHolds entries the validator counts as a hold (exclusions, "-…", are not holds). */
function inPlaceKind(entry: string): string | undefined {
  if (entry === "" || entry.startsWith("-")) return undefined;
  if (/^mbx/i.test(entry)) return "a Microsoft Purview retention policy for this mailbox";
  if (/^skp/i.test(entry)) return "a retention policy for Skype for Business / Teams content in this mailbox";
  if (/^UniH/i.test(entry)) return "an eDiscovery case hold";
  if (/^cld/i.test(entry)) return "a retention policy applied to the mailbox (cld)";
  if (entry.length === 32) return "a legacy In-Place Hold";
  return undefined;
}

function inPlaceFix(entry: string, who: string): string {
  if (/^UniH/i.test(entry))
    return `Remove ${who} from the eDiscovery case hold (Microsoft Purview > eDiscovery > the case's hold ${entry.slice(4)}), or leave the user out of the wave`;
  if (entry.length === 32 && !/^(mbx|skp|cld)/i.test(entry))
    return `Remove ${who} from the In-Place Hold ${entry} (Exchange admin center > compliance management > in-place eDiscovery & hold)`;
  return `Exclude ${who} from the retention policy: Set-RetentionCompliancePolicy -Identity <policy ${policyOf(entry)}> -AddExchangeLocationException ${who} (Security & Compliance PowerShell), then wait for the hold to clear`;
}

/**
 * Every hold on a source mailbox. `tracked`, when the mailbox's HoldTracking log was read, are the
 * organisation-wide policies that log shows still holding it; otherwise `orgHolds`, the organisation's
 * InPlaceHolds (Get-OrganizationConfig), apply unless the mailbox lists its exclusion.
 */
export function holdsOf(m: Listed, orgHolds: string[], who: string, tracked?: string[]): Hold[] {
  const out: Hold[] = [];
  if (m.LitigationHoldEnabled === true) {
    out.push({
      check: "user.hold.litigation",
      message: "litigation hold is enabled (LitigationHoldEnabled)",
      fix: `With the legal owner's approval: Set-Mailbox -Identity ${who} -LitigationHoldEnabled $false (a delay hold follows; clear it too), or leave the user out of the wave`,
    });
  }
  if (m.DelayHoldApplied === true) {
    out.push({
      check: "user.hold.delay",
      message: "a delay hold applies after a removed hold (DelayHoldApplied)",
      fix: `Set-Mailbox -Identity ${who} -RemoveDelayHoldApplied`,
    });
  }
  if (m.DelayReleaseHoldApplied === true) {
    out.push({
      check: "user.hold.delayRelease",
      message: "a delay release hold applies (DelayReleaseHoldApplied)",
      fix: `Set-Mailbox -Identity ${who} -RemoveDelayReleaseHoldApplied`,
    });
  }
  if (m.ComplianceTagHoldApplied === true) {
    out.push({
      check: "user.hold.complianceTag",
      message: "items carry a retention label that holds them (ComplianceTagHoldApplied)",
      fix: `Remove the retention labels that retain items, then Set-Mailbox -Identity ${who} -RemoveComplianceTagHoldApplied`,
    });
  }
  const own = list(m.InPlaceHolds);
  for (const entry of own) {
    const kind = inPlaceKind(entry);
    if (kind)
      out.push({
        check: "user.hold.inPlace",
        message: `${kind} holds it (InPlaceHolds ${entry})`,
        fix: inPlaceFix(entry, who),
      });
  }
  if (tracked) {
    for (const entry of tracked)
      out.push({
        check: "user.hold.organization",
        message: `an organisation-wide retention policy holds the mailbox (HoldTracking log: ${entry}, not ended)`,
        fix: `Exclude ${who} from the organisation-wide policy: Set-RetentionCompliancePolicy -Identity <policy ${policyOf(entry)}> -AddExchangeLocationException ${who} (Security & Compliance PowerShell; the policy's ExchangeLocation must be All)`,
      });
    return out;
  }
  const excluded = new Set(own.filter((e) => e.startsWith("-")).map(policyOf));
  for (const entry of orgHolds.map(str)) {
    if (!/^(mbx|skp)/i.test(entry) || excluded.has(policyOf(entry))) continue;
    out.push({
      check: "user.hold.organization",
      message: `an organisation-wide retention policy holds every mailbox (Get-OrganizationConfig InPlaceHolds ${entry})`,
      fix: `Exclude ${who} from the organisation-wide policy: Set-RetentionCompliancePolicy -Identity <policy ${policyOf(entry)}> -AddExchangeLocationException ${who} (Security & Compliance PowerShell)`,
    });
  }
  return out;
}
