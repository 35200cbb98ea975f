// The network side of the SourceMailboxes check: one bulk read of the source for the whole wave (the engine
// calls check one resource at a time, so a read per user would be N sequential round trips) and one look at
// the target's accepted domains. Listing every mailbox is a few paged calls (1,000 objects a page) however
// many users the wave has; Get-Recipient follows only when an address is not a mailbox's or a name is needed
// that neither the plan nor the last check's record gives.

import { message } from "../exchangeFailure";
import { log, stackConfig, tenantFor } from "../context";
import type { TenantClient } from "../tenant";
import type { PlannedUser } from "../staging/plan";
import { sharedListing, sharedRead, SOURCE_MAILBOX_LISTING } from "../tenant/sharedListing";
import {
  indexByAddress,
  needsRecipients,
  SOURCE_RECIPIENT_LISTING,
  type Listed,
  type Listings,
  type SourceMailbox,
} from "./assess";

/** `recorded`: the wave's records from the last check, whose names spare the recipient listing when they still stand. */
export async function readSource(users: PlannedUser[], recorded: SourceMailbox[] = []): Promise<Listings> {
  const client = tenantFor("source");
  // Whole-tenant listings, taken once per command by every wave (and, for the mailboxes, by Readiness too).
  const mailboxes = await list(client, "Get-Mailbox", SOURCE_MAILBOX_LISTING);
  const recipients = needsRecipients(users, indexByAddress(mailboxes), recorded)
    ? await list(client, "Get-Recipient", SOURCE_RECIPIENT_LISTING)
    : undefined;
  return { mailboxes, recipients };
}

async function list(client: TenantClient, cmdlet: string, select: readonly string[]): Promise<Listed[]> {
  try {
    return await sharedListing<Listed>(client, cmdlet, select);
  } catch (e) {
    throw new Error(
      `Reading the source tenant's ${cmdlet === "Get-Mailbox" ? "mailboxes" : "recipients"} (${cmdlet} -ResultSize Unlimited) in tenant ${client.settings.tenantId}: ${message(e)}`,
    );
  }
}

/**
 * The target's accepted domains (lower-case), or undefined when this stack does not administer the target
 * (split administration: the target stack checks its own domains when it stages the users).
 */
export async function targetAcceptedDomains(): Promise<string[] | undefined> {
  // A source-only stack (split administration) holds no target credentials, though it names the target tenant.
  if (stackConfig("manage") === "source") {
    log.info(
      "SourceMailboxes: this stack administers only the source tenant, so the target stack checks its accepted domains.",
    );
    return undefined;
  }
  let client: TenantClient;
  try {
    client = tenantFor("target");
  } catch (e) {
    // Only a target that is not configured at all is skipped; a half-configured one is an error to fix.
    if (e instanceof Error && e.name === "ConfigError" && !stackConfig("targetTenantId")) {
      log.info(
        "SourceMailboxes: the target tenant is not configured in this stack, so its accepted domains are checked by the target stack.",
      );
      return undefined;
    }
    throw e;
  }
  try {
    // The same read as each wave's Readiness makes of the target: shared within the command until a write.
    const domains = await sharedRead<Listed>(client, "Get-AcceptedDomain", {}, ["DomainName"], { untilWrite: true });
    return domains.map((d) => String(d.DomainName ?? "").toLowerCase()).filter(Boolean);
  } catch (e) {
    throw new Error(
      `Reading the accepted domains of the target tenant ${client.settings.tenantId} (Get-AcceptedDomain): ${message(e)}`,
    );
  }
}
