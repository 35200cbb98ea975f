// Test-MigrationServerAvailability with -TestMailbox: a live test move of one user. Microsoft: it "simulates a
// move request cross-tenant and will identify configuration issues at user level"
// (https://techcommunity.microsoft.com/t5/exchange-team-blog/troubleshooting-cross-tenant-mailbox-migrations/ba-p/4178404).
// Without -TestMailbox the endpoint's own test answers (endpoints.ts). Which route accepts the pairing is the
// endpointTestMailboxRoutes knob (binding.ts widens the TestEndpoint set); failures are result objects, an
// unknown endpoint or mailbox name the cmdlet's usual errors.

import { has, notFound, str, type CmdletImpl } from "../call";
import { findAll } from "../lookup";
import { endpointByIdentity, testMigrationServerAvailability as testEndpoint } from "./endpoints";
import { liveTestProblem } from "./moveChecks";

const failed = (message: string, detail: string) => [
  {
    Result: "Failed",
    Message: message,
    ConnectionSettings: null,
    SupportsCutover: false,
    ErrorDetail: detail,
    IsValid: false,
    Identity: null,
  },
];

export const testMigrationServerAvailability: CmdletImpl = async (call) => {
  const endpointAnswer = await testEndpoint(call);
  if (!has(call, "TestMailbox") || endpointAnswer[0]?.Result !== "Success") return endpointAnswer;
  const address = str(call, "TestMailbox")!;
  const endpoint = endpointByIdentity(call, str(call, "Endpoint")!);
  if (!endpoint) return notFound(call, str(call, "Endpoint")!);
  const mailUser = findAll(call.tenant.exchange.recipients, address, (o) => o.RecipientTypeDetails === "MailUser")[0];
  if (!mailUser) {
    // The shape of https://github.com/microsoft/cross-tenant/issues/90 (a source address, or no such MailUser).
    const text = `The operation couldn't be performed because object '${address}' couldn't be found on 'EMU01A001DC001.PROD.OUTLOOK.COM'.`;
    return failed(text, `Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException: ${text}`);
  }
  const remote = String(endpoint.obj.RemoteServer ?? "outlook.office.com");
  const seeded = call.knobs.liveTestFailures[address.toLowerCase()];
  const problem = seeded
    ? undefined
    : liveTestProblem(
        call.ctx.state,
        call.tenant,
        endpoint.obj,
        mailUser.obj,
        call.now,
        call.knobs,
        call.ctx.options.faults.consentPropagationMs,
      );
  const reason = seeded ?? (problem ? `${problem[0]}: ${problem[1]}` : undefined);
  if (!reason) return endpointAnswer;
  // https://github.com/microsoft/cross-tenant/issues/96: a connection failure wrapping the remote's reason.
  const message = `The connection to the server '${remote}' could not be completed.`;
  return failed(
    message,
    `Microsoft.Exchange.Migration.MigrationServerConnectionFailedException: ${message} ---> Microsoft.Exchange.MailboxReplicationService.MRSRemotePermanentException: ${reason}`,
  );
};
