// Plays the Pulumi engine's side of the resource-provider protocol against the real dynamic-provider host
// (providerHost.ts), in the engine's order: check, then diff
// with the OLD OUTPUTS, then create / update / replace; preview stops after diff; refresh reads with the
// state, keeps the inputs a read hands back, and diffs the refreshed outputs against the inputs the state had
// before the read; destroy deletes with the state. It keeps a small state per resource as the engine's
// checkpoint would, and asserts what the engine would reject.

import { type Props, type ProviderHost, type CheckFailure, type DiffResponse, UNKNOWN } from "./providerHost";
import { SECRET_SIG, type DeclaredResource } from "./declaredResource";

// Tests take the program's side from here too.
export { declareResource, withUnknowns, type DeclaredResource } from "./declaredResource";
export { emulatorStackConfig, type EmulatorEndpointsInfo } from "../emulator/stackConfig";

/** What the engine's checkpoint keeps for one resource. */
export interface ResourceState {
  urn: string;
  type: string;
  name: string;
  id: string;
  inputs: Props;
  outputs: Props;
}

export type StepOp = "create" | "same" | "update" | "replace" | "delete" | "refresh" | "read-gone";

export interface PlannedStep {
  op: "create" | "same" | "update" | "replace";
  /** Inputs as check returned them. */
  inputs: Props;
  diff?: DiffResponse;
}

export interface RefreshResult {
  /** "gone": read returned a blank id and the resource left the state; "drift": diff found changes. */
  op: "gone" | "same" | "drift";
  diff?: DiffResponse;
  state?: ResourceState;
}

/** The engine stops a step on check failures; the message lists them as the CLI would. */
export class CheckFailedError extends Error {
  constructor(
    readonly urn: string,
    readonly failures: CheckFailure[],
  ) {
    super(`${urn}: check failed:\n${failures.map((f) => `  ${f.property}: ${f.reason}`).join("\n")}`);
    this.name = "CheckFailedError";
  }
}

export interface EngineOptions {
  stack?: string;
  /** Allow `{}` in outputs (otherwise flagged: a Date or class instance crosses the wire as `{}`). */
  allowEmptyObjects?: boolean;
}

export class Engine {
  readonly states = new Map<string, ResourceState>();
  /** Every provider call made, in order, e.g. "check urn", "create urn". */
  readonly calls: string[] = [];
  private readonly stack: string;

  constructor(
    readonly host: ProviderHost,
    private readonly opts: EngineOptions = {},
  ) {
    this.stack = opts.stack ?? "test";
  }

  urn(r: Pick<DeclaredResource, "type" | "name">): string {
    return `urn:pulumi:${this.stack}::xtmm::${r.type}::${r.name}`;
  }

  state(r: Pick<DeclaredResource, "type" | "name">): ResourceState | undefined {
    return this.states.get(this.urn(r));
  }

  /** `pulumi preview`: check and diff only; nothing is written to the provider or to the state. */
  async preview(r: DeclaredResource): Promise<PlannedStep> {
    return this.plan(r);
  }

  /** `pulumi up` for one resource. */
  async up(r: DeclaredResource): Promise<PlannedStep & { state: ResourceState }> {
    return this.apply(r, await this.plan(r));
  }

  /**
   * Carries out a planned step (the engine's step execution, after step generation made the plan). With
   * `onReplaced`, a create-before-delete replacement hands the old object over instead of deleting it at
   * once: a program run deletes replaced objects at its end, as the engine does.
   */
  async apply(
    r: DeclaredResource,
    step: PlannedStep,
    opts: { onReplaced?: (old: ResourceState) => void } = {},
  ): Promise<PlannedStep & { state: ResourceState }> {
    const urn = this.urn(r);
    const old = this.states.get(urn);
    if (containsUnknown(step.inputs)) throw new Error(`${urn}: up was given unknown inputs; only preview may be`);
    switch (step.op) {
      case "create": {
        const state = await this.create(r, urn, step.inputs);
        return { ...step, state };
      }
      case "same": {
        // The engine records the new inputs and keeps the old outputs.
        const state = { ...old!, inputs: step.inputs };
        this.states.set(urn, state);
        return { ...step, state };
      }
      case "update": {
        this.calls.push(`update ${urn}`);
        const outputs = await this.host.update(urn, old!.id, old!.outputs, step.inputs, old!.inputs);
        assertWireOutputs(urn, outputs, step.inputs, this.opts);
        const lost = Object.keys(old!.outputs).filter((k) => !(k in outputs));
        if (lost.length > 0) throw new Error(`${urn}: update returned partial outputs; missing ${lost.join(", ")}`);
        const state = { ...old!, inputs: step.inputs, outputs };
        this.states.set(urn, state);
        return { ...step, state };
      }
      case "replace": {
        // A replacement is a new object: the engine checks the inputs again without the old ones.
        this.calls.push(`check ${urn}`);
        const rechecked = await this.host.check(urn, {}, r.inputs);
        if (rechecked.failures.length > 0) throw new CheckFailedError(urn, rechecked.failures);
        step.inputs = rechecked.inputs;
        const deleteFirst = r.deleteBeforeReplace || step.diff?.deleteBeforeReplace;
        if (deleteFirst) {
          await this.deleteState(old!);
          const state = await this.create(r, urn, step.inputs);
          return { ...step, state };
        }
        const state = await this.create(r, urn, step.inputs);
        if (opts.onReplaced) opts.onReplaced(old!);
        else await this.deleteReplaced(old!);
        return { ...step, state };
      }
    }
  }

  /** `pulumi refresh` for one resource: read with the state, then diff the refreshed outputs against the inputs. */
  async refresh(r: Pick<DeclaredResource, "type" | "name">): Promise<RefreshResult> {
    const urn = this.urn(r);
    const old = this.states.get(urn);
    if (!old) throw new Error(`${urn}: not in the state`);
    this.calls.push(`read ${urn}`);
    const read = await this.host.read(urn, old.id, old.outputs, old.inputs);
    if (read.id === "") {
      this.states.delete(urn);
      return { op: "gone" };
    }
    assertWireOutputs(urn, read.properties, old.inputs, this.opts);
    const state: ResourceState = { ...old, id: read.id, outputs: read.properties, inputs: read.inputs ?? old.inputs };
    this.states.set(urn, state);
    this.calls.push(`diff ${urn}`);
    // As the real engine does: the refreshed outputs against the inputs the state had BEFORE the read, so inputs
    // a read hands back (drift shown as inputs) do not hide the drift.
    const diff = await this.host.diff(urn, state.id, state.outputs, old.inputs, state.inputs);
    return { op: diff.changes === "some" ? "drift" : "same", diff, state };
  }

  /** `pulumi destroy` for one resource. */
  async destroy(r: Pick<DeclaredResource, "type" | "name">): Promise<void> {
    const old = this.states.get(this.urn(r));
    if (!old) throw new Error(`${this.urn(r)}: not in the state`);
    await this.deleteState(old);
  }

  /** Deletes an object a replacement superseded; the state already holds its successor under the same URN. */
  async deleteReplaced(old: ResourceState): Promise<void> {
    this.calls.push(`delete ${old.urn}`);
    await this.host.delete(old.urn, old.id, old.outputs, old.inputs);
  }

  /** Drops a resource from the state without calling the provider (the `retainOnDelete` option). */
  forget(urn: string): void {
    this.states.delete(urn);
  }

  /** Step generation for one resource: check against the old inputs, then diff against the old outputs. */
  async plan(r: DeclaredResource): Promise<PlannedStep> {
    const urn = this.urn(r);
    const old = this.states.get(urn);
    this.calls.push(`check ${urn}`);
    const checked = await this.host.check(urn, old?.inputs ?? {}, r.inputs);
    if (checked.failures.length > 0) throw new CheckFailedError(urn, checked.failures);
    if (!old) return { op: "create", inputs: checked.inputs };
    this.calls.push(`diff ${urn}`);
    const diff = await this.host.diff(urn, old.id, old.outputs, checked.inputs, old.inputs);
    // DIFF_UNKNOWN: the engine compares old and new inputs itself. Replacement keys only count when there
    // are changes (step_generator.go: "If there were changes, check for a replacement").
    const changes =
      diff.changes === "unknown" ? (sameJson(old.inputs, checked.inputs) ? "none" : "some") : diff.changes;
    const op = changes === "none" ? "same" : diff.replaces.length > 0 ? "replace" : "update";
    return { op, inputs: checked.inputs, diff };
  }

  private async create(r: DeclaredResource, urn: string, inputs: Props): Promise<ResourceState> {
    this.calls.push(`create ${urn}`);
    const created = await this.host.create(urn, inputs);
    if (typeof created.id !== "string" || created.id === "") {
      throw new Error(`${urn}: plugin returned empty resource.ID`);
    }
    assertWireOutputs(urn, created.properties, inputs, this.opts);
    const state: ResourceState = {
      urn,
      type: r.type,
      name: r.name,
      id: created.id,
      inputs,
      outputs: created.properties,
    };
    this.states.set(urn, state);
    return state;
  }

  private async deleteState(old: ResourceState): Promise<void> {
    this.calls.push(`delete ${old.urn}`);
    await this.host.delete(old.urn, old.id, old.outputs, old.inputs);
    this.states.delete(old.urn);
  }
}

/**
 * What must hold for outputs that crossed the wire: plain JSON, `__provider` carried along, no secret
 * envelope or resource reference (those fail or get mangled in the host), no `{}` where a Date or a class
 * instance was flattened, no unknown sentinel.
 */
export function assertWireOutputs(urn: string, outputs: Props, inputs: Props, opts: EngineOptions = {}): void {
  if (outputs.__provider !== inputs.__provider) throw new Error(`${urn}: outputs lost __provider`);
  const walk = (v: unknown, at: string): void => {
    if (v === undefined) throw new Error(`${urn}: output ${at} is undefined`);
    if (v === UNKNOWN) throw new Error(`${urn}: output ${at} is the unknown sentinel`);
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new Error(`${urn}: output ${at} is not a finite number`);
      return;
    }
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}[${i}]`));
    if (typeof v === "object") {
      const keys = Object.keys(v as object);
      if (keys.includes(SECRET_SIG)) throw new Error(`${urn}: output ${at} is a secret or resource envelope`);
      if (keys.length === 0 && !opts.allowEmptyObjects) {
        throw new Error(`${urn}: output ${at} is {} (a Date or class instance flattened on the wire?)`);
      }
      for (const k of keys) walk((v as Props)[k], at ? `${at}.${k}` : k);
      return;
    }
    throw new Error(`${urn}: output ${at} has type ${typeof v}`);
  };
  walk(outputs, "");
}

function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(norm)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, norm((v as Props)[k])]),
          )
        : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}
