// Organisation-wide cmdlets: configuration, dehydration, accepted domains.

import { raise, type Call, type CmdletImpl, notFound, str } from "../call";

export const getOrganizationConfig: CmdletImpl = (call) => [call.tenant.exchange.organizationConfig];

export const enableOrganizationCustomization: CmdletImpl = (call: Call) => {
  const cfg = call.tenant.exchange.organizationConfig;
  if (cfg.IsDehydrated !== true) {
    // Verbatim (code-index 28944877396, 67295546442); exception type not captured (inferred).
    raise(call, {
      type: "Microsoft.Exchange.Management.Deployment.OrganizationCustomizationNotRequiredException",
      text: "This operation is not required. Organization is already enabled for customization.",
    });
  }
  cfg.IsDehydrated = false;
  cfg.WhenChanged = new Date(call.now).toISOString();
  cfg.WhenChangedUTC = cfg.WhenChanged;
  return [];
};

export const getAcceptedDomain: CmdletImpl = (call) => {
  const id = str(call, "Identity");
  const all = call.tenant.exchange.acceptedDomains;
  if (id === undefined) return all;
  const hit = all.filter((d) =>
    [d.Name, d.DomainName, d.Guid].some((v) => String(v).toLowerCase() === id.toLowerCase()),
  );
  if (!hit.length) notFound(call, id);
  return hit;
};
