// The migration waves an engineer declares (stack keys `waves`, `domainMap`, `targetDomains`,
// `targetDeliveryDomain`, `purgeStagedUsersOnDestroy`; each wave's `batch`, `split` and `clearPreviousMailboxInfo` are checked by
// config/moveConfig.ts), read and checked offline before any resource is
// declared: every problem at once, each named by its stack key or by CSV file and line, with the fix. The
// staging rules themselves are the pure functions of providers/staging/plan.ts, told how to name a place
// (Places); the SourceMailboxes check runs the same rules inside the provider host, for a wave declared
// without this reader.

import type * as pulumi from "@pulumi/pulumi";
import { StackConfigError } from "./stackConfig";
import { csvUsers, FIELDS, type Declared } from "./waveCsv";
import { parseBatch, parseClearPreviousMailboxInfo, parseLiveTest, parseSplit, type BatchPlan } from "./moveConfig";
import { domainProblem } from "../domain/addresses";
import {
  BATCH_LIMIT,
  planWave,
  validateTarget,
  type DeclaredUser,
  type Places,
  type PlannedUser,
} from "../providers/staging/plan";

export interface WavePlan {
  name: string;
  users: PlannedUser[];
  /** `waves.<wave>.batch`: the wave's migration batch(es); absent = none. */
  batch?: BatchPlan;
  /** `waves.<wave>.split`: the wave may exceed 2,000 users and moves in several batches. */
  split?: boolean;
  /** `waves.<wave>.clearPreviousMailboxInfo`: target addresses whose previous-mailbox information is cleared (opt-in). */
  clearPreviousMailboxInfo?: string[];
  /** `waves.<wave>.liveTest`: a live test move per ready user at `pulumi up` (opt-in). */
  liveTest?: boolean;
}

export interface StagingConfig {
  waves: WavePlan[];
  targetDomains: string[];
  targetDeliveryDomain: string;
  purgeStagedUsersOnDestroy: boolean;
}

/** Planned-user field → the name the engineer wrote it under. */
const DECLARED_NAME: Record<string, string> = { sourceAddress: "source", userPrincipalName: "upn" };
const WAVE_KEYS = ["users", "csv", "batch", "split", "clearPreviousMailboxInfo", "liveTest"];
// Wave names become resource names (`source-mailboxes/<wave>`), so they stay plain.
const WAVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function readStaging(config: pulumi.Config, projectDir: string): StagingConfig {
  const ns = config.name;
  const problems: string[] = [];
  const key = (k: string) => `${ns}:${k}`;
  const object = <T>(k: string, example: string): T | undefined => {
    try {
      return config.getObject<T>(k);
    } catch {
      problems.push(
        `${key(k)} is not structured configuration (a YAML/JSON value); set it by path, e.g. pulumi config set --path ${example}`,
      );
      return undefined;
    }
  };
  const TD_EXAMPLE = "'targetDomains[0]' contoso.com";
  const MAP_EXAMPLE = `'domainMap["fabrikam.com"]' contoso.com`;
  const WAVES_EXAMPLE = "'waves.wave-1.csv' waves/wave-1.csv";
  const text = (k: string): string | undefined => {
    const v = config.get(k);
    return v === undefined || v.trim() === "" ? undefined : v.trim().toLowerCase();
  };

  const targetDomain = text("targetDomain");
  let targetDomains = object<unknown>("targetDomains", TD_EXAMPLE);
  if (targetDomains === undefined || (Array.isArray(targetDomains) && targetDomains.length === 0)) {
    targetDomains = targetDomain ? [targetDomain] : [];
  }
  if (!Array.isArray(targetDomains) || targetDomains.some((d) => typeof d !== "string")) {
    problems.push(
      `${key("targetDomains")} must be a list of domain names, e.g. pulumi config set --path ${TD_EXAMPLE}`,
    );
    targetDomains = [];
  }
  const domains = (targetDomains as string[]).map((d) => d.trim().toLowerCase());
  const delivery = text("targetDeliveryDomain") ?? targetDomain ?? "";

  let purge = false;
  try {
    purge = config.getBoolean("purgeStagedUsersOnDestroy") ?? false;
  } catch {
    problems.push(
      `${key("purgeStagedUsersOnDestroy")} must be true or false: pulumi config set purgeStagedUsersOnDestroy true`,
    );
  }

  const domainMap: Record<string, string> = {};
  const rawMap = object<unknown>("domainMap", MAP_EXAMPLE) ?? {};
  if (!isPlainObject(rawMap)) {
    problems.push(
      `${key("domainMap")} must map source domains to target domains, e.g. pulumi config set --path ${MAP_EXAMPLE}`,
    );
  } else {
    for (const [from, to] of Object.entries(rawMap)) {
      const why =
        domainProblem(from.trim().toLowerCase()) ??
        (typeof to === "string" ? domainProblem(to.trim().toLowerCase()) : "must be a domain name");
      if (why) problems.push(`${key(`domainMap["${from}"]`)}: ${why}`);
      else domainMap[from.trim().toLowerCase()] = (to as string).trim().toLowerCase();
    }
  }

  // The target-wide settings are checked once, not per wave.
  for (const f of validateTarget({ targetDomains: domains, targetDeliveryDomain: delivery })) {
    if (f.property === "targetDeliveryDomain" && delivery === "") {
      problems.push(
        `${key("targetDeliveryDomain")} is not set and neither is ${key("targetDomain")}, its default; set the target tenant's initial domain: pulumi config set targetDomain <name>.onmicrosoft.com`,
      );
    } else problems.push(`${key(f.property)}: ${f.reason}`);
  }

  const waves: WavePlan[] = [];
  const rawWaves = object<unknown>("waves", WAVES_EXAMPLE) ?? {};
  if (!isPlainObject(rawWaves)) {
    problems.push(`${key("waves")} must be an object of waves, e.g. pulumi config set --path ${WAVES_EXAMPLE}`);
  } else {
    // Users are unique across waves too: they are one tenant's recipients, and one resource each.
    const seen = new Map<string, string>();
    for (const [name, spec] of Object.entries(rawWaves)) {
      const declared = declaredUsers(name, spec, key, projectDir, problems);
      if (!declared) continue;
      const split = parseSplit(spec.split, key(`waves.${name}.split`), problems);
      const liveTest = parseLiveTest(spec.liveTest, key(`waves.${name}.liveTest`), problems);
      const batch =
        spec.batch === undefined || spec.batch === null
          ? undefined
          : parseBatch(spec.batch, key(`waves.${name}.batch`), problems);
      // Failures name what the engineer wrote: the key path or the CSV line, and the field by its declared name.
      const places: Places = {
        user: (i, field) => declared[i].where(DECLARED_NAME[field] ?? field),
        list: key(`waves.${name}`),
      };
      const { users, failures, place } = planWave(
        declared.map((d) => d.user),
        { domainMap, targetDomains: domains, targetDeliveryDomain: delivery, maxUsers: split ? 0 : BATCH_LIMIT },
        places,
      );
      for (const f of failures) {
        if (f.property === places.list) {
          // The wave's size: both ways out, by their keys.
          problems.push(
            `${places.list}: has ${users.length} users; Microsoft allows at most ${BATCH_LIMIT} mailboxes per migration batch. Split it into ` +
              `waves of at most ${BATCH_LIMIT}, or let it move in several batches: pulumi config set --path 'waves.${name}.split' true`,
          );
        } else problems.push(`${f.property}: ${f.reason}`);
      }
      users.forEach((u, j) => {
        for (const field of ["sourceAddress", "targetPrimary", "userPrincipalName", "alias"] as const) {
          const id = `${field}|${u[field].toLowerCase()}`;
          const other = seen.get(id);
          const here = place(j, field);
          if (other && !other.startsWith(`${name}\u0000`)) {
            problems.push(
              `${here}: ${JSON.stringify(u[field])} is also declared in ${other.split("\u0000")[1]}; a user belongs to one wave, so remove one of them`,
            );
          } else if (!other) seen.set(id, `${name}\u0000${here}`);
        }
      });
      const clear = parseClearPreviousMailboxInfo(
        spec.clearPreviousMailboxInfo,
        key(`waves.${name}.clearPreviousMailboxInfo`),
        users,
        problems,
      );
      waves.push({
        name,
        users,
        ...(batch ? { batch } : {}),
        ...(split ? { split } : {}),
        ...(clear.length ? { clearPreviousMailboxInfo: clear } : {}),
        ...(liveTest ? { liveTest } : {}),
      });
    }
  }

  if (problems.length === 1) throw new StackConfigError(problems[0]);
  if (problems.length > 1) {
    throw new StackConfigError(
      `The migration waves have ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
  return { waves, targetDomains: domains, targetDeliveryDomain: delivery, purgeStagedUsersOnDestroy: purge };
}

function declaredUsers(
  name: string,
  spec: unknown,
  key: (k: string) => string,
  projectDir: string,
  problems: string[],
): Declared[] | undefined {
  const at = key(`waves.${name}`);
  if (!WAVE_NAME.test(name)) {
    problems.push(
      `${at}: the wave name must be letters, digits, ".", "-" or "_" (at most 63, starting with a letter or digit), as it names resources`,
    );
    return undefined;
  }
  if (
    !isPlainObject(spec) ||
    Object.keys(spec).some((k) => !WAVE_KEYS.includes(k)) ||
    (spec.users === undefined && spec.csv === undefined)
  ) {
    problems.push(
      `${at} must be { users: [...] } and/or { csv: "<file relative to the project>" }, with optional batch, split, clearPreviousMailboxInfo and liveTest ` +
        `(keys: ${WAVE_KEYS.join(", ")}), e.g. pulumi config set --path 'waves.${name}.csv' waves/${name}.csv`,
    );
    return undefined;
  }
  const out: Declared[] = [];
  const before = problems.length;
  if (spec.users !== undefined) {
    if (!Array.isArray(spec.users))
      problems.push(
        `${at}.users must be a list of source addresses or { source, targetPrimary?, upn?, alias?, displayName?, firstName?, lastName? }`,
      );
    else {
      spec.users.forEach((u: unknown, i: number) => {
        const where = (field?: string) => `${at}.users[${i}]${field ? `.${field}` : ""}`;
        if (typeof u === "string") return out.push({ user: { source: u }, where });
        if (!isPlainObject(u)) return problems.push(`${where()} must be a source address or an object with a source`);
        const bad = Object.entries(u).filter(
          ([k, v]) =>
            !FIELDS.includes(k as keyof DeclaredUser) || (v !== undefined && v !== null && typeof v !== "string"),
        );
        for (const [k] of bad) {
          problems.push(
            FIELDS.includes(k as keyof DeclaredUser)
              ? `${where(k)} must be a string`
              : `${where(k)} is not a user field (fields: ${FIELDS.join(", ")}); remove or rename it`,
          );
        }
        out.push({ user: { ...(u as DeclaredUser) }, where });
      });
    }
  }
  if (spec.csv !== undefined) {
    if (typeof spec.csv !== "string" || spec.csv.trim() === "")
      problems.push(`${at}.csv must be the path of a CSV file relative to the project directory`);
    else out.push(...csvUsers(spec.csv.trim(), `${at}.csv`, projectDir, problems));
  }
  return problems.length === before ? out : undefined;
}

// The stack file's values are untyped until each field is checked, and the checks read them field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export { parseCsv, type CsvRecord } from "./waveCsv";
