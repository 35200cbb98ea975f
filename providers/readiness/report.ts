// The readiness report an engineer opens: Markdown, one file per wave, with the summary, the licence count,
// a table of the organisation's findings, a table of every user with its verdict, and a table of every
// finding with its fix. Rendering is pure; `writeReport` is the only file write (never a tenant write).

import * as fs from "fs";
import * as path from "path";
import type { LicencePool } from "../licenceAssignment/sku";
import type { Evaluation, Finding } from "./model";
import { REUSE_DAYS } from "./perUser";
import type { LiveTest } from "./liveTest";

export interface ReportHeader {
  wave: string;
  /** When the check ran; only in the file (outputs carry no timestamp, so an unchanged wave shows no diff). */
  checkedAt: string;
}

/** Markdown table cell: no pipe or newline may break the row. */
const cell = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const row = (cells: string[]): string => `| ${cells.map(cell).join(" | ")} |`;
const table = (head: string[], rows: string[][]): string[] => [row(head), row(head.map(() => "---")), ...rows.map(row)];

const ICON: Record<string, string> = { ready: "ready", blocked: "**blocked**", pending: "pending", moved: "moved" };

function severity(f: Finding): string {
  return `${f.severity === "blocking" ? "**blocking**" : "warning"}${f.pending ? " (pending)" : ""}`;
}

function pool(name: string, p: LicencePool | null): string[] {
  if (!p) return [name, "not read by this stack", "", "", "", ""];
  if (!p.found) return [name, "none", "0", "0", "0", p.note];
  return [name, `${p.skuPartNumber} (${p.skuId})`, String(p.enabled), String(p.consumed), String(p.available), p.note];
}

/** `liveTests`: the live test moves run at this up (undefined: none ran, e.g. at preview or without liveTest). */
export function renderReport(h: ReportHeader, e: Evaluation, liveTests?: LiveTest[]): string {
  const s = e.summary;
  const out: string[] = [
    `# Readiness of wave ${h.wave}`,
    "",
    `Checked ${h.checkedAt}, with every check of Microsoft's CrossTenantMailboxMigrationValidation.ps1 that Microsoft's admin API allows.`,
    "A **blocking** finding makes the move fail: the user is left out of the wave's batches until it is fixed. A warning lets the move run, with the consequence it names.",
    "A **pending** finding was seen before this run's changes were applied (staging, scope, licences, organisation); `pulumi up` checks it again after them.",
    "",
    "## Summary",
    "",
    ...table(
      ["Users", "Ready", "Blocked", "Pending", "Moved", "Warnings"],
      [[s.users, s.ready, s.blocked, s.pending, s.moved, s.warnings].map(String)],
    ),
    "",
    "## Cross Tenant User Data Migration licences",
    "",
    `${e.licences.needed} user(s) need a licence (on either the source mailbox or the stamped target MailUser). The SKU is matched by its EXCHANGEONLINE_T2TMBXMOVE service plan; Microsoft has not published its SkuId.`,
    "",
    ...table(
      ["Tenant", "SKU", "Enabled", "Consumed", "Available", "Note"],
      [pool("source", e.licences.source), pool("target", e.licences.target)],
    ),
    "",
    "## Organisation",
    "",
  ];
  const org = e.findings.filter((f) => f.user === null);
  out.push(
    ...(org.length
      ? table(
          ["Severity", "Tenant", "Check", "Finding", "Fix"],
          org.map((f) => [severity(f), f.tenant, f.check, f.message, f.fix]),
        )
      : [
          "No organisation findings: app, endpoint, consent, both relationships and the scope group are as a move needs them.",
        ]),
  );
  out.push("", "## Users", "");
  const byUser = new Map<string, Finding[]>();
  for (const f of e.findings) if (f.user) byUser.set(f.user, [...(byUser.get(f.user) ?? []), f]);
  out.push(
    ...table(
      ["Source", "Target", "Verdict", "Blocking", "Warnings"],
      e.users.map((u) => {
        const own = byUser.get(u.target) ?? [];
        const names = (sev: string) =>
          own
            .filter((f) => f.severity === sev)
            .map((f) => f.check + (f.pending ? " (pending)" : ""))
            .join(", ");
        return [u.source, u.target, ICON[u.state], names("blocking"), names("warning")];
      }),
    ),
  );
  if (liveTests) {
    out.push("", "## Live test moves", "");
    out.push(
      liveTests.length
        ? "Test-MigrationServerAvailability -Endpoint -TestMailbox for each ready user, at `pulumi up`: Microsoft's simulation of the move. A failure blocks the user; its fix is under Findings and fixes."
        : "No user was ready, so no live test move ran.",
    );
    if (liveTests.length)
      out.push(
        "",
        ...table(
          ["Source", "Target", "Result", "Message", "Path"],
          liveTests.map((t) => [
            t.source,
            t.target,
            t.result,
            t.message,
            t.via === "adminApi" ? "admin API" : "PowerShell",
          ]),
        ),
      );
  }
  const userFindings = e.findings.filter((f) => f.user !== null);
  out.push("", "## Findings and fixes", "");
  out.push(
    ...(userFindings.length
      ? table(
          ["Severity", "User", "Tenant", "Check", "Finding", "Fix"],
          userFindings.map((f) => [severity(f), f.user!, f.tenant, f.check, f.message, f.fix]),
        )
      : ["No user findings."]),
  );
  out.push("", "## Not checked automatically", "");
  const notChecked = e.notChecked.map((n) => [n.check, n.reason + (n.pending ? " (checked at up)" : "")]);
  notChecked.push([
    "Per-user reads for blocked users",
    `SubstrateHolds in the archive (Get-MailboxFolderStatistics), TotalDeletedItemSize (Get-MailboxStatistics), the HoldTracking log (Export-MailboxDiagnosticLogs) and the target's previous-mailbox information (Get-User) are read one user at a time, only for users no other finding blocks (their move cannot run anyway); they are read once those findings are fixed. An answer that found nothing is reused for up to ${REUSE_DAYS} days while the mailbox's GUIDs, the organisation's retention policies and the MailUser stay the same`,
  ]);
  if (!liveTests)
    notChecked.push([
      "Live test move",
      "Test-MigrationServerAvailability -Endpoint -TestMailbox, Microsoft's simulation of each user's move, runs at pulumi up only (never at preview), for a wave with waves.<wave>.liveTest set; the report written at that up lists the results under Live test moves",
    ]);
  out.push(...table(["Check", "Why, and what to do"], notChecked), "");
  return out.join("\n");
}

/** Writes the report (directories created); relative paths are relative to the program directory. */
export function writeReport(file: string, text: string): string {
  const full = path.resolve(file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  // Written beside and renamed, so a reader never sees half a report.
  const tmp = `${full}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, "utf8");
  fs.renameSync(tmp, full);
  return full;
}
