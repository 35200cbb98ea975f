// The processes of this machine as /proc shows them (Linux): who started whom, and with what command line. The
// interruption tests kill a CLI command's whole tree with it; the bench measures the tree's memory.

import * as fs from "node:fs";

export interface ProcessEntry {
  parent: number;
  /** The command line, arguments separated by spaces. */
  cmd: string;
}

/** Every process readable now, by pid. */
export function processTable(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name (in parentheses) may hold spaces: the fields after it are fixed.
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      table.set(Number(entry), { parent, cmd: fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ") });
    } catch {
      // ended while we looked
    }
  }
  return table;
}

/** Every live process below `root` (its children, theirs, ...). */
export function descendants(root: number, table = processTable()): number[] {
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, { parent }] of table) {
      if (parent === pid && !out.includes(child)) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}
