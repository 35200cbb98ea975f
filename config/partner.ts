// Split administration: when the source tenant is administered by someone else, the pair runs as two stacks,
// one per tenant, joined by a `pulumi.StackReference`. Each side publishes ONE stack output, `partner`, with
// the non-secret values the other side needs, and nothing else crosses:
//
//   target stack -> source stack: the migration app's id and the consent URL (the source consents to it and
//                                 names it in its organization relationship)
//   source stack -> target stack: when the source consent was granted (the endpoint's propagation wait counts
//                                 from it) and the source mailboxes of every wave (their ExchangeGuid,
//                                 ArchiveGuid, LegacyExchangeDN and x500s stamp the target MailUsers)
//
// The client secret never crosses: the migration endpoint that uses it lives in the target stack, next to the
// app that makes it. A partner output that arrives marked secret is refused rather than unwrapped.

import * as pulumi from "@pulumi/pulumi";
import type { SourceMailbox } from "../providers/sourceMailboxes";
import type { TenantRole } from "../providers/tenant/settings";
import { StackConfigError, type TenantRef } from "./stackConfig";

/** The one stack output a split stack publishes for its partner. */
export const PARTNER_OUTPUT = "partner";

/** What a target-side stack publishes (manage=target). */
export interface TargetSideValues {
  role: "target";
  tenantId: string;
  domain: string;
  /** The migration app's application (client) id. */
  appId: string;
  /** The admin consent link for the source tenant. */
  consentUrl: string;
}

/** What a source-side stack publishes (manage=source). */
export interface SourceSideValues {
  role: "source";
  tenantId: string;
  domain: string;
  /** When the source admin consent was granted; null until it is. */
  consentedAt: string | null;
  /** Per wave name: the source mailboxes as the source stack read them (non-secret directory facts). */
  sourceMailboxes: Record<string, SourceMailbox[]>;
}

export type PartnerValues = TargetSideValues | SourceSideValues;

/**
 * Reads the partner stack's `partner` output at program time (the program decides from it what it can
 * declare). Undefined when the partner stack exists but has not published it yet (no `pulumi up` there).
 */
export async function readPartner(
  stackName: string,
  expected: TenantRole,
  tenant: TenantRef,
): Promise<PartnerValues | undefined> {
  const ref = new pulumi.StackReference("partner-stack", { name: stackName });
  const details = await ref.getOutputDetails(PARTNER_OUTPUT);
  return parsePartner(stackName, expected, tenant, details);
}

/** Checks what the partner published: the expected side, the tenant this stack's configuration names, no secret. */
export function parsePartner(
  stackName: string,
  expected: TenantRole,
  tenant: TenantRef,
  details: pulumi.StackReferenceOutputDetails,
): PartnerValues | undefined {
  const key = "xtmm:partnerStack";
  if (details.secretValue !== undefined) {
    throw new StackConfigError(
      `${key}: the stack ${stackName} publishes its '${PARTNER_OUTPUT}' output as a secret. Only non-secret values cross ` +
        `between the two stacks (tenant ids, the app id, the consent URL, source mailboxes); run \`pulumi up\` in ${stackName} with this version of xtmm, which publishes them in the clear.`,
    );
  }
  const v = details.value as Record<string, unknown> | undefined;
  if (v === undefined || v === null) return undefined;
  const bad = (why: string) =>
    new StackConfigError(`${key}: the stack ${stackName} does not look like the ${expected} side of this pair: ${why}`);
  if (typeof v !== "object" || v.role !== expected) {
    throw bad(
      `its '${PARTNER_OUTPUT}' output says role ${JSON.stringify((v as Record<string, unknown>)?.role ?? null)}; point ${key} at the stack with manage=${expected}`,
    );
  }
  if (String(v.tenantId ?? "").toLowerCase() !== tenant.tenantId.toLowerCase()) {
    throw bad(
      `it administers tenant ${JSON.stringify(v.tenantId)}, but xtmm:${expected}TenantId is ${tenant.tenantId}; fix whichever is wrong ` +
        `(pulumi config set xtmm:${expected}TenantId <GUID>, or point ${key} at the right stack)`,
    );
  }
  if (expected === "target") {
    if (typeof v.appId !== "string" || typeof v.consentUrl !== "string")
      throw bad("its output has no appId and consentUrl");
    return {
      role: "target",
      tenantId: tenant.tenantId,
      domain: String(v.domain ?? tenant.domain),
      appId: v.appId,
      consentUrl: v.consentUrl,
    };
  }
  const mailboxes = v.sourceMailboxes ?? {};
  if (typeof mailboxes !== "object" || Object.values(mailboxes).some((m) => !Array.isArray(m)))
    throw bad("its sourceMailboxes is not a list per wave");
  return {
    role: "source",
    tenantId: tenant.tenantId,
    domain: String(v.domain ?? tenant.domain),
    consentedAt: typeof v.consentedAt === "string" ? v.consentedAt : null,
    sourceMailboxes: mailboxes as Record<string, SourceMailbox[]>,
  };
}
