// A wave's users from a CSV file (`waves.<wave>.csv`): the file read relative to the project, parsed as
// spreadsheets write CSV, its header mapped to the user fields, and each problem named by file and line.

import * as fs from "node:fs";
import * as path from "node:path";
import type { DeclaredUser } from "../providers/staging/plan";

/** CSV columns (header row, case-insensitive; only `source` required) → DeclaredUser fields. */
export const COLUMNS: Record<string, keyof DeclaredUser> = {
  source: "source",
  targetprimary: "targetPrimary",
  upn: "upn",
  alias: "alias",
  displayname: "displayName",
  firstname: "firstName",
  lastname: "lastName",
};
export const FIELDS = Object.values(COLUMNS);

/** A user as the engineer declared it, with where: a stack key path, or a CSV file and line. */
export interface Declared {
  user: DeclaredUser;
  /** Where the engineer wrote it, with a field when given. */
  where(field?: string): string;
}

export function csvUsers(file: string, csvKey: string, projectDir: string, problems: string[]): Declared[] {
  const full = path.resolve(projectDir, file);
  let text: string;
  try {
    text = fs.readFileSync(full, "utf8");
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${(e as Error).message})`;
    problems.push(`${csvKey}: ${full} ${why}; give a path relative to the project directory (${projectDir})`);
    return [];
  }
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (e) {
    problems.push(`${file} ${(e as Error).message}`);
    return [];
  }
  const header = records.shift();
  const columns = (header?.fields ?? []).map((h) => COLUMNS[h.trim().toLowerCase()]);
  const unknown = (header?.fields ?? []).filter((h, c) => !columns[c] && h.trim() !== "");
  if (!header || !columns.includes("source") || unknown.length > 0) {
    problems.push(
      `${file} line ${header?.line ?? 1}: the header row must name the columns, ${Object.values(COLUMNS).join(",")} (only source is required)` +
        (unknown.length ? `; unknown column(s): ${unknown.join(", ")}` : ""),
    );
    return [];
  }
  const out: Declared[] = [];
  for (const r of records) {
    const extra = r.fields.slice(columns.length).filter((f) => f.trim() !== "");
    if (extra.length)
      problems.push(
        `${file} line ${r.line}: ${r.fields.length} fields but the header names ${columns.length}; quote fields that contain commas`,
      );
    const user: Partial<DeclaredUser> = {};
    columns.forEach((c, k) => {
      const v = r.fields[k]?.trim();
      if (c && v) user[c] = v;
    });
    out.push({
      user: { source: "", ...user },
      where: (field) => `${file} line ${r.line}${field ? ` (${field})` : ""}`,
    });
  }
  return out;
}

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

/**
 * RFC 4180 as spreadsheets write it: commas, fields in double quotes ("" for a quote, line breaks inside),
 * CRLF or LF, a UTF-8 byte-order mark. Blank lines are skipped. Throws `line N: <problem>` on a bad quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const fail = (line: number, why: string) => {
    throw new Error(`line ${line}: ${why}; put the whole field in double quotes and write "" for a quote inside it`);
  };
  const isBreak = (c: string | undefined) => c === "\n" || c === "\r";
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let value = "";
      if (src[i] === '"') {
        const opened = line;
        for (i++; ; i++) {
          if (i >= src.length) fail(opened, "a quoted field is never closed");
          if (src[i] === '"' && src[i + 1] === '"') value += src[i++];
          else if (src[i] === '"') break;
          else {
            if (src[i] === "\n" || (src[i] === "\r" && src[i + 1] !== "\n")) line++;
            value += src[i];
          }
        }
        for (i++; src[i] === " " || src[i] === "\t"; i++);
        if (i < src.length && src[i] !== "," && !isBreak(src[i]))
          fail(line, `unexpected ${JSON.stringify(src[i])} after a closing quote`);
      } else {
        for (; i < src.length && src[i] !== "," && !isBreak(src[i]); i++) {
          if (src[i] === '"') fail(line, "a double quote inside an unquoted field");
          value += src[i];
        }
        value = value.trim();
      }
      fields.push(value);
      if (src[i] !== ",") break;
      i++;
    }
    i += src[i] === "\r" && src[i + 1] === "\n" ? 2 : isBreak(src[i]) ? 1 : 0;
    if (!(fields.length === 1 && fields[0] === "")) records.push({ line: start, fields });
    line++;
  }
  return records;
}
