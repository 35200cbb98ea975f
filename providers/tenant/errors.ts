// Errors the tenant layer throws besides ExchangeError (exchangeErrors.ts). Each one says what was being
// done and what to do about it; none carries a secret or a token, because Pulumi prints messages verbatim
// and stores some of them in its logs.

/** One bad stack setting: the key as the engineer types it (`pulumi config set <key>`) and the fix. */
export interface ConfigProblem {
  key: string;
  message: string;
}

/** Stack configuration that cannot work; raised before any network call. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(
      problems.length === 1
        ? `Stack configuration: ${problems[0].key}: ${problems[0].message}`
        : `Stack configuration has ${problems.length} problems:\n` +
            problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n"),
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Getting a token failed: bad credentials, missing sign-in, unreadable certificate, login endpoint down. */
export class CredentialError extends Error {
  readonly tenantId: string;
  readonly clientId: string;
  /** MSAL's or Entra's error code when there is one (e.g. "invalid_client", "AADSTS7000215"). */
  readonly code?: string;
  constructor(message: string, tenantId: string, clientId: string, code?: string) {
    super(message);
    this.name = "CredentialError";
    this.tenantId = tenantId;
    this.clientId = clientId;
    this.code = code;
  }
}

/**
 * Removes every secret we know of from a text that came from elsewhere (a server message, stderr of a child
 * process). Secrets are never put into messages on purpose; this guards against services that echo input.
 */
export function scrub(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join("[REDACTED]");
  }
  // Bearer tokens are JWTs; whatever echoed one, it does not reach a message.
  return out.replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, "[REDACTED-TOKEN]");
}
