// Runs one cmdlet in Exchange Online PowerShell, for what the REST API cannot do (a PSCredential
// parameter). The child gets everything on stdin, never on its command line, and answers with one JSON
// line (the contract is in invoke-cmdlet.ps1 beside this file). Errors map to the same ExchangeError kinds as REST.

import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { TokenProvider } from "./credentials";
import { scrub } from "./errors";
import {
  classify,
  DEFAULT_RETRY_POLICY,
  describeCall,
  ExchangeError,
  retryDelayMs,
  withNote,
  type RetryPolicy,
} from "./exchangeErrors";
import type { ExchangeResult } from "./exchange";
import { encodeParameters } from "./exchangeWire";
import { tenantLimiter, type Limiter } from "./limiter";
import { manualCommand, unavailable, type PowerShellCredential } from "./powershellManual";
import type { TenantSettings } from "./settings";
import { asWrite, isReadCmdlet } from "./writeClock";

// What is said and offered when pwsh cannot run lives in powershellManual.ts; callers import it from here.
export { manualCommand, PowerShellUnavailableError, type PowerShellCredential } from "./powershellManual";

export interface PowerShellRunner {
  run<T>(
    cmdlet: string,
    parameters: Record<string, unknown>,
    credentials: Record<string, PowerShellCredential>,
  ): Promise<ExchangeResult<T>>;
}

export interface PowerShellOptions {
  /** Kill the child after this long (default 5 min: Connect-ExchangeOnline alone can take a minute). */
  timeoutMs?: number;
  scriptPath?: string;
  /** Extra strings that must never appear in an error. */
  secrets?: string[];
  /** Added to the child's environment. */
  env?: Record<string, string>;
  /** The retry policy (default: REST's, DEFAULT_RETRY_POLICY); only Throttled and unapplied Transient failures are retried. */
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
}

const SCRIPT = "invoke-cmdlet.ps1";
const TIMED_OUT = "timeout";

/**
 * The script sits beside this file in the source tree; compiled code runs from dist/providers/tenant,
 * where tsc does not copy it, so look back in the source tree from there.
 */
export function invokeScriptPath(): string {
  const root = process.env.XTMM_ROOT;
  const candidates = [
    path.join(__dirname, SCRIPT),
    path.resolve(__dirname, "..", "..", "..", "providers", "tenant", SCRIPT),
    ...(root ? [path.join(root, "providers", "tenant", SCRIPT)] : []),
    path.join(process.cwd(), "providers", "tenant", SCRIPT),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`Cannot find ${SCRIPT}; looked in: ${candidates.join(", ")}`);
  return found;
}

export class PwshRunner implements PowerShellRunner {
  private readonly limiter: Limiter;
  constructor(
    private readonly settings: TenantSettings,
    private readonly tokens: TokenProvider,
    private readonly options: PowerShellOptions = {},
  ) {
    this.limiter = tenantLimiter(settings.tenantId, settings.exchangeConcurrency);
  }

  async run<T>(
    cmdlet: string,
    parameters: Record<string, unknown>,
    credentials: Record<string, PowerShellCredential>,
  ): Promise<ExchangeResult<T>> {
    const { settings } = this;
    const secrets = [...(this.options.secrets ?? []), ...Object.values(credentials).map((c) => c.password)];
    const manual = manualCommand(settings, cmdlet, parameters, credentials);
    const script = this.options.scriptPath ?? invokeScriptPath();
    const policy = { ...DEFAULT_RETRY_POLICY, ...this.options.retry };
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let attempt = 1; ; attempt++) {
      // A fresh token per attempt: a long throttling wait may outlast the one before.
      const token = await this.tokens.getToken(settings.cloud.exchangeAudience);
      secrets.push(token);
      const input = JSON.stringify({
        cmdlet,
        parameters: encodeParameters(parameters),
        credentialParameters: credentials,
        accessToken: token,
        organization: settings.domain,
        environment: { name: settings.cloud.name, exchangeBase: settings.cloud.exchange },
      });
      try {
        const spawn = () => this.limiter.run(() => this.spawnOnce(script, input, cmdlet, parameters, manual, secrets));
        const out = await (isReadCmdlet(cmdlet) ? spawn() : asWrite(settings.tenantId, spawn));
        return out as ExchangeResult<T>;
      } catch (e) {
        // Throttled: the service refused the call before running it, so sending it again is safe. A write
        // that may have been applied is never resent here; the caller reads the object first.
        // A child stopped at the timeout is stuck, not throttled: waiting that long again helps nobody.
        if (!(e instanceof ExchangeError) || !e.retryable || e.maybeApplied || e.detail === TIMED_OUT) throw e;
        if (attempt >= policy.maxAttempts) throw withNote(e, ` (gave up after ${attempt} attempts)`);
        await sleep(retryDelayMs(e, attempt, policy));
      }
    }
  }

  private spawnOnce(
    script: string,
    input: string,
    cmdlet: string,
    parameters: Record<string, unknown>,
    manual: string,
    secrets: string[],
  ): Promise<ExchangeResult<unknown>> {
    const pwsh = this.settings.pwshPath;
    const timeoutMs = this.options.timeoutMs ?? 300_000;
    const say = `${describeCall(cmdlet, targetOf(parameters))} in PowerShell`;
    const clean = (s: string) => scrub(s, secrets);
    return new Promise((resolve, reject) => {
      const child = spawn(pwsh, ["-NoLogo", "-NoProfile", "-NonInteractive", "-File", script], {
        stdio: ["pipe", "pipe", "pipe"],
        // Explicit, so the environment the caller sees (a test's sandboxed process.env included) is the child's.
        env: { ...process.env, ...this.options.env },
      });
      let stdout = "";
      let stderr = "";
      let settled = false;
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        // A grandchild may still hold the pipes; do not wait for it.
        child.stdout.destroy();
        child.stderr.destroy();
        finish(() =>
          reject(
            new ExchangeError({
              kind: "Transient",
              cmdlet,
              status: 0,
              detail: TIMED_OUT,
              maybeApplied: !isReadCmdlet(cmdlet),
              message: `${say} did not finish within ${timeoutMs} ms and was stopped; it may have been applied, so check before running it again.`,
            }),
          ),
        );
      }, timeoutMs);
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", (e: NodeJS.ErrnoException) => {
        finish(() =>
          reject(
            e.code === "ENOENT" || e.code === "EACCES"
              ? unavailable(this.settings, e.code, cmdlet, manual)
              : new Error(`${say}: cannot start '${pwsh}': ${clean(e.message)}`),
          ),
        );
      });
      child.stdin.on("error", () => undefined); // the child may exit before reading; its exit code says why
      child.on("close", (code) => {
        finish(() => {
          const reply = lastJsonLine(stdout);
          if (reply?.ok === true) {
            const value = Array.isArray(reply.value) ? reply.value : reply.value == null ? [] : [reply.value];
            const warnings = Array.isArray(reply.warnings) ? reply.warnings.map(String) : [];
            resolve({ value, warnings });
            return;
          }
          const err = reply?.error as { type?: string; message?: string } | undefined;
          const detail = clean(err?.message ?? lastLines(stderr) ?? `exited with code ${code} and no result`);
          const type = err?.type;
          // A cmdlet's own failure (exit 1) is what REST answers with 400; only an unexplained failure is Server.
          const classified = classify(0, detail, type);
          const kind = classified === "Server" && code === 1 ? "BadRequest" : classified;
          // A network failure says nothing about whether a write reached the service.
          const maybeApplied = kind === "Transient" && !isReadCmdlet(cmdlet);
          const connect =
            code !== 2
              ? ""
              : kind === "Transient"
                ? " (no answer from Exchange Online)"
                : " (could not connect to Exchange Online, or the request was malformed)";
          const tail = code === 2 && err ? lastLines(stderr) : undefined;
          reject(
            new ExchangeError({
              kind,
              cmdlet,
              status: 0,
              detail,
              exceptionType: type,
              maybeApplied,
              message:
                `${say} failed${connect}${type ? ` (${type.split(".").pop()})` : ""}: ${detail}${tail ? ` [stderr: ${clean(tail)}]` : ""}` +
                (maybeApplied ? " It may have been applied; read before running it again." : ""),
            }),
          );
        });
      });
      child.stdin.end(input);
    });
  }
}

function lastJsonLine(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith("{"));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v = JSON.parse(lines[i]);
      if (v && typeof v === "object" && "ok" in v) return v;
    } catch {
      // not the result line
    }
  }
  return undefined;
}

function lastLines(text: string): string | undefined {
  const t = text.trim();
  return t ? t.split(/\r?\n/).slice(-5).join(" | ") : undefined;
}

function targetOf(p: Record<string, unknown>): string | undefined {
  for (const k of ["Identity", "Name"]) if (typeof p[k] === "string") return p[k] as string;
  return undefined;
}
