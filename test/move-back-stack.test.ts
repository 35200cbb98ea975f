// The move-back example stack (stacks/Pulumi.move-back.example.yaml) under pulumi.runtime.setMocks: it uses only
// declared keys, and it builds the reverse pair: Contoso is the source (RemoteOutbound to Fabrikam, with its own
// scoping group), Fabrikam the target (Inbound from Contoso, its own app and endpoint), named for this direction
// so nothing clashes with the forward stack's objects.

import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { baseConfig, runIndex } from "./support/programMocks";

const root = path.join(__dirname, "..");
const example = (
  parse(fs.readFileSync(path.join(root, "stacks", "Pulumi.move-back.example.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  }
).config;
const forward = (
  parse(fs.readFileSync(path.join(root, "stacks", "Pulumi.example.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  }
).config;

test("the move-back example uses only declared keys", () => {
  const declared = (
    parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> }
  ).config;
  expect(Object.keys(example).filter((k) => !k.startsWith("xtmm:") || !(k.slice(5) in declared))).toEqual([]);
});

test("it is the forward example with the tenants swapped", () => {
  for (const [mine, theirs] of [
    ["source", "target"],
    ["target", "source"],
  ])
    for (const key of ["TenantId", "Domain", "ClientId"])
      expect([key, example[`xtmm:${mine}${key}`]]).toEqual([key, forward[`xtmm:${theirs}${key}`]]);
});

test("it builds the reverse pair, named for its own direction", async () => {
  // Client-secret sign-in stands in for the example's certificate and device code (mocks sign in nowhere).
  const values = Object.fromEntries(
    Object.entries(example).filter(([k]) => !/^xtmm:(cloud|(source|target)(Auth|Certificate\w*))$/.test(k)),
  );
  const run = await runIndex(baseConfig(values));
  expect(run.error).toBeUndefined();
  const contoso = String(example["xtmm:sourceTenantId"]);
  const fabrikam = String(example["xtmm:targetTenantId"]);
  expect(run.byName("relationship/source").inputs).toMatchObject({
    tenant: "source",
    tenantId: contoso,
    partnerTenantId: fabrikam,
    capabilities: ["RemoteOutbound"],
    publishedScopes: ["migration-to-fabrikam"],
  });
  expect(run.byName("relationship/target").inputs).toMatchObject({
    tenant: "target",
    tenantId: fabrikam,
    partnerTenantId: contoso,
    capabilities: ["Inbound"],
  });
  expect(run.byName("scoping-group").inputs).toMatchObject({
    name: "migration-to-fabrikam",
    members: ["alexw@contoso.com"],
  });
  expect(run.byName("migration-app").inputs).toMatchObject({
    displayName: "Cross-tenant mailbox migration (contoso to fabrikam)",
  });
  expect(run.byName("migration-endpoint").inputs).toMatchObject({ name: "migration-from-contoso" });
  expect(run.byName("mailuser/alexw@fabrikam.com")).toBeDefined();
});
