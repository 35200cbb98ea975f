// The seam between the emulator's server (TLS, faults, dispatch) and the surfaces it serves (login,
// Graph, Exchange). A surface sees a parsed request and returns a response; it never touches sockets.

import type { EmulatorState, Violation } from "./model";

// Kept in the model, which records them, and named here too, where the surfaces meet them.
export type { Surface, Violation } from "./model";
import type { EmulatorOptions } from "./options";

export interface EmuRequest {
  method: string;
  /** Full URL as the client sent it (scheme, host and port of the emulator). */
  url: URL;
  /** Path below the surface's prefix, starting with "/" (e.g. "/v1.0/applications" for Graph). */
  path: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface EmuResponse {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON (with content-type application/json unless a header says otherwise). */
  body?: Buffer | string | object;
}

/** Claims of an access token the emulator issued, after its signature and expiry were checked. */
export interface TokenClaims {
  tid: string;
  /** Resource URI, e.g. "https://graph.microsoft.com" or "https://outlook.office365.com". */
  aud: string;
  /** Client application id. */
  appid: string;
  /** Object id of the caller: the service principal (app-only) or the user (delegated). */
  oid: string;
  idtyp: "app" | "user";
  /** Application permissions (app-only). */
  roles: string[];
  /** Delegated scopes, space separated (delegated only). */
  scp?: string;
  upn?: string;
  /** Directory role template ids held by the caller. */
  wids: string[];
  exp: number;
}

export type AuthResult = { ok: true; claims: TokenClaims } | { ok: false; response: EmuResponse };

export interface EmuContext {
  state: EmulatorState;
  options: EmulatorOptions;
  /** The emulator's origin, e.g. "https://127.0.0.1:8443". */
  baseUrl: string;
  now(): number;
  /** Verifies the bearer token for the given audience; on failure returns the 401 to send. */
  authenticate(req: EmuRequest, audience: string): AuthResult;
  /** Records a request that Microsoft's reference does not allow; tests fail on any. */
  violation(v: Omit<Violation, "at">): void;
  /** Deterministic randomness (seeded from the fault spec) for ids the tests may want to reproduce. */
  random(): number;
}

export type SurfaceHandler = (req: EmuRequest, ctx: EmuContext) => Promise<EmuResponse>;

export function json(status: number, body: object, headers: Record<string, string> = {}): EmuResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body };
}
