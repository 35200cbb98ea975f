// Create is create-or-adopt by name: an endpoint of that name which matches is adopted (given the stack's
// secret unless `adopt`, and its REST-settable settings converged), one that does not match is an error naming
// each field; with `adopt: true` nothing is created and a missing endpoint is an error with the command to run.

import { log } from "../context";
import type { Inputs, Outputs } from "./inputs";
import { contextFor, outputsOf, type Endpoint, type EndpointContext } from "./endpoint";
import * as service from "./converge";

/** Settings converged over REST (no credential involved). */
export async function convergePlain(ctx: EndpointContext, ep: Endpoint): Promise<boolean> {
  const params: Record<string, unknown> = {};
  if (String(ep.RemoteServer ?? "").toLowerCase() !== ctx.remoteServer.toLowerCase())
    params.RemoteServer = ctx.remoteServer;
  if (
    ctx.maxConcurrentMigrations !== undefined &&
    String(ep.MaxConcurrentMigrations) !== String(ctx.maxConcurrentMigrations)
  ) {
    params.MaxConcurrentMigrations = ctx.maxConcurrentMigrations;
  }
  if (Object.keys(params).length === 0) return false;
  await service.setPlain(ctx, ep.Identity ?? ctx.name, params);
  return true;
}

export async function createOrAdopt(inputs: Inputs): Promise<{ id: string; outs: Outputs }> {
  const svc = service;
  const ctx = contextFor(inputs, inputs.name);
  const existing = await svc.findEndpoint(ctx, ctx.name);
  if (existing) {
    svc.assertMatches(ctx, existing, "was not made by this stack");
    log.info(
      `MigrationEndpoint '${ctx.name}': an endpoint of that name already exists in the target tenant and matches ` +
        `(${existing.EndpointType}, ${existing.RemoteServer}, ${existing.RemoteTenant}, app ${existing.ApplicationId}); adopting it. Destroy will leave it in place.`,
    );
    // Without adopt the stack owns the credential: give it the secret the stack tracks, so secretKeyId is true.
    if (inputs.adopt !== true && ctx.secret) await svc.setCredential(ctx, existing.Identity ?? ctx.name, false);
    const changed = await convergePlain(ctx, existing);
    const ep = (changed ? await svc.findEndpoint(ctx, ctx.name) : undefined) ?? existing;
    const keyId = inputs.adopt !== true && ctx.secret ? (ctx.secretKeyId ?? null) : null;
    return { id: ctx.name, outs: outputsOf(ctx, ep, keyId, true) };
  }
  if (inputs.adopt === true) throw svc.missingForAdoption(ctx);
  const made = await svc.createEndpoint(ctx);
  return { id: ctx.name, outs: outputsOf(ctx, made.endpoint, ctx.secretKeyId ?? null, made.adopted) };
}
