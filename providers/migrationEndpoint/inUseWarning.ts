// What destroy says when Exchange will not remove the endpoint because migration batches still name it.

/**
 * Destroy of a pair whose mailboxes moved: the completed batches stay (they are the record of the moves) and
 * Exchange refuses to remove an endpoint a batch still names. That must not fail the destroy of everything
 * else, so the endpoint is left with a warning that names the batches and the exact commands.
 */
export function inUseWarning(endpoint: string, batches: { name: string; status: string }[]): string {
  const q = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const named = batches.length
    ? batches.map((b) => `${q(b.name)} (${b.status || "status unknown"})`).join(", ")
    : "a migration batch";
  const removals = batches.map((b) => `Remove-MigrationBatch -Identity ${q(b.name)} -Confirm:$false`);
  const running = batches.some(
    (b) => !["Completed", "CompletedWithErrors", "Stopped", "Failed", "Created", "Removing"].includes(b.status),
  );
  return (
    `MigrationEndpoint ${q(endpoint)} is left in place in the target tenant: Exchange refuses to remove it while ${named} ${batches.length > 1 ? "use" : "uses"} it ` +
    `(completed batches are kept as the record of the moves; Microsoft removes them after 60 days). To remove it now, in Exchange Online PowerShell run ` +
    `${[...removals, `Remove-MigrationEndpoint -Identity ${q(endpoint)} -Confirm:$false`].join("; then ")}` +
    `${running ? " (a batch that is still running must be stopped with Stop-MigrationBatch or completed first)" : ""}.`
  );
}
