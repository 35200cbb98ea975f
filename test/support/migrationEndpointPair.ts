// What the MigrationEndpoint tests need besides the resource: the migration app registered in the target
// with a secret and consented in the source (written straight into the emulator's directory with the
// Exchange author's fixtures, so these tests do not depend on the MigrationApp or AdminConsent resources),
// and secrets added and removed through Graph as the app resource would.

import type { Emulator } from "../../emulator";
import { applicationByAppId, type Rec, type Stored } from "../../emulator/model";
import { consentInSource, registerMigrationApp } from "../../emulator/exchange/fixtures";
import { SECRET as ENDPOINT_CREDENTIAL } from "../../emulator/exchange/cmdlets/endpoints";
import { declareResource, type DeclaredResource } from "../../harness/engine";
import { emulatorTenantSettings, tenantOf } from "./emulator";
import { createTenantClient } from "../../providers/tenant";
import { MigrationEndpoint, type MigrationEndpointArgs } from "../../providers/migrationEndpoint";
export { FAKE_PWSH } from "../../emulator/fakePwsh";

export interface TestApp {
  appId: string;
  objectId: string;
  secret: string;
  keyId: string;
}

/** The migration app in the target, with one current secret (what the MigrationApp resource makes). */
export function registerApp(emu: Emulator): TestApp {
  const { appId, secret } = registerMigrationApp(tenantOf(emu, "target"), Date.now());
  const app = applicationByAppId(emu.state, appId)!.app.obj;
  const keyId = String((app.passwordCredentials as Rec[])[0].keyId);
  return { appId, objectId: String(app.id), secret, keyId };
}

/** Admin consent in the source, granted at `at` (what the source AdminConsent resource makes). */
export function consent(emu: Emulator, appId: string, at = Date.now() - 86_400_000): string {
  consentInSource(tenantOf(emu, "source"), appId, at);
  return new Date(at).toISOString();
}

/** A pair ready for an endpoint: the target hydrated, the migration app registered there and consented in the source. */
export function preparePair(emu: Emulator): TestApp {
  tenantOf(emu, "target").exchange.organizationConfig.IsDehydrated = false;
  const app = registerApp(emu);
  consent(emu, app.appId);
  return app;
}

async function targetGraph(emu: Emulator) {
  return createTenantClient(emulatorTenantSettings(emu, "target")).graph();
}

/** A new secret on the app through Graph, as a rotation by the MigrationApp resource would add it. */
export async function addSecret(emu: Emulator, app: TestApp): Promise<{ secret: string; keyId: string }> {
  const r = await (
    await targetGraph(emu)
  )
    .api(`/applications/${app.objectId}/addPassword`)
    .post({ passwordCredential: { displayName: "rotation" } });
  return { secret: r.secretText, keyId: r.keyId };
}

export async function removeSecret(emu: Emulator, app: TestApp, keyId: string): Promise<void> {
  await (await targetGraph(emu)).api(`/applications/${app.objectId}/removePassword`).post({ keyId });
}

export function endpointsIn(emu: Emulator): Stored[] {
  return [...tenantOf(emu, "target").exchange.migrationEndpoints.values()];
}

export function endpointNamed(emu: Emulator, name: string): Rec | undefined {
  return endpointsIn(emu).find((s) => String(s.obj.Name).toLowerCase() === name.toLowerCase())?.obj;
}

/** The credential the emulator stored with an endpoint (what Exchange would use for the moves). */
export function storedCredential(ep: Rec | undefined): { userName: string; password: string } | undefined {
  return (ep?.[ENDPOINT_CREDENTIAL] as { userName: string; password: string } | null) ?? undefined;
}

export function endpointArgs(
  emu: Emulator,
  app: TestApp,
  over: Partial<MigrationEndpointArgs> = {},
): MigrationEndpointArgs {
  return {
    name: "xtmm-source",
    appId: app.appId,
    clientSecret: app.secret,
    secretKeyId: app.keyId,
    remoteTenant: emu.tenants.source.domain,
    ...over,
  };
}

/** The resource as the program registers it, with its inputs as the engine hands them to the host. */
export async function declareEndpoint(
  resourceName: string,
  args: MigrationEndpointArgs | Record<string, unknown>,
): Promise<DeclaredResource> {
  const r = await declareResource(() => new MigrationEndpoint(resourceName, args as MigrationEndpointArgs));
  // Guard against testing a resource that forgot to mark the secret.
  if (typeof args.clientSecret === "string" && !(r.secretInputs ?? []).includes("clientSecret")) {
    throw new Error("MigrationEndpoint did not register clientSecret as a secret");
  }
  return r;
}

/** Exchange requests since a mark: over REST (`/adminapi/`) or through the pwsh stand-in (`/_pwsh/`). */
export function exchangeCalls(emu: Emulator, since: number) {
  return emu.requests
    .slice(since)
    .filter((r) => r.surface === "exchange")
    .map((r) => ({ ...r, via: r.path.includes("/_pwsh/") ? ("pwsh" as const) : ("rest" as const) }));
}
