// When PowerShell cannot run here: the error that says so and how to fix it, with the command an engineer can
// paste into PowerShell by hand instead (every credential replaced by a Get-Credential prompt, every secret by
// Read-Host, so the command itself holds none).

import { encodeParameters } from "./exchangeWire";
import type { TenantSettings } from "./settings";

/** The value of a PSCredential parameter, built in the child from these two strings. */
export interface PowerShellCredential {
  userName: string;
  password: string;
}

/** pwsh is not installed where we looked; carries the command the engineer can run by hand instead. */
export class PowerShellUnavailableError extends Error {
  readonly pwshPath: string;
  readonly manualCommand: string;
  constructor(message: string, pwshPath: string, manualCommand: string) {
    super(message);
    this.name = "PowerShellUnavailableError";
    this.pwshPath = pwshPath;
    this.manualCommand = manualCommand;
  }
}

export function unavailable(
  settings: TenantSettings,
  code: string,
  cmdlet: string,
  manual: string,
): PowerShellUnavailableError {
  const why = code === "ENOENT" ? "was not found" : "is not executable";
  return new PowerShellUnavailableError(
    `PowerShell (pwsh) ${why} at '${settings.pwshPath}' (config key pwshPath). ${cmdlet} cannot run over the Exchange admin REST API, ` +
      `so it needs PowerShell 7 with the ExchangeOnlineManagement module: install them and run 'pulumi config set pwshPath <path to pwsh>', ` +
      `or run this once yourself in PowerShell (enter the secret when prompted; it is not shown here), then run 'pulumi up' again:\n\n${manual}\n`,
    settings.pwshPath,
    manual,
  );
}

/** The command an engineer can paste, with every credential replaced by a Get-Credential prompt. */
export function manualCommand(
  settings: Pick<TenantSettings, "domain" | "cloud">,
  cmdlet: string,
  parameters: Record<string, unknown>,
  credentials: Record<string, PowerShellCredential>,
): string {
  const env =
    settings.cloud.name === "gcchigh"
      ? " -ExchangeEnvironmentName O365USGovGCCHigh"
      : settings.cloud.name === "dod"
        ? " -ExchangeEnvironmentName O365USGovDoD"
        : "";
  const parts = [cmdlet];
  for (const [k, v] of Object.entries(encodeParameters(parameters))) {
    if (/password|secret/i.test(k)) parts.push(`-${k} (Read-Host -AsSecureString ${psString(k)})`);
    else if (v === true) parts.push(`-${k}`);
    else if (v === false) parts.push(`-${k}:$false`);
    else parts.push(`-${k} ${psValue(v)}`);
  }
  for (const [k, c] of Object.entries(credentials)) parts.push(`-${k} (Get-Credential ${psString(c.userName)})`);
  return `Connect-ExchangeOnline -Organization ${psString(settings.domain)}${env}\n${parts.join(" ")}`;
}

function psString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function psValue(v: unknown): string {
  if (v === null) return "$null";
  if (typeof v === "string") return psString(v);
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "$true" : "$false";
  if (Array.isArray(v)) return v.map(psValue).join(",");
  const entries = Object.entries(v as Record<string, unknown>).filter(([k]) => !k.includes("@"));
  return `@{${entries.map(([k, x]) => `${k}=${psValue(x)}`).join("; ")}}`;
}
