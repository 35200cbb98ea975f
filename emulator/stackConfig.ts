// How a stack points at this emulator: the `xtmm:` configuration (as the engine hands it to the provider
// host) for the emulator's custom cloud with client-secret sign-in in both tenants. The sandbox runner, the
// provider-host tests and the tenant-layer tests all derive their settings from this one function.

/** The emulator facts the configuration is built from (a structural subset of `Emulator` and of the CLI's JSON line). */
export interface EmulatorEndpointsInfo {
  caFile: string;
  endpoints: { login: string; graph: string; exchange: string };
  tenants: Record<"source" | "target", { tenantId: string; domain: string; clientId: string; clientSecret: string }>;
}

/** Keys that hold the emulator's credentials; whoever writes them to a file must encrypt them. */
export const EMULATOR_SECRET_KEYS = ["xtmm:sourceClientSecret", "xtmm:targetClientSecret"] as const;

export function emulatorStackConfig(
  emu: EmulatorEndpointsInfo,
  extra: Record<string, string> = {},
): Record<string, string> {
  const config: Record<string, string> = {
    "xtmm:cloud": "custom",
    "xtmm:customLoginEndpoint": emu.endpoints.login,
    "xtmm:customGraphEndpoint": emu.endpoints.graph,
    "xtmm:customExchangeEndpoint": emu.endpoints.exchange,
    "xtmm:customCaFile": emu.caFile,
  };
  for (const role of ["source", "target"] as const) {
    const t = emu.tenants[role];
    config[`xtmm:${role}TenantId`] = t.tenantId;
    config[`xtmm:${role}Domain`] = t.domain;
    config[`xtmm:${role}Auth`] = "clientSecret";
    config[`xtmm:${role}ClientId`] = t.clientId;
    config[`xtmm:${role}ClientSecret`] = t.clientSecret;
  }
  for (const [k, v] of Object.entries(extra)) config[k.includes(":") ? k : `xtmm:${k}`] = v;
  return config;
}
