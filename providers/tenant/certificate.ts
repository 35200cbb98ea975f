// Certificate credentials for MSAL: what MSAL wants (a PKCS#8 private key PEM, the certificate's SHA-256
// thumbprint, the x5c chain) from what engineers have (a PEM with cert + key, or a .pfx from the portal
// or New-SelfSignedCertificate). Errors name the file, never the passphrase or the key.

import * as crypto from "crypto";
import * as fs from "fs";
import forge from "node-forge";

export interface MsalCertificate {
  privateKey: string;
  thumbprintSha256: string;
  /** PEM of the leaf certificate first, then any others; MSAL turns it into the x5c header (leaf first). */
  x5c: string;
}

export function loadCertificate(file: string, passphrase?: string): MsalCertificate {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    throw new Error(
      `Cannot read the certificate file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const text = data.toString("latin1");
  return text.includes("-----BEGIN") ? fromPem(file, text, passphrase) : fromPfx(file, data, passphrase);
}

function fromPem(file: string, text: string, passphrase?: string): MsalCertificate {
  const certs = [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => m[0]);
  const keyPem =
    /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.exec(
      text,
    )?.[0];
  if (certs.length === 0)
    throw new Error(
      `The certificate file '${file}' has no CERTIFICATE block; it must hold the certificate and its private key`,
    );
  if (!keyPem)
    throw new Error(
      `The certificate file '${file}' has no PRIVATE KEY block; it must hold the certificate and its private key`,
    );
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: keyPem, format: "pem", passphrase });
  } catch {
    throw new Error(
      `The private key in '${file}' could not be read${passphrase ? " with the configured password" : " (is it encrypted? set the CertificatePassword config key)"}`,
    );
  }
  const ders = certs.map((c) => new crypto.X509Certificate(c).raw);
  const leaf = pickLeaf(ders, key) ?? 0;
  return build(key, ders, leaf);
}

function fromPfx(file: string, data: Buffer, passphrase?: string): MsalCertificate {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(data.toString("binary")));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, passphrase ?? "");
  } catch {
    throw new Error(
      `The certificate file '${file}' is neither PEM nor a PKCS#12 (.pfx) file that opens${passphrase ? " with the configured password" : " without a password (set the CertificatePassword config key)"}`,
    );
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
  const forgeKey = keyBags.find((b) => b.key)?.key;
  if (!forgeKey) throw new Error(`The PKCS#12 file '${file}' holds no private key; export it with the private key`);
  const ders = certBags
    .filter((b) => b.cert)
    .map((b) => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(b.cert!)).getBytes(), "binary"));
  if (ders.length === 0) throw new Error(`The PKCS#12 file '${file}' holds no certificate`);
  const key = crypto.createPrivateKey({ key: forge.pki.privateKeyToPem(forgeKey), format: "pem" });
  const leaf = pickLeaf(ders, key);
  if (leaf === undefined) throw new Error(`No certificate in '${file}' matches its private key`);
  return build(key, ders, leaf);
}

/** The certificate whose public key is the private key's (a chain file may list the CA first). */
function pickLeaf(ders: Buffer[], key: crypto.KeyObject): number | undefined {
  const pub = crypto.createPublicKey(key).export({ type: "spki", format: "der" });
  const i = ders.findIndex((d) =>
    new crypto.X509Certificate(d).publicKey.export({ type: "spki", format: "der" }).equals(pub),
  );
  return i < 0 ? undefined : i;
}

function build(key: crypto.KeyObject, ders: Buffer[], leaf: number): MsalCertificate {
  const ordered = [ders[leaf], ...ders.filter((_, i) => i !== leaf)];
  return {
    privateKey: key.export({ type: "pkcs8", format: "pem" }).toString(),
    thumbprintSha256: crypto.createHash("sha256").update(ders[leaf]).digest("hex"),
    x5c: ordered
      .map(
        (d) =>
          `-----BEGIN CERTIFICATE-----\n${d
            .toString("base64")
            .replace(/(.{64})/g, "$1\n")
            .trim()}\n-----END CERTIFICATE-----`,
      )
      .join("\n"),
  };
}
