// What to do about a failed move, from the exception type Exchange names (FailureType of
// Get-MoveRequestStatistics, or the head of a migration user's ErrorSummary). The causes and fixes are
// Microsoft's list of cross-tenant migration failures
// (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration, "Known issues" and
// "Licensing"), and the checks of Microsoft's validator
// (https://github.com/microsoft/CSS-Exchange/blob/main/Admin/CrossTenantMailboxMigrationValidation.ps1).
// Pure: the status script and the MigrationBatch outputs both use it.

/** How an engineer retries a batch's failed users here: a reviewed change of the stack file. */
export const RETRY =
  "then retry the batch's failed users: set waves.<wave>.batch.retryFailed to a new value (e.g. today's date) and run pulumi up";

/** Failures a retry of the same user cannot fix: Microsoft's fix is to take the user out and add it again. */
const READD =
  "Microsoft's fix is to remove the user from the batch and add it again: once the batch has completed, put the user in a new wave";

const ADVICE: [RegExp, string][] = [
  [
    /CrossTenantMigrationWithoutLicense|needs approval/i,
    `assign the Cross Tenant User Data Migration licence in the source or the target (stack key licences.assign), ${RETRY}`,
  ],
  [
    /MailboxNotInCrossTenantMigrationScope/i,
    `add the source mailbox to the scope group the source organization relationship publishes (MailboxMovePublishedScopes), ${RETRY}`,
  ],
  [
    /MissingExchangeGuid|MissingLegacyExchangeDN|ArchiveGuidMismatch|TargetDeliveryDomainMismatch|doesn't have an SMTP proxy matching|MigrationCSVRowValidation/i,
    `the target MailUser lacks a stamp (ExchangeGuid, ArchiveGuid, the x500 address or the delivery-domain address): pulumi refresh, then pulumi up restamps it, ${RETRY}`,
  ],
  [
    /NotAcceptedDomain/i,
    `remove the target MailUser's address in a domain the target tenant does not own (Set-MailUser -EmailAddresses @{remove=…}), ${RETRY}`,
  ],
  [
    /TargetUserAlreadyHasPrimaryMailbox|already has a primary mailbox/i,
    "the target is already a mailbox (moved before, or not a MailUser of this stack): check it, and leave the user out of retries",
  ],
  [
    /MigrationRecipientNotFound|MigrationUserTypeIncorrect|SourceMailboxNotFound/i,
    `the target MailUser (or the source mailbox it names) is missing or of another type: pulumi up stages it again, ${RETRY}`,
  ],
  [/UserDuplicateInOtherBatch/i, "the user is in another migration batch: let that batch move it, or remove it there"],
  [
    /SourceMailboxAlreadyBeingMoved/i,
    `the source mailbox has another move under way (possibly Microsoft's own): wait for it, ${RETRY}`,
  ],
  [
    /UserAlreadyHasDemotedArchive/i,
    "the target had a disabled archive; Microsoft's fix (Set-Mailbox -RemoveDisabledArchive, irreversible, or Enable-Mailbox -Archive and restamping ArchiveGuid) is a decision for the target's administrator",
  ],
  [/AuxArchiveNotFoundInTargetRecipient|MailboxIsNotInExpectedDB|SourceAuxArchiveIsProvisioned/i, READD],
  [
    /AADSTS7000215|AADSTS70011|Access is denied|MigrationServerConnectionFailed/i,
    `the migration endpoint cannot sign in to the source with its app and secret (an expired or replaced secret, or an app the source's organization relationship does not name): pulumi refresh, then pulumi up repairs what the stack declares, ${RETRY}`,
  ],
  [
    /does not authorize 'pull'|Inbound moves/i,
    `the target's organization relationship must allow Inbound moves from the source (MailboxMoveEnabled, MailboxMoveCapability Inbound): pulumi up restores it, ${RETRY}`,
  ],
];

/** One sentence for the failed user's line: the fix for the named cause, else where to read more. */
export function nextStep(failure: string, address: string): string {
  const hit = ADVICE.find(([pattern]) => pattern.test(failure));
  if (hit) return hit[1];
  return `read the move's report (Get-MoveRequestStatistics -Identity ${address} -IncludeReport), fix the cause, ${RETRY}`;
}
