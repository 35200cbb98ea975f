// The bootstrap program under mocks, certificate credential: a password-protected .pfx, the way an engineer
// exports one. Only the certificate goes to Entra (never the key), with the certificate's own dates; no client
// secret is made; the outputs name the file and carry its passphrase as a secret. One program run per file.

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import forge from "node-forge";
import { EXCHANGE_APPLICATION_PERMISSIONS, GRAPH_APPLICATION_PERMISSIONS } from "../providers/tenant/permissions";
import { APP_CLIENT_ID, INITIAL_DOMAIN, TENANT_ID, runBootstrap } from "./support/bootstrapProgramMocks";

const PASSPHRASE = "pfx-passphrase-value";
const NOT_BEFORE = new Date("2024-01-01T00:00:00Z");
const NOT_AFTER = new Date("2099-01-01T00:00:00Z");

/** A self-signed certificate and key in a .pfx with a passphrase; returns the file and the certificate's DER. */
function makePfx(dir: string): { file: string; der: Buffer; keyPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  cert.serialNumber = "01" + crypto.randomBytes(8).toString("hex");
  cert.validity.notBefore = NOT_BEFORE;
  cert.validity.notAfter = NOT_AFTER;
  cert.setSubject([{ name: "commonName", value: "xtmm operator" }]);
  cert.setIssuer([{ name: "commonName", value: "xtmm operator" }]);
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem);
  cert.sign(forgeKey, forge.md.sha256.create());
  const p12 = forge.pkcs12.toPkcs12Asn1(forgeKey, [cert], PASSPHRASE, { algorithm: "3des" });
  const file = path.join(dir, "operator.pfx");
  fs.writeFileSync(file, Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary"));
  return { file, der: Buffer.from(new crypto.X509Certificate(forge.pki.certificateToPem(cert)).raw), keyPem };
}

describe("bootstrap program, certificate", () => {
  let dir: string;
  let pfx: ReturnType<typeof makePfx>;
  let run: Awaited<ReturnType<typeof runBootstrap>>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-bootstrap-"));
    pfx = makePfx(dir);
    run = await runBootstrap(
      {
        "xtmm-bootstrap:role": "source",
        "xtmm-bootstrap:displayName": "Fabrikam migration operator",
        "xtmm-bootstrap:certificatePath": pfx.file,
        "xtmm-bootstrap:certificatePassword": PASSPHRASE,
      },
      ["xtmm-bootstrap:certificatePassword"],
    );
    expect(run.loadError).toBeUndefined();
    await run.settle();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("uploads the certificate alone, with its own validity, and makes no client secret", () => {
    const certs = run.registered.filter(
      (r) => r.type === "azuread:index/applicationCertificate:ApplicationCertificate",
    );
    expect(certs).toHaveLength(1);
    const c = certs[0].inputs;
    expect(c.applicationId).toBe("/applications/aaaaaaaa-0000-4000-8000-000000000002");
    expect(c.type).toBe("AsymmetricX509Cert");
    expect(c.encoding).toBe("pem");
    expect(c.startDate).toBe("2024-01-01T00:00:00Z");
    expect(c.endDate).toBe("2099-01-01T00:00:00Z");
    // The SDK sends `value` as a secret (the mock shows the wire's secret sentinel); the certificate is public,
    // which does no harm.
    const value = (c.value as { value: string }).value;
    expect(value).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    expect(Buffer.from(new crypto.X509Certificate(value).raw).equals(pfx.der)).toBe(true);
    expect(value).not.toMatch(/PRIVATE KEY/);
    expect(
      run.registered.filter((r) => r.type === "azuread:index/applicationPassword:ApplicationPassword"),
    ).toHaveLength(0);
  });

  test("the same grants as with a secret: every permission of permissions.ts consented, the role assigned", () => {
    const app = run.registered.find((r) => r.type === "azuread:index/application:Application")!;
    expect(app.inputs.displayName).toBe("Fabrikam migration operator");
    const consents = run.registered.filter((r) => r.type === "azuread:index/appRoleAssignment:AppRoleAssignment");
    expect(consents.map((c) => c.inputs.appRoleId).sort()).toEqual(
      [...GRAPH_APPLICATION_PERMISSIONS, ...EXCHANGE_APPLICATION_PERMISSIONS].map((p) => p.id).sort(),
    );
    expect(
      run.registered.filter((r) => r.type === "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"),
    ).toHaveLength(1);
  });

  test("neither the passphrase nor the private key reaches any resource input", () => {
    const everything = JSON.stringify(run.registered.map((r) => r.inputs));
    expect(everything).not.toContain(PASSPHRASE);
    expect(everything).not.toContain("PRIVATE KEY");
    const keyBody = pfx.keyPem.split("\n")[2];
    expect(everything).not.toContain(keyBody);
  });

  test("outputs: the source tenant's settings, the certificate path, and the passphrase as a secret", async () => {
    const { program, outputOf, isSecret } = run;
    expect(Object.keys(program).sort()).toEqual([
      "auth",
      "certificatePassword",
      "certificatePath",
      "clientId",
      "configCommands",
      "domain",
      "role",
      "tenantId",
    ]);
    expect(await outputOf(program.role)).toBe("source");
    expect(await outputOf(program.tenantId)).toBe(TENANT_ID);
    expect(await outputOf(program.domain)).toBe(INITIAL_DOMAIN);
    expect(await outputOf(program.clientId)).toBe(APP_CLIENT_ID);
    expect(await outputOf(program.auth)).toBe("certificate");
    expect(await outputOf(program.certificatePath)).toBe(pfx.file);
    expect(await outputOf(program.certificatePassword)).toBe(PASSPHRASE);
    expect(await isSecret(program.certificatePassword)).toBe(true);
  });

  test("the copy commands: certificate auth, the file, the passphrase piped; `<pair>` when pairStack is not set", async () => {
    const commands = (await run.outputOf<string>(run.program.configCommands)).split("\n");
    expect(commands).toEqual([
      `pulumi config set --stack '<pair>' xtmm:sourceTenantId ${TENANT_ID}`,
      `pulumi config set --stack '<pair>' xtmm:sourceDomain ${INITIAL_DOMAIN}`,
      `pulumi config set --stack '<pair>' xtmm:sourceClientId ${APP_CLIENT_ID}`,
      "pulumi config set --stack '<pair>' xtmm:sourceAuth certificate",
      `pulumi config set --stack '<pair>' xtmm:sourceCertificatePath ${pfx.file}`,
      "pulumi stack output --cwd stacks/bootstrap --stack fabrikam-operator --show-secrets certificatePassword | tr -d '\\n' | " +
        "pulumi config set --stack '<pair>' --secret xtmm:sourceCertificatePassword",
    ]);
    expect(commands.join("\n")).not.toContain(PASSPHRASE);
  });
});
