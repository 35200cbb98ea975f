// Exchange behaviours the emulator can be told to change. Owned by the Exchange surface.
// Each knob stands for something no public source pins down (UNCONFIRMED) or for a fault a test
// wants to provoke; the default is the most likely behaviour.

export interface ExchangeKnobs {
  /**
   * Status of a ManagementObjectNotFoundException. Sources differ: https://learn.microsoft.com/answers/questions/2108696/ and a published body show 404 "NotFound",
   * a third-party migration client and https://github.com/tiredithumans/azapptoolkit saw 400. UNCONFIRMED which one a given cmdlet gives; 404 by default.
   */
  notFoundStatus: 404 | 400;
  /**
   * Accept `-Credentials {UserName,Password}` over the REST route. Microsoft answers 500 (reported by a third-party migration client); the
   * opt-in exists to test the "if it ever works" path.
   */
  acceptRestCredentials: boolean;
  /** Make every `$skiptoken` continuation fail with the expiry error (observed live by https://github.com/rknightion/graph2otel). */
  failContinuations: boolean;
  /** Lifetime of a paging continuation. Learn says "5-10 minutes" (UNCONFIRMED first-hand); 5 min by default. */
  pagingTokenTtlMs: number;
  /** Page size when the client sends no `Prefer: odata.maxpagesize` (UNCONFIRMED; 1000 like the module). */
  defaultPageSize: number;
  /**
   * The 403 for a forbidden/unknown cmdlet is a run of NUL bytes; third-party clients saw it labelled
   * `Content-Encoding: gzip` when the client accepts gzip. "when-accepted" mirrors that; "never" drops the label.
   */
  nulBodyGzipLabel: "when-accepted" | "never";
  /** Length of the NUL body (https://github.com/rknightion/graph2otel's fixture uses 4096; the real length varies, UNCONFIRMED). */
  nulBodyLength: number;
  /**
   * Milliseconds a started migration batch needs per phase (Syncing → Synced, Completing → Completed).
   * Our stand-in for MRS; real moves take hours.
   */
  migrationPhaseMs: number;
  /**
   * Require the source tenant's organisation relationship (RemoteOutbound, scope containing the user) for a
   * migration user to sync. Microsoft fails such users with MailboxNotInCrossTenantMigrationScopeException.
   */
  enforceMigrationScope: boolean;
  /**
   * Stamp an organisation-wide retention hold on every new MailUser (https://kevinstreet.co.uk/category/microsoft-365/ blames "a default policy that is
   * applied to all UserMailbox / MailUser objects" for purge failures; UNCONFIRMED). Off by default.
   */
  orgHoldOnNewMailUsers: boolean;
  /** How many MailboxMovePublishedScopes a relationship takes (1 observed in 2021, current limit UNCONFIRMED). */
  maxPublishedScopes: number;
  /** Status of a batch New-MigrationBatch made without -AutoStart: "Stopped" as a third-party migration client reports; the docs also list "Created". */
  newBatchStatus: "Stopped" | "Created";
  /**
   * Milliseconds a batch shows "Starting" after Start-MigrationBatch and "Stopping" after Stop-MigrationBatch
   * before it is "Syncing" / "Stopped". Microsoft documents both statuses ("immediately after you run" the
   * cmdlet) but not how long they last (UNCONFIRMED); 0 = until the next request.
   */
  batchStartingMs: number;
  batchStoppingMs: number;
  /**
   * What Export-MailboxDiagnosticLogs -ComponentName HoldTracking answers for a mailbox whose user account is
   * disabled (every shared mailbox). Microsoft: "Hold tracking logs aren't available if the user account has
   * been disabled" (https://learn.microsoft.com/purview/ediscovery-identify-a-hold-on-an-exchange-online-mailbox);
   * whether that is an empty log or an error is UNCONFIRMED. "emptyLog" answers MailboxLog "[]"; "error" fails
   * the call; "available" answers the log as for an enabled account.
   */
  holdTrackingOfDisabledAccounts: "emptyLog" | "error" | "available";
  /**
   * Whether Get-MailboxFolderStatistics -FolderScope RecoverableItems also lists the Audits and Calendar Logging
   * folders. Microsoft's page names Deletions, DiscoveryHolds, Purges and Versions (and the validator filters the
   * same answer for SubstrateHolds); scripts match all of them as literal paths; UNCONFIRMED for this scope.
   */
  recoverableItemsAuditFolders: boolean;
  /**
   * What Get-User shows as PreviousRecipientTypeDetails for a user that never had a mailbox: "None" or null.
   * Filter docs say "String or $null" (https://learn.microsoft.com/powershell/exchange/filter-properties); UNCONFIRMED.
   */
  noPreviousRecipientTypeDetails: "None" | null;
  /**
   * Whether Get-User shows PreviousExchangeGuid and PreviousDatabase (the "Previous Mailbox GUID" and "Previous
   * home MDB" that Set-User -PermanentlyClearPreviousMailboxInfo clears). The prompt names them; whether Exchange
   * Online renders them as properties is UNCONFIRMED.
   */
  showPreviousMailboxIds: boolean;
  /**
   * Set-User -PermanentlyClearPreviousMailboxInfo "has a built-in pause, so use -Confirm:$false to skip the
   * confirmation" (https://learn.microsoft.com/powershell/module/exchangepowershell/set-user). Over REST nobody
   * can answer the prompt; whether the call then fails (true) or proceeds (false) is UNCONFIRMED.
   */
  clearPreviousMailboxNeedsConfirmFalse: boolean;
  /**
   * Users whose move fails when their batch syncs, by target address (lower-case), with the exception type
   * and text the move reports. Which user fails, and why, is the test's choice; the texts Microsoft publishes
   * are in cmdlets/moveRequests.ts. A user stays failed on every retry until its entry is removed.
   */
  moveFailures: Record<string, { type: string; text: string }>;
  /**
   * Status Get-MoveRequest gives the move of a user whose batch synced and waits for completion. "Synced" is in
   * the documented -Status values of Exchange Online; whether a migration batch's move shows it or "AutoSuspended"
   * (also documented, for a move suspended when ready to complete) is UNCONFIRMED. "Synced" by default.
   */
  syncedMoveStatus: "Synced" | "AutoSuspended";
  /**
   * Milliseconds after a Graph licence assignment before Exchange shows the Cross Tenant User Data Migration
   * licence on the user's recipients (PersistedCapabilities ExchangeT2TMbxMove). Exchange shows a new licence
   * some minutes late; how long is UNCONFIRMED. 0 (default) = at once. A removed licence goes at once.
   */
  licenceVisibleAfterMs: number;
  /**
   * Which route accepts Test-MigrationServerAvailability -Endpoint with -TestMailbox (a live test move for one
   * user). Microsoft's reference lists only -Endpoint in the TestEndpoint set, yet Microsoft's own cross-tenant
   * page runs `-EndPoint <name> -TestMailbox <target MailUser>` in PowerShell
   * (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration), and
   * https://github.com/microsoft/cross-tenant/issues/90 shows Exchange Online answering it. Whether the admin
   * API (InvokeCommand) accepts it is UNCONFIRMED. "rest" / "pwsh": only that route; "none": strictly the
   * reference (both routes answer the parameter-set error). "both" by default.
   */
  endpointTestMailboxRoutes: "both" | "rest" | "pwsh" | "none";
  /**
   * Users whose live test fails, by target address (lower-case), with the Message the test returns (Result
   * Failed). Which user fails is the test's choice; a user outside the source's migration scope fails without
   * an entry (the MigrationServerConnectionFailedException / MRSRemotePermanentException shape of
   * https://github.com/microsoft/cross-tenant/issues/96).
   */
  liveTestFailures: Record<string, string>;
}

export const DEFAULT_EXCHANGE_KNOBS: ExchangeKnobs = {
  notFoundStatus: 404,
  acceptRestCredentials: false,
  failContinuations: false,
  pagingTokenTtlMs: 5 * 60_000,
  defaultPageSize: 1000,
  nulBodyGzipLabel: "when-accepted",
  nulBodyLength: 4096,
  migrationPhaseMs: 2_000,
  enforceMigrationScope: true,
  orgHoldOnNewMailUsers: false,
  maxPublishedScopes: 1,
  newBatchStatus: "Stopped",
  batchStartingMs: 0,
  batchStoppingMs: 0,
  holdTrackingOfDisabledAccounts: "emptyLog",
  recoverableItemsAuditFolders: false,
  noPreviousRecipientTypeDetails: "None",
  showPreviousMailboxIds: true,
  clearPreviousMailboxNeedsConfirmFalse: true,
  moveFailures: {},
  syncedMoveStatus: "Synced",
  licenceVisibleAfterMs: 0,
  endpointTestMailboxRoutes: "both",
  liveTestFailures: {},
};

/** Options may come from an older state or a partial CLI spec; fill the gaps. */
export function exchangeKnobs(k: Partial<ExchangeKnobs> | undefined): ExchangeKnobs {
  return { ...DEFAULT_EXCHANGE_KNOBS, ...(k ?? {}) };
}
