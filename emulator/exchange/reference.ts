// Microsoft's cmdlet reference (emulator/reference/exchange-cmdlets.json) as binding reads it: each
// cmdlet's parameter sets and parameters, with what Exchange Online takes of them.

import reference from "../reference/exchange-cmdlets.json";

export interface SetEntry {
  name: string;
  required: boolean;
  exchangeOnline: boolean;
}
export interface ParamSpec {
  type: string | string[];
  exchangeOnline: boolean;
  acceptedValues?: string[];
}
export interface CmdletSpec {
  name: string;
  exchangeOnline: boolean;
  supportsCommonParameters: boolean;
  parameterSets: Record<string, SetEntry[]>;
  parameters: Record<string, ParamSpec>;
}

const SPECS = new Map<string, CmdletSpec>();
for (const [name, c] of Object.entries(
  (reference as unknown as { cmdlets: Record<string, Omit<CmdletSpec, "name">> }).cmdlets,
)) {
  SPECS.set(name.toLowerCase(), { name, ...c });
}

export function cmdletSpec(name: string): CmdletSpec | undefined {
  return SPECS.get(name.toLowerCase());
}

export function allCmdlets(): string[] {
  return [...SPECS.values()].filter((c) => c.exchangeOnline).map((c) => c.name);
}
