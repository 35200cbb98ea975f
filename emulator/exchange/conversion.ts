// Value conversion as Exchange Online's binder does it: each named value is turned into its parameter's
// type from Microsoft's cmdlet reference, or refused with PowerShell's argument-transformation text (and
// recorded as a violation where the client is at fault).

import type { EmuResponse } from "../http";
import { Credential, MultiValueDelta, Secret } from "./boundValues";
import { credentialCast, parameterTransformation } from "./envelope";
import type { CmdletSpec, ParamSpec } from "./reference";
import { GUID } from "../../domain/ids";

export type Route = "rest" | "pwsh";

export class BindFail {
  constructor(
    public readonly response: EmuResponse,
    public readonly violation?: { kind: string; detail: string },
  ) {}
}

export function fail(response: EmuResponse, violation?: { kind: string; detail: string }): never {
  throw new BindFail(response, violation);
}

// .NET type names used in conversion messages. Only RecipientTypeDetails is from a real message; the
// others follow Exchange's namespaces as best known (inferred).
const DOTNET: Record<string, string> = {
  Guid: "System.Guid",
  Int32: "System.Int32",
  Boolean: "System.Boolean",
  SwitchParameter: "System.Management.Automation.SwitchParameter",
  DateTime: "System.DateTime",
  SmtpAddress: "Microsoft.Exchange.Data.SmtpAddress",
  ProxyAddress: "Microsoft.Exchange.Data.ProxyAddress",
  ProxyAddressCollection: "Microsoft.Exchange.Data.ProxyAddressCollection",
  "RecipientTypeDetails[]": "Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails[]",
  "RecipientType[]": "Microsoft.Exchange.Data.Directory.Recipient.RecipientType[]",
  PSCredential: "System.Management.Automation.PSCredential",
  "Byte[]": "System.Byte[]",
};
const dotnet = (t: string) => DOTNET[t] ?? `Microsoft.Exchange.Data.${t}`;

function transformation(param: string, text: string, now: number, violation?: { kind: string; detail: string }): never {
  return fail(
    parameterTransformation(`Cannot process argument transformation on parameter '${param}'. ${text}`, now),
    violation,
  );
}

function show(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function isMulti(type: string): boolean {
  return type === "MultiValuedProperty" || type === "ProxyAddressCollection" || type.endsWith("[]");
}

function isTaggedHashtable(v: unknown): v is Record<string, unknown> {
  return (
    !!v &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    (v as Record<string, unknown>)["@odata.type"] === "#Exchange.GenericHashTable"
  );
}

export function convert(
  spec: CmdletSpec,
  param: string,
  value: unknown,
  route: Route,
  opts: { acceptRestCredentials: boolean; now: number },
): unknown {
  const ps = spec.parameters[param];
  const type = Array.isArray(ps.type) ? ps.type[0] : ps.type;
  const now = opts.now;
  if (value === null) return null;
  switch (type) {
    case "SwitchParameter":
      if (value === true || value === false) return value;
      if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
      return transformation(
        param,
        `Cannot convert the "${show(value)}" value of type "${jsType(value)}" to type "${dotnet(type)}".`,
        now,
      );
    case "Boolean":
      if (typeof value === "boolean") return value;
      if (typeof value === "number") return value !== 0;
      return transformation(
        param,
        `Cannot convert value "${jsType(value)}" to type "System.Boolean". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.`,
        now,
      );
    case "Int32":
      if (typeof value === "number" && Number.isInteger(value)) return value;
      if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value);
      return transformation(
        param,
        `Cannot convert value "${show(value)}" to type "System.Int32". Error: "Input string was not in a correct format."`,
        now,
      );
    case "Unlimited":
      if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
      if (typeof value === "string" && /^unlimited$/i.test(value)) return "Unlimited";
      if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
      return transformation(
        param,
        `Cannot convert value "${show(value)}" to type "Microsoft.Exchange.Data.Unlimited\`1[System.UInt32]". Error: "The value "${show(value)}" isn't valid. Valid values are a positive integer or "Unlimited"."`,
        now,
      );
    case "Guid":
      if (typeof value === "string" && GUID.test(value.trim())) return value.trim().toLowerCase();
      return transformation(
        param,
        `Cannot convert value "${show(value)}" to type "System.Guid". Error: "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."`,
        now,
        {
          kind: "bad-value",
          detail: `${spec.name} -${param}: "${show(value)}" is not a GUID`,
        },
      );
    case "SecureString":
      if (typeof value === "string") return new Secret(value);
      // The value is not echoed: it is meant to be a secret.
      return transformation(
        param,
        `Cannot convert the value of type "${jsType(value)}" to type "System.Security.SecureString".`,
        now,
      );
    case "PSCredential":
      return credential(spec, param, value, route, opts);
    case "Byte[]":
      if (typeof value === "string" && /^[A-Za-z0-9+/=\s]*$/.test(value)) return Buffer.from(value, "base64");
      if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
        return Buffer.from(value as number[]);
      return transformation(param, `Cannot convert value "${show(value)}" to type "System.Byte[]".`, now);
    case "DateTime":
      if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
      return transformation(
        param,
        `Cannot convert value "${show(value)}" to type "System.DateTime". Error: "String was not recognized as a valid DateTime."`,
        now,
      );
  }
  if (isMulti(type)) return multi(spec, param, type, ps, value, now);
  // An identity type's "accepted values" are the forms of identity its page lists (GUID, Alias, …), not an enum.
  if (ps.acceptedValues && type !== "MailboxMoveCapability" && !type.endsWith("IdParameter"))
    return enumValue(spec, param, type, ps.acceptedValues, value, now);
  if (type === "MailboxMoveCapability") {
    // A [Flags] enum: PowerShell takes "Inbound", "Inbound,RemoteOutbound" or an array of names.
    const names = (Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [value]).map((v) =>
      typeof v === "string" ? v.trim() : v,
    );
    // "None" is the enum's zero value: Get-OrganizationRelationship shows it on a relationship without moves,
    // and Microsoft365DSC writes it (https://github.com/microsoft/Microsoft365DSC/pull/2572), although the cmdlet
    // page lists only the four flags.
    if (names.length === 1 && typeof names[0] === "string" && names[0].toLowerCase() === "none") return "None";
    return names.map((n) => enumValue(spec, param, type, ps.acceptedValues ?? [], n, now)).join(", ");
  }
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") {
    return transformation(
      param,
      `Cannot convert the "${show(value)}" value of type "${jsType(value)}" to type "System.String".`,
      now,
      {
        kind: "bad-value",
        detail: `${spec.name} -${param}: expects a single ${type}, got ${jsType(value)}`,
      },
    );
  }
  if (type === "SmtpAddress" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
    return transformation(
      param,
      `Cannot convert value "${value}" to type "${dotnet(type)}". Error: "The email address "${value}" isn't correct. Please use this format: user name, the @ sign, followed by the domain name. For example, tonysmith@contoso.com or tony.smith@contoso.com."`,
      now,
    );
  }
  return value;
}

function jsType(v: unknown): string {
  if (Array.isArray(v)) return "System.Object[]";
  if (v && typeof v === "object") return "Newtonsoft.Json.Linq.JObject";
  if (typeof v === "number") return Number.isInteger(v) ? "System.Int64" : "System.Double";
  if (typeof v === "boolean") return "System.Boolean";
  return "System.String";
}

function enumValue(
  spec: CmdletSpec,
  param: string,
  type: string,
  accepted: string[],
  value: unknown,
  now: number,
): string {
  const v = typeof value === "string" ? value : show(value);
  const hit = accepted.find((a) => a.toLowerCase() === v.toLowerCase());
  if (hit) return hit;
  return transformation(
    param,
    `Cannot convert value "${v}" to type "${dotnet(type)}". Error: "Unable to match the identifier name ${v} to a valid enumerator name. Specify one of the following enumerator names and try again: ${accepted.join(", ")}"`,
    now,
    { kind: "bad-value", detail: `${spec.name} -${param}: "${v}" is not one of ${accepted.join(", ")}` },
  );
}

function multi(spec: CmdletSpec, param: string, type: string, ps: ParamSpec, value: unknown, now: number): unknown {
  const element =
    type === "ProxyAddressCollection" ? "ProxyAddress" : type.endsWith("[]") ? type.slice(0, -2) : "String";
  const item = (v: unknown): unknown => {
    if (ps.acceptedValues) return enumValue(spec, param, type, ps.acceptedValues, v, now);
    if (typeof v === "string") return v;
    if (typeof v === "number") return String(v);
    return transformation(
      param,
      `Cannot convert the "${show(v)}" value of type "${jsType(v)}" to type "${dotnet(element)}".`,
      now,
    );
  };
  if (Array.isArray(value)) return value.map(item);
  if (typeof value === "string" || typeof value === "number") return [item(value)];
  if (isTaggedHashtable(value)) {
    const get = (k: string) => {
      const key = Object.keys(value).find((x) => x.toLowerCase() === k);
      const v = key ? value[key] : undefined;
      return v === undefined || v === null ? [] : Array.isArray(v) ? v.map(item) : [item(v)];
    };
    return new MultiValueDelta(get("add"), get("remove"));
  }
  // An untagged hashtable reaches the binder as JProperties (as https://github.com/KelvinTegelaar/CIPP-API builds them; a third-party migration client reports the same for EmailAddresses).
  return transformation(
    param,
    `Cannot convert the "${show(value)}" value of type "Newtonsoft.Json.Linq.JProperty" to type "${dotnet(element)}".`,
    now,
    {
      kind: "untagged-hashtable",
      detail: `${spec.name} -${param}: a hashtable without "@odata.type":"#Exchange.GenericHashTable"`,
    },
  );
}

function credential(
  spec: CmdletSpec,
  param: string,
  value: unknown,
  route: Route,
  opts: { acceptRestCredentials: boolean; now: number },
): Credential {
  const obj =
    value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (route === "rest" && !opts.acceptRestCredentials) {
    // Reported by a third-party migration client (UNCONFIRMED first-hand): the REST binder casts the JSON value to a string and fails with a 500.
    if (obj) fail(credentialCast(opts.now));
    return transformation(
      param,
      `Cannot convert the value of type "${jsType(value)}" to type "${dotnet("PSCredential")}".`,
      opts.now,
    );
  }
  const field = (k: string) => {
    const key = obj && Object.keys(obj).find((x) => x.toLowerCase() === k);
    return key ? obj![key] : undefined;
  };
  const user = field("username");
  const password = field("password");
  if (typeof user !== "string" || typeof password !== "string") {
    return transformation(
      param,
      `Cannot convert the "System.Collections.Hashtable" value of type "System.Collections.Hashtable" to type "${dotnet("PSCredential")}".`,
      opts.now,
      {
        kind: "bad-value",
        detail: `${spec.name} -${param}: a PSCredential needs UserName and Password`,
      },
    );
  }
  return new Credential(user, new Secret(password));
}
