// One cmdlet invocation as the cmdlet implementations see it, and the failures they can raise with
// Microsoft's texts. Texts from captured answers are verbatim; the others say where they come from.

import type { EmuContext, EmuRequest, TokenClaims } from "../http";
import type { Rec, TenantState } from "../model";
import type { Route } from "./conversion";
import { cmdletError, ExoFail, type CmdletFailure } from "./envelope";
import type { ExchangeKnobs } from "./knobs";
import { forest } from "./recipient";

export interface Call {
  req: EmuRequest;
  ctx: EmuContext;
  tenant: TenantState;
  claims: TokenClaims;
  route: Route;
  cmdlet: string;
  set: string;
  params: Record<string, unknown>;
  now: number;
  knobs: ExchangeKnobs;
  /** Warnings the cmdlet emits; they go to `@adminapi.warnings`. */
  warnings: string[];
}

export type CmdletImpl = (call: Call) => Rec[] | Promise<Rec[]>;

export function has(call: Call, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(call.params, name);
}

export function str(call: Call, name: string): string | undefined {
  const v = call.params[name];
  return typeof v === "string" ? v : undefined;
}

export function raise(call: Call, f: CmdletFailure): never {
  throw new ExoFail(cmdletError(f, call.now, call.warnings));
}

const NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException";

/** The object the cmdlet acts on does not exist (https://learn.microsoft.com/answers/questions/2108696/). */
export function notFound(call: Call, identity: string): never {
  return raise(call, {
    errorId: "Ex6F9304",
    type: NOT_FOUND,
    text: `The operation couldn't be performed because object '${identity}' couldn't be found on '${forest(call.tenant).dc}'.`,
    status: call.knobs.notFoundStatus,
  });
}

/** An object named in a parameter (member, manager, endpoint) does not exist (https://learn.microsoft.com/answers/questions/2108696/). */
export function referenceNotFound(call: Call, identity: string): never {
  return raise(call, {
    errorId: "Ex94914C",
    type: NOT_FOUND,
    text: `Couldn't find object "${identity}". Please make sure that it was spelled correctly or specify a different object.`,
    status: call.knobs.notFoundStatus,
  });
}

/** Exchange's ambiguity text (ManagementObjectAmbiguousException), from Exchange PowerShell output. */
export function ambiguous(call: Call, identity: string): never {
  return raise(call, {
    type: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
    text: `The operation couldn't be performed because '${identity}' matches multiple entries.`,
  });
}

/** "already exists": the exact sentence is UNCONFIRMED; modelled on Exchange's ADObjectAlreadyExistsException. */
export function alreadyExists(call: Call, what: string, name: string): never {
  return raise(call, {
    type: "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
    text: `The ${what} "${name}" already exists. Please specify a different name.`,
  });
}

/** Verbatim (Microsoft's shared-mailbox doc; a third-party migration client reports it from New-MailUser). */
export function proxyInUse(call: Call, proxy: string): never {
  return raise(call, {
    type: "Microsoft.Exchange.Data.DataValidationException",
    text: `The proxy address "${proxy}" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.`,
  });
}

const DEHYDRATED =
  "The command you tried to run isn't currently allowed in your organization. To run this command, you first need to run the command: Enable-OrganizationCustomization.";

/** Customisation cmdlets in a dehydrated tenant (text verbatim; exception name as admins report it). */
export function requireHydrated(call: Call): void {
  if (call.tenant.exchange.organizationConfig.IsDehydrated === true) {
    raise(call, {
      type: "Microsoft.Exchange.Configuration.Tasks.CmdletInvalidOperationInDehydratedContextException",
      text: DEHYDRATED,
    });
  }
}

/** The no-op warning of a Set-* that changes nothing. */
export function noChangeWarning(call: Call, identity: string): void {
  call.warnings.push(`The command completed successfully but no settings of '${identity}' have been modified.`);
}
