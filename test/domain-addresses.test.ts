// The one definition of an SMTP address, a domain and an Exchange alias (domain/addresses.ts), which the stack
// configuration, staging and every provider's check share.

import { addressProblem, isAddress, isAlias, isDomain } from "../domain/addresses";
import { lower } from "../domain/text";

test.each([
  ["contoso.com", true],
  ["fabrikam.onmicrosoft.com", true],
  ["contoso.mail.onmicrosoft.com", true],
  ["example.xn--p1ai", true], // a punycode top-level domain
  ["contoso.c", false], // a one-letter top-level domain
  ["contoso", false],
  ["-contoso.com", false],
  ["contoso..com", false],
  ["contoso.com.", false],
  [`${"a".repeat(64)}.com`, false], // a label over 63
])("isDomain(%j) is %s", (value, ok) => {
  expect(isDomain(value)).toBe(ok);
});

test.each([
  ["ada@contoso.com", true],
  ["ada.lovelace+moves@contoso.com", true],
  [" ada@contoso.com", false], // callers trim first; a padded value is not an address
  ["ada@contoso", false],
  ["ada..l@contoso.com", false],
  [".ada@contoso.com", false],
  ["ada@@contoso.com", false],
  [42, false],
])("isAddress(%j) is %s", (value, ok) => {
  expect(isAddress(value)).toBe(ok);
});

test.each([
  ["jdoe", true],
  ["j.doe", true],
  ["j_doe-2", true],
  ["j doe", false],
  ["j..doe", false],
  ["jdoe.", false],
  ["", false],
  ["a".repeat(65), false],
])("isAlias(%j) is %s", (value, ok) => {
  expect(isAlias(value)).toBe(ok);
});

test("a problem names the value and the fix", () => {
  expect(addressProblem("ada")).toBe('"ada" has no "@"; give an SMTP address such as user@contoso.com');
  expect(addressProblem("ada@contoso")).toMatch(/the domain "contoso" is not a domain name such as contoso\.com/);
});

test("lower trims and lower-cases, and reads null and undefined as empty", () => {
  expect(lower("  Ada@Contoso.COM ")).toBe("ada@contoso.com");
  expect(lower(undefined)).toBe("");
  expect(lower(null)).toBe("");
  expect(lower(7)).toBe("7");
});
