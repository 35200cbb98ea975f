// The bootstrap's pure parts: the grants derived from providers/tenant/permissions.ts (and the README's
// prerequisites table, checked against them), the check of app-role ids against what a tenant publishes, the
// configuration checks, and the copy commands.

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import forge from "node-forge";
import { copyCommands, shellQuote } from "../stacks/bootstrap/commands";
import { readBootstrapConfig } from "../stacks/bootstrap/config";
import {
  OPERATOR_API_GRANTS,
  OPERATOR_DIRECTORY_ROLE,
  checkedAppRoleId,
  extractPermissionsTable,
  renderPermissionsTable,
  requiredResourceAccesses,
} from "../stacks/bootstrap/grants";
import {
  EXCHANGE_ADMIN_ROLE,
  EXCHANGE_APPLICATION_PERMISSIONS,
  GRAPH_APPLICATION_PERMISSIONS,
  RESOURCE_APP_IDS,
} from "../providers/tenant/permissions";

describe("grants derived from permissions.ts", () => {
  test("exactly Graph's and Exchange Online's lists, by their well-known app ids, application permissions only", () => {
    expect(OPERATOR_API_GRANTS.map((g) => [g.resourceAppId, g.permissions])).toEqual([
      [RESOURCE_APP_IDS.microsoftGraph, GRAPH_APPLICATION_PERMISSIONS],
      [RESOURCE_APP_IDS.exchangeOnline, EXCHANGE_APPLICATION_PERMISSIONS],
    ]);
    expect(requiredResourceAccesses()).toEqual([
      {
        resourceAppId: "00000003-0000-0000-c000-000000000000",
        resourceAccesses: GRAPH_APPLICATION_PERMISSIONS.map((p) => ({ id: p.id, type: "Role" })),
      },
      {
        resourceAppId: "00000002-0000-0ff1-ce00-000000000000",
        resourceAccesses: EXCHANGE_APPLICATION_PERMISSIONS.map((p) => ({ id: p.id, type: "Role" })),
      },
    ]);
    expect(OPERATOR_DIRECTORY_ROLE).toMatchObject({
      templateId: EXCHANGE_ADMIN_ROLE.templateId,
      directoryScopeId: "/",
    });
  });

  test("the list holds what the Exchange admin API needs and no directory-wide write", () => {
    const values = [...GRAPH_APPLICATION_PERMISSIONS, ...EXCHANGE_APPLICATION_PERMISSIONS].map((p) => p.value);
    expect(values).toContain("Exchange.ManageAsApp");
    expect(EXCHANGE_APPLICATION_PERMISSIONS.find((p) => p.value === "Exchange.ManageAsApp")?.id).toBe(
      "dc50a0fb-09a3-484d-be87-e023b12c6440",
    );
    expect(EXCHANGE_ADMIN_ROLE.templateId).toBe("29232cdf-9323-42fd-ade2-1d097af3e4de");
    for (const broad of ["Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "full_access_as_app"])
      expect(values).not.toContain(broad);
    const ids = [...GRAPH_APPLICATION_PERMISSIONS, ...EXCHANGE_APPLICATION_PERMISSIONS].map((p) => p.id);
    expect(ids).not.toContain("19dbc75e-c2e2-444c-a770-ec69d8559fc7");
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of [...GRAPH_APPLICATION_PERMISSIONS, ...EXCHANGE_APPLICATION_PERMISSIONS]) {
      expect(p.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(p.why.length).toBeGreaterThan(0);
    }
  });

  test("README.md's prerequisites table is the one rendered from permissions.ts", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const table = extractPermissionsTable(readme);
    const expected = renderPermissionsTable();
    if (table !== expected) {
      throw new Error(
        "README.md's operator permissions differ from providers/tenant/permissions.ts. Replace the block between the " +
          "operator-permissions markers with the output of `npm run build && node dist/stacks/bootstrap/grants.js`:\n\n" +
          expected,
      );
    }
    // Every permission and the role appear in it, by value and id.
    for (const p of [...GRAPH_APPLICATION_PERMISSIONS, ...EXCHANGE_APPLICATION_PERMISSIONS]) {
      expect(table).toContain(`\`${p.value}\``);
      expect(table).toContain(`\`${p.id}\``);
    }
    expect(table).toContain(EXCHANGE_ADMIN_ROLE.displayName);
    // And only those: the header, one row per permission, one for the role.
    expect(table!.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---")).length).toBe(
      1 + GRAPH_APPLICATION_PERMISSIONS.length + EXCHANGE_APPLICATION_PERMISSIONS.length + 1,
    );
  });

  test("an app-role id is used only when the tenant's API publishes that permission with that id", () => {
    const graph = OPERATOR_API_GRANTS[0];
    const user = GRAPH_APPLICATION_PERMISSIONS.find((p) => p.value === "User.ReadWrite.All")!;
    expect(checkedAppRoleId(graph, user, { "User.ReadWrite.All": user.id.toUpperCase() })).toBe(user.id);
    expect(() =>
      checkedAppRoleId(graph, user, { "User.ReadWrite.All": "00000000-0000-0000-0000-000000000000" }),
    ).toThrow(/Microsoft Graph publishes 'User.ReadWrite.All' with id 00000000-.*permissions.ts says 741f803b/);
    expect(() => checkedAppRoleId(graph, user, {})).toThrow(/publishes no application permission 'User.ReadWrite.All'/);
    expect(() => checkedAppRoleId(graph, user, undefined)).toThrow(/publishes no application permission/);
  });
});

describe("bootstrap configuration", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const KEY = "xtmm-bootstrap:";
  function read(values: Record<string, string>, secret: string[] = [], baseDir = "/") {
    return readBootstrapConfig(
      (k) => values[k],
      (k) => secret.includes(k),
      baseDir,
      now,
    );
  }
  function problems(values: Record<string, string>, secret: string[] = [], baseDir = "/"): string[] {
    try {
      read(values, secret, baseDir);
    } catch (e) {
      return ((e as { problems?: { key: string; message: string }[] }).problems ?? []).map(
        (p) => `${p.key}: ${p.message}`,
      );
    }
    throw new Error("expected a configuration error");
  }

  let dir: string;
  let pemFile: string;
  let certOnlyFile: string;
  let expiredFile: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-bootstrap-config-"));
    const make = (notAfter: Date) => {
      const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
      const cert = forge.pki.createCertificate();
      cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
      cert.serialNumber = "01" + crypto.randomBytes(8).toString("hex");
      cert.validity.notBefore = new Date("2025-06-01T12:00:00Z");
      cert.validity.notAfter = notAfter;
      cert.setSubject([{ name: "commonName", value: "op" }]);
      cert.setIssuer([{ name: "commonName", value: "op" }]);
      cert.sign(
        forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }).toString()),
        forge.md.sha256.create(),
      );
      return {
        cert: forge.pki.certificateToPem(cert),
        key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      };
    };
    const good = make(new Date("2027-06-01T12:00:00Z"));
    pemFile = path.join(dir, "operator.pem");
    fs.writeFileSync(pemFile, good.key + good.cert);
    certOnlyFile = path.join(dir, "cert-only.pem");
    fs.writeFileSync(certOnlyFile, good.cert);
    const old = make(new Date("2025-12-01T00:00:00Z"));
    expiredFile = path.join(dir, "expired.pem");
    fs.writeFileSync(expiredFile, old.cert + old.key);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a role alone: a client secret with Entra's default expiry, the default display name, the <pair> placeholder", () => {
    expect(read({ role: "source" })).toEqual({
      role: "source",
      displayName: "xtmm operator (source)",
      credential: { kind: "clientSecret" },
      pairStack: "<pair>",
    });
    expect(
      read({ role: "target", secretEndDate: "2026-12-31T23:00:00+01:00", pairStack: "acme/xtmm/contoso-fabrikam" }),
    ).toMatchObject({
      credential: { kind: "clientSecret", endDate: "2026-12-31T22:00:00Z" },
      pairStack: "acme/xtmm/contoso-fabrikam",
    });
  });

  test("a PEM path relative to the bootstrap directory: the leaf certificate only, and its dates", () => {
    const s = read({ role: "source", certificatePath: path.basename(pemFile) }, [], dir);
    expect(s.credential.kind).toBe("certificate");
    if (s.credential.kind !== "certificate") return;
    expect(s.credential.path).toBe(pemFile);
    expect(s.credential.hasPassword).toBe(false);
    expect(s.credential.certificate.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(s.credential.certificate.pem).not.toContain("PRIVATE KEY");
    expect(s.credential.certificate.startDate).toBe("2025-06-01T12:00:00Z");
    expect(s.credential.certificate.endDate).toBe("2027-06-01T12:00:00Z");
  });

  test("every problem at once, each by its key with the fix", () => {
    expect(problems({})).toEqual([
      `${KEY}role: missing; say which side of the pair this tenant is: pulumi config set role source (or target)`,
    ]);
    expect(problems({ role: "Source", displayName: "x".repeat(121), pairStack: "contoso fabrikam; rm -rf /" })).toEqual(
      [
        `${KEY}role: 'Source' is not a role; use source or target`,
        `${KEY}displayName: is 121 characters; use at most 120: pulumi config set displayName "<name>"`,
        `${KEY}pairStack: 'contoso fabrikam; rm -rf /' is not a Pulumi stack name; give the main project's stack for this pair, e.g. pulumi config set pairStack contoso-fabrikam`,
      ],
    );
    expect(problems({ role: "source", secretEndDate: "2025-12-31T00:00:00Z" })).toEqual([
      `${KEY}secretEndDate: 2025-12-31T00:00:00Z is not in the future; the client secret would be expired at birth`,
    ]);
    expect(problems({ role: "source", secretEndDate: "2027-01-01" })[0]).toMatch(
      /secretEndDate: '2027-01-01' is not an RFC 3339 date-time/,
    );
  });

  test("certificate problems name certificatePath (or the passphrase key) and never echo a secret", () => {
    expect(problems({ role: "source", certificatePath: path.join(dir, "missing.pem") })[0]).toMatch(
      new RegExp(`^${KEY}certificatePath: Cannot read the certificate file '.*missing.pem': ENOENT`),
    );
    expect(problems({ role: "source", certificatePath: certOnlyFile })[0]).toMatch(
      /certificatePath: .* has no PRIVATE KEY block/,
    );
    expect(problems({ role: "source", certificatePath: expiredFile })[0]).toMatch(
      /certificatePath: the certificate in '.*expired.pem' expired on 2025-12-01/,
    );
    expect(problems({ role: "source", certificatePath: pemFile, secretEndDate: "2027-01-01T00:00:00Z" })).toEqual([
      `${KEY}secretEndDate: is only used without certificatePath (a client secret); remove it: pulumi config rm secretEndDate`,
    ]);
    const junk = path.join(dir, "junk.pfx");
    fs.writeFileSync(junk, crypto.randomBytes(64));
    const ps = problems({ role: "source", certificatePath: junk, certificatePassword: "the-passphrase" }, [
      `${KEY}certificatePassword`,
    ]);
    expect(ps[0]).toMatch(
      /^xtmm-bootstrap:certificatePassword: The certificate file '.*junk.pfx' is neither PEM nor a PKCS#12/,
    );
    expect(ps.join("\n")).not.toContain("the-passphrase");
  });

  test("a passphrase in plain text is refused, with the command that stores it encrypted", () => {
    expect(problems({ role: "source", certificatePath: pemFile, certificatePassword: "pw" })).toEqual([
      `${KEY}certificatePassword: is stored in plain text; remove it from the stack file and set it again with: pulumi config set --secret certificatePassword`,
    ]);
  });
});

describe("copy commands", () => {
  const base = {
    role: "source" as const,
    pairStack: "contoso-fabrikam",
    bootstrapStack: "fabrikam-operator",
    tenantId: "11111111-1111-4111-8111-111111111111",
    domain: "fabrikam.onmicrosoft.com",
    clientId: "33333333-3333-4333-8333-333333333333",
  };

  test("a certificate without passphrase: five plain settings, nothing piped", () => {
    expect(
      copyCommands({
        ...base,
        credential: { kind: "certificate", path: "/home/admin/My Certs/op.pem", hasPassword: false },
      }),
    ).toEqual([
      "pulumi config set --stack contoso-fabrikam xtmm:sourceTenantId 11111111-1111-4111-8111-111111111111",
      "pulumi config set --stack contoso-fabrikam xtmm:sourceDomain fabrikam.onmicrosoft.com",
      "pulumi config set --stack contoso-fabrikam xtmm:sourceClientId 33333333-3333-4333-8333-333333333333",
      "pulumi config set --stack contoso-fabrikam xtmm:sourceAuth certificate",
      "pulumi config set --stack contoso-fabrikam xtmm:sourceCertificatePath '/home/admin/My Certs/op.pem'",
    ]);
  });

  test("every key a command sets is one the main stack reads for that role", () => {
    const declared = fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8");
    for (const credential of [
      { kind: "clientSecret" as const },
      { kind: "certificate" as const, path: "/x.pfx", hasPassword: true },
    ]) {
      for (const role of ["source", "target"] as const) {
        for (const line of copyCommands({ ...base, role, credential })) {
          const key = /(?:^|\| )pulumi config set .*?xtmm:([A-Za-z]+)/.exec(line)![1];
          expect(key.startsWith(role)).toBe(true);
          expect(declared).toMatch(new RegExp(`^  ${key}:$`, "m"));
        }
      }
    }
  });

  test("shell quoting keeps paths and names literal", () => {
    expect(shellQuote("a/b-c_d.pem")).toBe("a/b-c_d.pem");
    expect(shellQuote("it's here")).toBe(`'it'"'"'s here'`);
    expect(shellQuote("$(whoami)")).toBe("'$(whoami)'");
  });
});
