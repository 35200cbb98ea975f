// What an SMTP address, a domain name and an Exchange alias are, written once: the stack configuration,
// staging, every provider's check and the bench all test values with these. Pure: no I/O.

// RFC 5322 dot-atom characters, which are also the characters Exchange allows in an Alias
// (New-MailUser -Alias: letters, digits and !#$%&'*+-/=?^_`{|}~, periods only between other characters).
const ATOM = "[a-z0-9!#$%&'*+\\-/=?^_`{|}~]+";
const LOCAL_PART = new RegExp(`^${ATOM}(\\.${ATOM})*$`, "i");
// Labels of letters, digits and inner hyphens; the last starts with a letter and has two characters or more
// (xn-- punycode top-level domains included).
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;

/** Why `value` is not a plain SMTP address (`local@domain.tld`), or undefined when it is one. */
export function addressProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "")
    return "is empty; give an SMTP address such as user@contoso.com";
  const text = value.trim();
  const at = text.lastIndexOf("@");
  if (at < 0) return `${JSON.stringify(text)} has no "@"; give an SMTP address such as user@contoso.com`;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (local === "" || local.length > 64 || !LOCAL_PART.test(local)) {
    return `${JSON.stringify(text)} has an invalid part before "@" (letters, digits, . - _ + and similar, at most 64, no leading, trailing or double ".")`;
  }
  const domainWhy = domainProblem(domain);
  if (domainWhy) return `${JSON.stringify(text)}: the domain ${domainWhy}`;
  if (text.length > 254) return `${JSON.stringify(text)} is longer than 254 characters`;
  return undefined;
}

/** Why `value` is not a DNS domain name such as contoso.com, or undefined when it is one. */
export function domainProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return "is empty; give a domain such as contoso.com";
  if (!DOMAIN.test(value)) return `${JSON.stringify(value)} is not a domain name such as contoso.com`;
  return undefined;
}

/** Why `value` cannot be an Exchange alias, or undefined when it can. */
export function aliasProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "")
    return "is empty; give an alias such as jdoe, or leave it out to use the local part of targetPrimary";
  if (value.length > 64 || !LOCAL_PART.test(value)) {
    return `${JSON.stringify(value)} is not an Exchange alias (letters, digits and !#$%&'*+-/=?^_\`{|}~, "." only between them, at most 64)`;
  }
  return undefined;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

export function localPartOf(address: string): string {
  return address.slice(0, address.lastIndexOf("@"));
}

/**
 * Why `value` is not an SMTP address with nothing around it, or undefined when it is one: for values that no
 * one trims before they reach a tenant (a provider's inputs).
 */
export function exactAddressProblem(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim() !== "" && value !== value.trim())
    return `${JSON.stringify(value)} has blanks around it; give the address alone`;
  return addressProblem(value);
}

/** A plain SMTP address with nothing around it (callers that accept surrounding blanks trim first). */
export function isAddress(value: unknown): value is string {
  return exactAddressProblem(value) === undefined;
}

/** A DNS domain name such as contoso.com. */
export function isDomain(value: unknown): value is string {
  return domainProblem(value) === undefined;
}

/** A value Exchange accepts as an Alias. */
export function isAlias(value: unknown): value is string {
  return aliasProblem(value) === undefined;
}
