// Runs a real Pulumi program (components and resources, constructed by a test) against the real dynamic-
// provider host, playing the engine's side of a deployment. The program runs under `pulumi.runtime.setMocks`;
// the mock monitor hands every custom resource to `Engine` (engine.ts) and answers the SDK with what the
// engine would: the provider's real outputs on `up`, the CHECKED INPUTS of a resource to be created or
// updated on `preview` (the Node host does not support provider previews, so the engine echoes them; unknown
// values stay unknown), the old outputs of an unchanged resource. The SDK itself waits for a resource's
// dependencies before it registers it, so values and ordering flow exactly as in `pulumi up`.
//
// What the engine does that the SDK does not, this runner does:
// - step generation one resource at a time: check and diff never overlap; create/update/delete of
//   independent resources run concurrently in the one host process;
// - a checkpoint: per-resource state (in Engine) and the dependencies each registration declared;
// - at the end of an up: resources the program no longer registers are deleted, and objects superseded by a
//   create-before-delete replacement, dependants first;
// - refresh reads every resource concurrently; destroy deletes dependants before their dependencies;
// - the `retainOnDelete` and `deleteBeforeReplace` options, and secrets: the host gets plain values, the
//   program gets outputs named like a secret input or listed in `additionalSecretOutputs` back as secrets.

import * as pulumi from "@pulumi/pulumi";
import { Engine, type DeclaredResource, type PlannedStep, type RefreshResult, type ResourceState } from "./engine";
import { UNKNOWN, type Props } from "./providerHost";

/**
 * Builds the program's resources; what it returns is resolved like a stack's exports. It may be async, as a
 * stack's program may be (`export = async () => …`, index.ts): its promise is awaited for the exports.
 */
export type Program = () => Record<string, unknown> | void | Promise<Record<string, unknown> | void>;

export interface Step {
  op: "create" | "same" | "update" | "replace" | "delete";
  urn: string;
  type: string;
  name: string;
  /** Properties the provider said force the replacement. */
  replaces?: string[];
  /** Inputs that reached the engine as secrets (a secret output of another resource, `pulumi.secret`). */
  secretInputs?: string[];
}

export interface RunResult {
  steps: Step[];
  /** The program's exports, resolved; values unknown at preview are the unknown sentinel. */
  outputs: Record<string, unknown>;
  /** Exports that are secrets (the CLI shows them as [secret]). */
  secretOutputs: string[];
}

interface Registration {
  type: string;
  name: string;
  mockUrn: string;
  deps: string[];
  deleteBeforeReplace: boolean;
  retainOnDelete: boolean;
  additionalSecretOutputs: string[];
}

const MONITOR_TIMEOUT_MS = 120_000;
const NEVER = new Promise<never>(() => undefined);

export class ProgramRunner {
  /** The checkpoint's `dependencies` of each resource (engine URNs), as its last successful registration declared them. */
  readonly dependencies = new Map<string, string[]>();
  /**
   * When each change ran: `start <op> <urn>` and `done <op> <urn>` for creates, updates, replacements and deletes,
   * so a test can tell that one finished before another began (the engine's calls log shows only starts).
   */
  readonly log: string[] = [];
  private readonly retain = new Set<string>();
  private running = false;

  constructor(
    readonly engine: Engine,
    private readonly opts: {
      project?: string;
      stack?: string;
      /** Longest wait for a run's registrations (default 120 s). */ timeoutMs?: number;
    } = {},
  ) {}

  /** `pulumi preview`: the program runs with `isDryRun()`; only check and diff reach the provider. */
  preview(program: Program): Promise<RunResult> {
    return this.run(program, true);
  }

  /** `pulumi up`. Throws (after the run settles, as the engine would report) when any step failed. */
  up(program: Program): Promise<RunResult> {
    return this.run(program, false);
  }

  /** `pulumi refresh`: read every resource in the state concurrently; a blank id drops it from the state. */
  async refresh(): Promise<Map<string, RefreshResult>> {
    const all = [...this.engine.states.values()];
    const results = await Promise.allSettled(all.map((s) => this.engine.refresh(s)));
    const out = new Map<string, RefreshResult>();
    results.forEach((r, i) => {
      if (r.status === "fulfilled") out.set(all[i].urn, r.value);
      if (r.status === "fulfilled" && r.value.op === "gone") this.dependencies.delete(all[i].urn);
    });
    throwIfFailed(
      "refresh",
      results,
      all.map((s) => s.urn),
    );
    return out;
  }

  /** `pulumi destroy`: every resource, dependants before what they depend on. */
  async destroy(): Promise<Step[]> {
    return this.deleteAll([...this.engine.states.keys()], []);
  }

  private async run(program: Program, preview: boolean): Promise<RunResult> {
    if (this.running) throw new Error("a program run is already in progress");
    this.running = true;
    try {
      return await this.runOnce(program, preview);
    } finally {
      this.running = false;
    }
  }

  private async runOnce(program: Program, preview: boolean): Promise<RunResult> {
    const engine = this.engine;
    const steps: Step[] = [];
    const failures: Error[] = [];
    const pending = new Map<string, Registration>();
    const seen = new Map<string, Registration>();
    const mockToUrn = new Map<string, string>();
    const replaced: ResourceState[] = [];
    const inflight = new Set<Promise<unknown>>();
    let failed: () => void = () => undefined;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    // Step generation is sequential in the engine: one check/diff at a time, in registration order.
    let generation: Promise<unknown> = Promise.resolve();
    const serially = <T>(f: () => Promise<T>): Promise<T> => {
      const next = generation.then(f, f);
      generation = next.catch(() => undefined);
      return next;
    };

    const onCustom = async (reg: Registration, rawInputs: Props): Promise<{ id: string; state: Props }> => {
      const urn = engine.urn(reg);
      if (seen.has(urn)) throw new Error(`${urn}: registered twice in one run (a duplicate resource name)`);
      seen.set(urn, reg);
      mockToUrn.set(reg.mockUrn, urn);
      const { inputs, secretInputs } = toWire(rawInputs, urn);
      const declared: DeclaredResource = {
        type: reg.type,
        name: reg.name,
        inputs,
        secretInputs,
        deleteBeforeReplace: reg.deleteBeforeReplace,
      };
      const secretNames = new Set([...secretInputs, ...reg.additionalSecretOutputs]);
      const old = engine.states.get(urn);
      const step: PlannedStep = await serially(() => engine.plan(declared));
      steps.push({
        op: step.op,
        urn,
        type: reg.type,
        name: reg.name,
        ...(step.op === "replace" ? { replaces: step.diff?.replaces } : {}),
        ...(secretInputs.length > 0 ? { secretInputs } : {}),
      });
      const deps = reg.deps.map((d) => mockToUrn.get(d)).filter((d): d is string => d !== undefined);
      if (preview) {
        // Unsupported provider preview: the engine hands back the new inputs (Update/Create with Preview).
        const outputs = step.op === "same" ? old!.outputs : step.inputs;
        return { id: old && step.op !== "replace" ? old.id : "", state: asSecrets(outputs, secretNames) };
      }
      // Step generation went on while another step failed: the engine starts nothing new after a failure.
      if (failures.length > 0) throw new Cancelled();
      if (step.op !== "same") this.log.push(`start ${step.op} ${urn}`);
      const { state } = await engine.apply(declared, step, { onReplaced: (o) => replaced.push(o) });
      if (step.op !== "same") this.log.push(`done ${step.op} ${urn}`);
      this.dependencies.set(urn, deps);
      if (reg.retainOnDelete) this.retain.add(urn);
      else this.retain.delete(urn);
      return { id: state.id, state: asSecrets(state.outputs, secretNames) };
    };

    await pulumi.runtime.setMocks(
      {
        newResource: async (args) => {
          const key = `${args.type}::${args.name}`;
          const reg = pending.get(key);
          pending.delete(key);
          if (!args.custom) return { id: undefined, state: {} };
          if (!reg) throw new Error(`${key}: no registration request seen for it`);
          // After a failed step the engine starts no new step and lets the running ones finish; the program
          // is then stopped. Registrations are left unanswered rather than failed, so the SDK raises no
          // unhandled rejections for what is, to the engine, one reported error.
          if (failures.length > 0) return NEVER;
          const op = onCustom(reg, args.inputs as Props);
          inflight.add(op);
          try {
            return await op;
          } catch (e) {
            if (!(e instanceof Cancelled)) failures.push(e as Error);
            failed();
            return NEVER;
          } finally {
            inflight.delete(op);
          }
        },
        call: (args) => {
          throw new Error(`the program invoked ${args.token}; this runner plays no invokes`);
        },
      },
      this.opts.project ?? "xtmm",
      this.opts.stack ?? "test",
      preview,
    );
    // The mock hands newResource no options or dependencies; the request the SDK built has them all.
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
      const type: string = req.getType();
      const name: string = req.getName();
      pending.set(`${type}::${name}`, {
        type,
        name,
        mockUrn: monitor.newUrn(req.getParent(), type, name),
        deps: req.getDependenciesList(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        retainOnDelete: req.hasRetainondelete?.() ? req.getRetainondelete() : false,
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      });
      return register(req, callback);
    };

    let exported: Record<string, unknown> = {};
    try {
      const result = program();
      // An async program's exports; a failed step leaves it waiting on registrations that are never answered.
      exported =
        (result instanceof Promise ? await Promise.race([result, failure.then(() => undefined)]) : result) ?? {};
    } catch (e) {
      failures.push(e as Error);
      failed();
    }
    const settled = Promise.race([(pulumi.runtime as any).waitForRPCs() as Promise<void>, failure]);
    await withTimeout(settled, this.opts.timeoutMs ?? MONITOR_TIMEOUT_MS, "the program's registrations did not settle");
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    if (failures.length === 0) {
      for (const [k, v] of Object.entries(exported)) {
        outputs[k] = await settle(v);
        if (pulumi.Output.isInstance(v) && (await (v as any).isSecret)) secretOutputs.push(k);
      }
    }
    if (failures.length > 0) {
      const err = new Error(
        `${preview ? "preview" : "up"} failed:\n${failures.map((f) => `  ${f.message}`).join("\n")}`,
      );
      (err as Error & { failures: Error[] }).failures = failures;
      throw err;
    }

    // What the program no longer declares goes, as does what replacements superseded.
    const dropped = [...engine.states.keys()].filter((u) => !seen.has(u));
    if (preview) {
      for (const u of dropped)
        steps.push({ op: "delete", urn: u, type: engine.states.get(u)!.type, name: engine.states.get(u)!.name });
    } else {
      await this.deleteAll(dropped, steps);
      const results = await Promise.allSettled(replaced.map((o) => engine.deleteReplaced(o)));
      throwIfFailed(
        "delete of a replaced object",
        results,
        replaced.map((o) => o.urn),
      );
    }
    return { steps, outputs, secretOutputs };
  }

  /** Deletes the given resources, each once nothing still present depends on it; independent ones concurrently. */
  private async deleteAll(urns: string[], steps: Step[]): Promise<Step[]> {
    const doomed = new Set(urns);
    const dependants = (u: string) =>
      [...doomed].filter((o) => o !== u && (this.dependencies.get(o) ?? []).includes(u));
    const started = new Map<string, Promise<void>>();
    const go = (u: string): Promise<void> => {
      let p = started.get(u);
      if (!p) {
        p = (async () => {
          const waited = await Promise.allSettled(dependants(u).map(go));
          // As the engine: what a failed delete still depends on is not touched.
          if (waited.some((w) => w.status === "rejected")) throw new Skipped();
          const state = this.engine.states.get(u)!;
          steps.push({ op: "delete", urn: u, type: state.type, name: state.name });
          this.log.push(`start delete ${u}`);
          if (this.retain.has(u)) this.engine.forget(u);
          else await this.engine.destroy(state);
          this.log.push(`done delete ${u}`);
          this.dependencies.delete(u);
          this.retain.delete(u);
        })();
        started.set(u, p);
      }
      return p;
    };
    const results = await Promise.allSettled(urns.map(go));
    const skipped = urns.filter(
      (_, i) => results[i].status === "rejected" && (results[i] as PromiseRejectedResult).reason instanceof Skipped,
    );
    const failed = results.map((r) =>
      r.status === "rejected" && r.reason instanceof Skipped ? { status: "fulfilled" as const, value: undefined } : r,
    );
    throwIfFailed(
      skipped.length > 0 ? `delete (${skipped.length} left in place behind the failures)` : "delete",
      failed,
      urns,
    );
    return steps;
  }
}

class Skipped extends Error {}
class Cancelled extends Error {}

/** Inputs as the engine sends them to the host: plain values (secrets unwrapped), unknowns as the sentinel. */
function toWire(raw: Props, urn: string): { inputs: Props; secretInputs: string[] } {
  const secretInputs: string[] = [];
  const plain = (v: unknown, at: string): unknown => {
    if (pulumi.isUnknown(v)) return UNKNOWN;
    if (pulumi.Resource.isInstance(v))
      throw new Error(`${urn}: input ${at} is a resource reference; dynamic providers take plain values`);
    if (Array.isArray(v)) return v.map((x, i) => plain(x, `${at}[${i}]`));
    if (v && typeof v === "object") {
      const o = v as Props;
      if (o[SECRET_SIG_KEY] === SECRET_SIG) {
        secretInputs.push(at.split(/[.[]/)[0]);
        return plain(o.value, at);
      }
      const out: Props = {};
      for (const [k, x] of Object.entries(o)) if (x !== undefined) out[k] = plain(x, at ? `${at}.${k}` : k);
      return out;
    }
    return v;
  };
  const inputs = plain(raw, "") as Props;
  return { inputs, secretInputs: [...new Set(secretInputs)] };
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The engine marks outputs secret when an input of the same name was, or the resource listed them. */
function asSecrets(outputs: Props, names: Set<string>): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(outputs)) out[k] = names.has(k) && v !== UNKNOWN ? pulumi.secret(v) : v;
  return out;
}

/** Resolves exports the way the CLI prints them, leaf by leaf, keeping unknowns as the sentinel. */
async function settle(v: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(v)) {
    // At preview an unresolved output resolves to undefined with isKnown false.
    if (!(await (v as any).isKnown)) return UNKNOWN;
    return settle(await (v as any).promise(true));
  }
  if (pulumi.isUnknown(v)) return UNKNOWN;
  if (v instanceof Promise) return settle(await v);
  if (pulumi.Resource.isInstance(v)) return `<resource>`;
  if (Array.isArray(v)) return Promise.all(v.map(settle));
  if (v && typeof v === "object") {
    const out: Props = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = await settle(x);
    return out;
  }
  return v;
}

function throwIfFailed(what: string, results: PromiseSettledResult<unknown>[], urns: string[]): void {
  const failed = results.flatMap((r, i) =>
    r.status === "rejected" ? [`  ${urns[i]}: ${(r.reason as Error)?.message ?? r.reason}`] : [],
  );
  if (failed.length > 0) throw new Error(`${what} failed:\n${failed.join("\n")}`);
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
