// Objects as InvokeCommand renders them: PascalCase properties with OData annotations beside them
// (`X@odata.type` for collections and GUIDs, `X@data.type` for dates; as published captures show), the emulator's
// bookkeeping removed, and `$select` applied.

import type { Rec } from "../model";
import { INTERNAL_PREFIX } from "./recipient";

const GUID_PROPS = new Set(["Guid", "ExchangeGuid", "ArchiveGuid", "ExchangeObjectId", "MailboxGuid", "BatchGuid"]);

export function render(o: Rec, select?: string[]): Rec {
  const out: Rec = {};
  const keys = select ? selectKeys(o, select) : Object.keys(o);
  for (const k of keys) {
    if (k.startsWith(INTERNAL_PREFIX)) continue;
    const v = o[k];
    if (Array.isArray(v)) out[`${k}@odata.type`] = "#Collection(String)";
    else if (GUID_PROPS.has(k) && typeof v === "string") {
      out[`${k}@odata.type`] = "#Guid";
      out[`${k}@data.type`] = "System.Guid";
    } else if (/^When/.test(k) && typeof v === "string") out[`${k}@data.type`] = "System.DateTime";
    else if (k === "Identity") out[`${k}@odata.type`] = "#String";
    out[k] = v;
  }
  return out;
}

function selectKeys(o: Rec, select: string[]): string[] {
  const all = Object.keys(o);
  const out: string[] = [];
  for (const s of select) {
    const k = all.find((x) => x === s) ?? all.find((x) => x.toLowerCase() === s.toLowerCase());
    if (k && !out.includes(k)) out.push(k);
  }
  return out;
}
