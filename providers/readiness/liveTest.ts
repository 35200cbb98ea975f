// The live test move of each ready user (stack key waves.<wave>.liveTest, opt-in): Test-MigrationServerAvailability
// -Endpoint <endpoint> -TestMailbox <target MailUser's primary SMTP address>. Microsoft: it "simulates a move
// request cross-tenant and will identify configuration issues at user level"
// (https://techcommunity.microsoft.com/t5/exchange-team-blog/troubleshooting-cross-tenant-mailbox-migrations/ba-p/4178404);
// Microsoft's guide runs it with the target MailUser's address
// (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration), and a source address
// fails (https://github.com/microsoft/cross-tenant/issues/90). It runs at `pulumi up` only, from Readiness's
// create/update: a preview never simulates a move. A failure comes back as an object with Result Failed, not an
// error; it blocks the user, with a fix from the causes Microsoft lists.
//
// Microsoft's reference lists -TestMailbox in other parameter sets than -Endpoint's, and nobody has published
// the pairing over the admin API (InvokeCommand); the PowerShell module accepts it (the issues above). So, as the
// migration endpoint does for what REST cannot carry, the admin API is tried first and, when it refuses the
// parameters, the PowerShell runner answers for the rest of the wave.

import { log } from "../context";
import { kindOf, message } from "../exchangeFailure";
import type { TenantClient } from "../tenant";
import type { Finding, NotChecked } from "./model";
import { runBounded } from "./perUserRead";

export const CMDLET = "Test-MigrationServerAvailability";
const CAUSES =
  "https://learn.microsoft.com/troubleshoot/microsoft-365/admin/orchestrated-migration/resolve-orchestrated-migration-errors";

export interface LiveTest {
  source: string;
  target: string;
  /** Result as Exchange gave it: Success, Failed (Warning is documented on premises). */
  result: string;
  message: string;
  /** Which path answered: the admin API (InvokeCommand) or the PowerShell runner. */
  via: "adminApi" | "powershell";
  /** For a result other than Success: what to do (also the finding's fix). */
  fix?: string;
}

interface Answer {
  Result?: unknown;
  Message?: unknown;
  ErrorDetail?: unknown;
}

export interface LiveTestRun {
  tests: LiveTest[];
  findings: Finding[];
  notChecked: NotChecked[];
}

const text = (v: unknown): string => (typeof v === "string" ? v : v === null || v === undefined ? "" : String(v));

/** The admin API refused the parameters themselves (not the test): the binding errors of PowerShell. */
function refusedParameters(e: unknown): boolean {
  const kind = kindOf(e);
  if (kind === "Forbidden") return true;
  return kind === "BadRequest" && /parameter/i.test(message(e));
}

/** What to do about a failed live test, from what it says and the causes Microsoft lists (EXCH-08, ${CAUSES}). */
export function liveTestFix(u: { source: string; target: string }, said: string): string {
  const t = u.target;
  if (/ManagementObjectNotFound|couldn't be found/i.test(said))
    return `Exchange found no MailUser ${t} in the target: check Get-MailUser ${t} (the test takes the target MailUser's primary SMTP address, never the source's)`;
  if (/MigrationScope|migration scope/i.test(said))
    return `Add ${u.source} to the source's scope group (the group the source organisation relationship publishes in MailboxMovePublishedScopes), wait for it to replicate, then run pulumi up again`;
  if (/license/i.test(said))
    return `Assign a Cross Tenant User Data Migration licence to ${u.source} in the source or to ${t} in the target`;
  if (/ExchangeGuid/i.test(said))
    return `Stamp ${t} with the source mailbox's ExchangeGuid: Set-MailUser -Identity ${t} -ExchangeGuid <(Get-Mailbox ${u.source}).ExchangeGuid>`;
  if (/MailboxMoveRemoteHostName/i.test(said))
    return `In the source: Set-Mailbox -Identity ${u.source} -AttributesToClear MailboxMoveRemoteHostName`;
  return (
    `Microsoft lists these causes (${CAUSES}, EXCH-08): ${t} not found in the target; ${u.source} not in the migration scope; ` +
    "a litigation hold in the source without the exception; the source over quota; an ExchangeGuid or ArchiveGuid mismatch or missing on the target; " +
    `MailboxMoveRemoteHostName set on the source (Set-Mailbox -AttributesToClear MailboxMoveRemoteHostName); the OAuth set-up (app, consent, endpoint); ` +
    "no Cross Tenant User Data Migration licence on either side; soft-deleted users on either side. The same failure for many users points at the organisation's set-up"
  );
}

export async function runLiveTests(
  users: { source: string; target: string }[],
  endpointName: string,
  client: TenantClient,
): Promise<LiveTestRun> {
  const run: LiveTestRun = { tests: [], findings: [], notChecked: [] };
  if (users.length === 0) return run;
  const params = (u: { target: string }) => ({ Endpoint: endpointName, TestMailbox: u.target });
  let powershell = false;
  const byTarget = new Map<string, LiveTest>();
  let unavailable: string | undefined;
  const once = async (u: { source: string; target: string }): Promise<Answer | undefined> => {
    if (!powershell) {
      try {
        return (await client.exchange.invoke<Answer>(CMDLET, params(u), { idempotent: true })).value[0];
      } catch (e) {
        if (!refusedParameters(e)) throw e;
        if (!powershell)
          log.info(
            `Readiness: the admin API refused ${CMDLET} -Endpoint -TestMailbox (${message(e)}); the PowerShell runner runs the live tests.`,
          );
        powershell = true;
      }
    }
    try {
      return (await client.powershell.run<Answer>(CMDLET, params(u), {})).value[0];
    } catch (e) {
      // No pwsh here, or it refuses the pairing too: reported as not checked, never a reason to stop the up.
      unavailable ??= message(e);
      return undefined;
    }
  };
  const tasks = users.map((u) => async () => {
    let a: Answer | undefined;
    try {
      a = await once(u);
    } catch (e) {
      throw Object.assign(
        new Error(
          `Readiness: live test move (${CMDLET} -Endpoint ${endpointName} -TestMailbox ${u.target}) in the target tenant ${client.settings.tenantId}: ${message(e)}`,
        ),
        { cause: e },
      );
    }
    if (!a) return;
    byTarget.set(u.target, {
      source: u.source,
      target: u.target,
      result: text(a.Result) || "Unknown",
      message: text(a.Message) || text(a.ErrorDetail),
      via: powershell ? "powershell" : "adminApi",
    });
  });
  await runBounded(tasks, client.settings.exchangeConcurrency);
  for (const u of users) {
    const t = byTarget.get(u.target);
    if (!t) continue;
    run.tests.push(t);
    if (t.result.toLowerCase() === "success") continue;
    const said = t.message;
    const blocking = t.result.toLowerCase() !== "warning";
    t.fix = liveTestFix(u, said);
    run.findings.push({
      check: "user.liveTest",
      severity: blocking ? "blocking" : "warning",
      tenant: "target",
      user: u.target,
      pending: false,
      message: `${u.target} (source ${u.source}): the live test move (${CMDLET}) answered ${t.result}: ${said}`,
      fix: t.fix,
    });
  }
  if (unavailable)
    run.notChecked.push({
      check: "user.liveTest",
      reason: `the admin API refuses ${CMDLET} -TestMailbox and the PowerShell runner could not run (${unavailable}); run it by hand in the target for each user: ${CMDLET} -Endpoint ${endpointName} -TestMailbox <target MailUser>`,
      pending: false,
    });
  return run;
}
