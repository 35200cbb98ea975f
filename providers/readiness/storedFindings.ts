// How a Readiness keeps its findings in the stack's state. A wave's first check usually finds the same thing
// for most of its users (no migration licence yet, not in the scope group): 2,000 findings whose message and
// fix differ only in the user's two addresses, about 600 bytes each, written twice per check (the checked
// inputs and the outputs). So findings that differ only there are kept once as a group: the text with
// `{user}` and `{source}` where each user's target and source addresses go, and the users it concerns. A
// group is kept only when every member expands back to exactly the finding it came from; anything else
// stays in `findings` as it was. State written before groups existed has every finding in `findings`, and
// reads the same.

import type { Finding, ReadinessUser } from "./model";
import { tableRecords } from "../recordTable";

/** Findings of one check that differ only in the user they name. */
export interface FindingGroup {
  check: string;
  severity: Finding["severity"];
  tenant: Finding["tenant"];
  pending: boolean;
  /** The message, with `{user}` for the user's target address and `{source}` for its source address. */
  message: string;
  fix: string;
  /** Target addresses of the users it concerns. */
  users: string[];
  /** Where each of them stood in the whole list of findings, so the expanded list keeps its order. */
  at: number[];
}

export interface StoredFindings {
  findings: Finding[];
  userFindings: FindingGroup[];
}

const USER = "{user}";
const SOURCE = "{source}";

const fill = (template: string, user: string, source: string): string =>
  template.split(USER).join(user).split(SOURCE).join(source);

/** The text with the user's addresses as placeholders; undefined when that would not come back exactly. */
function templateOf(text: string, user: string, source: string | undefined): string | undefined {
  if (text.includes(USER) || text.includes(SOURCE)) return undefined;
  let t = text.split(user).join(USER);
  if (source) t = t.split(source).join(SOURCE);
  return fill(t, user, source ?? "") === text ? t : undefined;
}

/** Findings as the state keeps them: groups for what repeats per user, the rest as they are, in order. */
export function storeFindings(all: Finding[], users: ReadinessUser[]): StoredFindings {
  const sourceOf = new Map(users.map((u) => [u.target, u.source]));
  const groups = new Map<string, FindingGroup>();
  const keyOf: (string | undefined)[] = all.map((f, i) => {
    if (f.user === null) return undefined;
    const source = sourceOf.get(f.user);
    const message = templateOf(f.message, f.user, source);
    const fix = templateOf(f.fix, f.user, source);
    if (message === undefined || fix === undefined) return undefined;
    const key = JSON.stringify([f.check, f.severity, f.tenant, f.pending, message, fix]);
    const g = groups.get(key);
    if (g) {
      g.users.push(f.user);
      g.at.push(i);
    } else {
      const { check, severity, tenant, pending } = f;
      groups.set(key, { check, severity, tenant, pending, message, fix, users: [f.user], at: [i] });
    }
    return key;
  });
  const kept = new Set([...groups].filter(([, g]) => g.users.length > 1).map(([k]) => k));
  return {
    findings: all.filter((_, i) => !kept.has(keyOf[i] ?? "")),
    userFindings: [...groups].filter(([k]) => kept.has(k)).map(([, g]) => g),
  };
}

const isGroup = (g: unknown): g is FindingGroup =>
  !!g &&
  typeof g === "object" &&
  Array.isArray((g as FindingGroup).users) &&
  Array.isArray((g as FindingGroup).at) &&
  (g as FindingGroup).users.length === (g as FindingGroup).at.length;

/**
 * Every finding, as the check made them, from a Readiness's record (checked inputs or outputs, of any version):
 * its `findings`, its `userFindings` groups, and its `users` (which give each group's `{source}`).
 */
export function expandFindings(record: { findings?: unknown; userFindings?: unknown; users?: unknown }): Finding[] {
  const plain = Array.isArray(record.findings) ? (record.findings as Finding[]) : [];
  const groups = Array.isArray(record.userFindings) ? record.userFindings.filter(isGroup) : [];
  if (groups.length === 0) return plain;
  const listed = tableRecords(record.users);
  const users = Array.isArray(listed) ? (listed as ReadinessUser[]) : [];
  const sourceOf = new Map(users.filter((u) => u && typeof u === "object").map((u) => [u.target, u.source]));
  const total = plain.length + groups.reduce((n, g) => n + g.users.length, 0);
  const slots: (Finding | undefined)[] = new Array(total);
  const late: Finding[] = [];
  for (const g of groups) {
    g.users.forEach((user, k) => {
      const source = sourceOf.get(user) ?? "";
      const f: Finding = {
        check: g.check,
        severity: g.severity,
        tenant: g.tenant,
        user,
        pending: g.pending,
        message: fill(g.message, user, source),
        fix: fill(g.fix, user, source),
      };
      const i = g.at[k];
      // A position out of range or taken (a hand-edited state) still keeps the finding, at the end.
      if (Number.isInteger(i) && i >= 0 && i < total && slots[i] === undefined) slots[i] = f;
      else late.push(f);
    });
  }
  let next = 0;
  for (let i = 0; i < total && next < plain.length; i++) if (slots[i] === undefined) slots[i] = plain[next++];
  return [...slots.filter((f): f is Finding => f !== undefined), ...plain.slice(next), ...late];
}
