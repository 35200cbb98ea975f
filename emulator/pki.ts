// Key material for one emulator run: a CA that clients are told to trust (through `caFile`), a server
// certificate for the loopback names, and the key the login surface signs tokens with. Everything is
// fresh at every start so no private key is ever kept on disk or in the repository.
//
// RSA keys come from Node's crypto (native, ~50 ms) rather than node-forge's pure-JS generator
// (seconds per 2048-bit key); forge only assembles and signs the X.509 certificates.

import { createHash, generateKeyPairSync, KeyObject, randomBytes, createPublicKey } from "node:crypto";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";

export interface TokenSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id in the JWKS and in token headers (`kid`, also `x5t`, as Entra v1 tokens carry both). */
  kid: string;
  /** The public key as a JWKS entry. */
  jwk: Record<string, unknown>;
}

export interface Pki {
  caPem: string;
  /** PEM file of the CA, for NODE_EXTRA_CA_CERTS, undici's `connect.ca` and the stack's customCaFile. */
  caFile: string;
  serverCertPem: string;
  serverKeyPem: string;
  tokenKey: TokenSigningKey;
  /** Removes the temporary directory that holds caFile. */
  dispose(): void;
}

function rsaPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

function serial(): string {
  // A positive serial: forge writes it as an unsigned big-endian integer, so keep the top bit clear.
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString("hex");
}

function certificate(opts: {
  subjectCn: string;
  publicPem: string;
  issuer?: { cert: forge.pki.Certificate; privatePem: string };
  selfPrivatePem?: string;
  extensions: object[];
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicPem);
  cert.serialNumber = serial();
  const now = Date.now();
  // Back-dated a little so a client with a slightly late clock still accepts it.
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + 30 * 24 * 60 * 60 * 1000);
  cert.setSubject([
    { name: "commonName", value: opts.subjectCn },
    { name: "organizationName", value: "xtmm tenant-pair emulator" },
  ]);
  cert.setIssuer(opts.issuer ? opts.issuer.cert.subject.attributes : cert.subject.attributes);
  cert.setExtensions(opts.extensions);
  const signingKey = forge.pki.privateKeyFromPem(
    opts.issuer ? opts.issuer.privatePem : (opts.selfPrivatePem as string),
  );
  cert.sign(signingKey, forge.md.sha256.create());
  return cert;
}

function base64url(b: Buffer): string {
  return b.toString("base64url");
}

function tokenSigningKey(): TokenSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwkPublic = publicKey.export({ format: "jwk" }) as { n: string; e: string };
  const der = publicKey.export({ type: "spki", format: "der" });
  const kid = base64url(createHash("sha1").update(der).digest());
  return {
    privateKey,
    publicKey: createPublicKey(publicKey.export({ type: "spki", format: "pem" })),
    kid,
    jwk: {
      kty: "RSA",
      use: "sig",
      kid,
      x5t: kid,
      n: jwkPublic.n,
      e: jwkPublic.e,
      issuer: "https://login.microsoftonline.com/{tenantid}/v2.0",
    },
  };
}

export function createPki(): Pki {
  const ca = rsaPair();
  const caCert = certificate({
    subjectCn: "xtmm emulator CA",
    publicPem: ca.publicPem,
    selfPrivatePem: ca.privatePem,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
      { name: "subjectKeyIdentifier" },
    ],
  });
  const server = rsaPair();
  const serverCert = certificate({
    subjectCn: "localhost",
    publicPem: server.publicPem,
    issuer: { cert: caCert, privatePem: ca.privatePem },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  const caPem = forge.pki.certificateToPem(caCert);
  const dir = mkdtempSync(join(tmpdir(), "xtmm-emulator-"));
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, caPem);
  return {
    caPem,
    caFile,
    serverCertPem: forge.pki.certificateToPem(serverCert),
    serverKeyPem: server.privatePem,
    tokenKey: tokenSigningKey(),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
