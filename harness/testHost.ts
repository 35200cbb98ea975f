// The provider host a jest test file shares: started and configured for the emulator's pair before the
// file's tests, stopped after them, and checked for tenant secrets on its console.

import { type ProviderHost, startProviderHost } from "./providerHost";
import {
  emulatorStackConfig as stackConfigFor,
  type EmulatorEndpointsInfo as EndpointsInfo,
} from "../emulator/stackConfig";

/**
 * Jest: one real provider host for the test file, configured for the emulator's pair (Configure first, as the
 * engine does). When the file ends, it fails if either tenant's secret reached the host's console.
 */
export function useProviderHost(
  emulator: () => EndpointsInfo,
  opts: {
    env?: Record<string, string>;
    /** Extra stack configuration (e.g. `pwshPath`). */ config?: Record<string, string>;
  } = {},
): () => ProviderHost {
  let host: ProviderHost | undefined;
  let secrets: string[] = [];
  beforeAll(async () => {
    const e = emulator();
    secrets = [e.tenants.source.clientSecret, e.tenants.target.clientSecret];
    host = await startProviderHost({ caFile: e.caFile, env: opts.env });
    await host.configure(stackConfigFor(e, opts.config));
  });
  afterAll(async () => {
    if (!host) return;
    const out = host.output();
    await host.stop();
    // The emulator may be stopped already (its afterAll can run first); the secrets were read before.
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) expect(out).not.toContain(secret);
  });
  return () => {
    if (!host) throw new Error("the provider host has not started (useProviderHost's beforeAll has not run)");
    return host;
  };
}
