// JWTs the emulator issues (access and id tokens, RS256 with the run's key) and the ones it receives
// (client assertions signed with a certificate registered on an application).

import { constants, createHash, sign, verify, X509Certificate, KeyObject } from "node:crypto";
import type { TokenSigningKey } from "../pki";
import type { TokenClaims } from "../http";

export type JwtPayload = Record<string, unknown>;

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: JwtPayload;
  signingInput: string;
  signature: Buffer;
}

const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

export function signJwt(payload: JwtPayload, key: TokenSigningKey): string {
  // Entra's v1 access tokens carry both x5t and kid, with the same value.
  const input = `${enc({ typ: "JWT", alg: "RS256", x5t: key.kid, kid: key.kid })}.${enc(payload)}`;
  return `${input}.${sign("RSA-SHA256", Buffer.from(input), key.privateKey).toString("base64url")}`;
}

export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")),
      payload: JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")),
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2], "base64url"),
    };
  } catch {
    return undefined;
  }
}

/** RS256 always; PS256 where Entra takes it too (MSAL signs SHA-256-thumbprint assertions with PS256). */
export function verifySignature(jwt: DecodedJwt, publicKey: KeyObject, algs: readonly string[] = ["RS256"]): boolean {
  const alg = String(jwt.header.alg);
  if (!algs.includes(alg)) return false;
  const data = Buffer.from(jwt.signingInput);
  if (alg === "RS256") return verify("RSA-SHA256", data, publicKey, jwt.signature);
  if (alg === "PS256") {
    return verify(
      "sha256",
      data,
      { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
      jwt.signature,
    );
  }
  return false;
}

export type AccessTokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: "missing" | "malformed" | "signature" | "expired" | "audience" };

/** Audiences are accepted as the resource URI or its app id, as Microsoft's resources do. */
export function checkAccessToken(
  token: string | undefined,
  key: TokenSigningKey,
  audience: string,
  audienceAppId: string | undefined,
  nowSeconds: number,
): AccessTokenCheck {
  if (!token) return { ok: false, reason: "missing" };
  const jwt = decodeJwt(token);
  if (!jwt) return { ok: false, reason: "malformed" };
  if (jwt.header.kid !== key.kid || !verifySignature(jwt, key.publicKey)) return { ok: false, reason: "signature" };
  const p = jwt.payload;
  const exp = Number(p.exp);
  const nbf = Number(p.nbf ?? 0);
  // Entra's resources allow five minutes of clock skew; a token is never valid past exp + skew.
  if (!(exp + 300 > nowSeconds) || nbf - 300 > nowSeconds) return { ok: false, reason: "expired" };
  const aud = String(p.aud).replace(/\/+$/, "").toLowerCase();
  const wanted = [audience.replace(/\/+$/, "").toLowerCase(), audienceAppId?.toLowerCase()].filter(Boolean);
  if (!wanted.includes(aud)) return { ok: false, reason: "audience" };
  return {
    ok: true,
    claims: {
      tid: String(p.tid),
      aud: String(p.aud),
      appid: String(p.appid),
      oid: String(p.oid),
      idtyp: p.idtyp === "user" ? "user" : "app",
      roles: Array.isArray(p.roles) ? p.roles.map(String) : [],
      scp: typeof p.scp === "string" ? p.scp : undefined,
      upn: typeof p.upn === "string" ? p.upn : undefined,
      wids: Array.isArray(p.wids) ? p.wids.map(String) : [],
      exp,
    },
  };
}

/** A Graph keyCredential of an application, as stored in the directory. */
export interface KeyCredentialLike {
  keyId?: unknown;
  key?: unknown;
  usage?: unknown;
  type?: unknown;
  startDateTime?: unknown;
  endDateTime?: unknown;
}

export interface RegisteredCertificate {
  cert: X509Certificate;
  x5t: string;
  x5tS256: string;
  credential: KeyCredentialLike;
}

export function registeredCertificates(keyCredentials: unknown): RegisteredCertificate[] {
  const out: RegisteredCertificate[] = [];
  for (const kc of (Array.isArray(keyCredentials) ? keyCredentials : []) as KeyCredentialLike[]) {
    if (typeof kc.key !== "string" || kc.usage === "Sign") continue;
    try {
      const der = Buffer.from(kc.key, "base64");
      out.push({
        cert: new X509Certificate(der),
        x5t: createHash("sha1").update(der).digest("base64url"),
        x5tS256: createHash("sha256").update(der).digest("base64url"),
        credential: kc,
      });
    } catch {
      // A key that is not a certificate cannot sign an assertion; Entra ignores it for this purpose too.
    }
  }
  return out;
}

/** Finds the registered certificate an assertion names by its thumbprint header. */
export function certificateForAssertion(
  jwt: DecodedJwt,
  certs: RegisteredCertificate[],
): RegisteredCertificate | undefined {
  const s256 = typeof jwt.header["x5t#S256"] === "string" ? (jwt.header["x5t#S256"] as string) : undefined;
  const s1 = typeof jwt.header.x5t === "string" ? (jwt.header.x5t as string) : undefined;
  // Thumbprints arrive base64url-encoded, but some clients send hex; accept both spellings.
  const norm = (t: string) =>
    /^[0-9a-fA-F]+$/.test(t) && (t.length === 40 || t.length === 64)
      ? Buffer.from(t, "hex").toString("base64url")
      : t.replace(/=+$/, "");
  return certs.find(
    (c) => (s256 !== undefined && norm(s256) === c.x5tS256) || (s1 !== undefined && norm(s1) === c.x5t),
  );
}
