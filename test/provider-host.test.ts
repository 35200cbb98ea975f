// The harness and the shim against Pulumi's real dynamic-provider host: what the host does with config,
// check failures, unknowns, update outputs and errors, and that our serialized stub is small, stable,
// secret-free and loads the compiled implementation. Needs `npx tsc -p tsconfig.json` first (dist/).

import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { UNKNOWN, HostError, type ProviderHost } from "../harness/providerHost";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { Engine, CheckFailedError, declareResource, withUnknowns, type DeclaredResource } from "../harness/engine";
import { OrganizationCustomization } from "../providers/organizationCustomization";
import { resourceOptions, seededProps, shimProvider, shimSource, typeToken } from "../providers/dynamic";
import { expectNoSecrets } from "./support/secrets";

const SECRET = "s3cr3t-never-printed-Q7x";

// A provider written the way the engine's contract is easy to get wrong: it logs what it is given (so the
// test can see what crossed the wire) and keeps a counter in its outputs.
const trivial: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    (globalThis as any).trivialGreeting = req.config.get("greeting");
    (globalThis as any).trivialSecretLength = (req.config.get("sourceClientSecret") ?? "").length;
  },
  async check(_olds, news) {
    console.log(`trivial.check size=${JSON.stringify(news.size)}`);
    if (news.size !== "04da6b54-80e4-46f7-96ec-b56ff0331ba9" && typeof news.size !== "number") {
      return { inputs: news, failures: [{ property: "size", reason: "must be a number; set size: 3" }] };
    }
    return { inputs: news };
  },
  async diff(_id, olds, news) {
    return {
      changes: olds.size !== news.size || olds.label !== news.label,
      replaces: olds.label !== news.label ? ["label"] : [],
    };
  },
  async create(inputs) {
    console.log(`trivial.create ${inputs.label}`);
    if (inputs.label === "boom") throw new Error("Creating trivial thing boom: the service said no");
    const g = globalThis as any;
    return {
      id: `t-${inputs.label}`,
      outs: {
        label: inputs.label,
        size: inputs.size,
        greeting: g.trivialGreeting,
        secretLength: g.trivialSecretLength,
        version: 1,
      },
    };
  },
  async update(_id, olds, news) {
    console.log(`trivial.update ${news.label}`);
    return { outs: { ...olds, size: news.size, version: olds.version + 1 } };
  },
  async delete(id) {
    console.log(`trivial.delete ${id}`);
  },
};
const { update: _dropped, ...trivialWithoutUpdate } = trivial;

async function serialized(p: pulumi.dynamic.ResourceProvider): Promise<string> {
  return (await pulumi.runtime.serializeFunction(() => p, { allowSecrets: true })).text;
}

function thing(providerText: string, label: string, size: unknown): DeclaredResource {
  return { type: "pulumi-nodejs:dynamic:Resource", name: label, inputs: { label, size, __provider: providerText } };
}

describe("the dynamic-provider host, driven like the engine", () => {
  let host: ProviderHost;
  let engine: Engine;
  let text: string;

  const providerHost = useProviderHost({
    stackConfig: { "xtmm:greeting": "hello", "xtmm:sourceClientSecret": SECRET },
  });
  beforeAll(async () => {
    host = providerHost();
    // Why secrets arrive in plaintext and why preview never creates: the host's answers.
    expect(providerHost.configured()).toEqual({ acceptSecrets: false, supportsPreview: false });
    engine = new Engine(host);
    text = await serialized(trivial);
  });

  test("configure reaches the provider with keys read without the project prefix", async () => {
    const { state } = await engine.up(thing(text, "a", 1));
    expect(state.id).toBe("t-a");
    expect(state.outputs).toMatchObject({ label: "a", size: 1, greeting: "hello", secretLength: SECRET.length });
    expect(state.outputs.__provider).toBe(text);
  });

  test("check failures stop the step and name the property", async () => {
    const err = await engine.up(thing(text, "bad", "three")).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect(err.failures).toEqual([{ property: "size", reason: "must be a number; set size: 3" }]);
    expect(engine.state(thing(text, "bad", 0))).toBeUndefined();
    expect(host.stdout()).not.toContain("trivial.create bad");
  });

  test("preview passes unknowns to check untouched and never creates or updates", async () => {
    const before = engine.calls.length;
    const fresh = await engine.preview(withUnknowns(thing(text, "p", 0), "size"));
    expect(fresh.op).toBe("create");
    expect(fresh.inputs.size).toBe(UNKNOWN);
    const existing = await engine.preview(withUnknowns(thing(text, "a", 1), "size"));
    expect(existing.op).toBe("update");
    const calls = engine.calls.slice(before);
    expect(calls.every((c) => c.startsWith("check ") || c.startsWith("diff "))).toBe(true);
    await host.waitForOutput(`trivial.check size="${UNKNOWN}"`);
    expect(host.stdout()).not.toContain("trivial.create p");
    expect(engine.state(thing(text, "p", 0))).toBeUndefined();
    expect(engine.state(thing(text, "a", 1))?.inputs.size).toBe(1);
  });

  test("update returns the full outputs, not just the changed ones", async () => {
    const step = await engine.up(thing(text, "a", 2));
    expect(step.op).toBe("update");
    expect(step.state.outputs).toMatchObject({ label: "a", size: 2, greeting: "hello", version: 2 });
    const again = await engine.up(thing(text, "a", 2));
    expect(again.op).toBe("same");
  });

  test("the harness catches a provider without update (outputs collapse to __provider)", async () => {
    const broken = await serialized(trivialWithoutUpdate as pulumi.dynamic.ResourceProvider);
    await engine.up(thing(broken, "u", 1));
    await expect(engine.up(thing(broken, "u", 2))).rejects.toThrow(/update returned partial outputs; missing .*label/);
  });

  test("replace creates the new object before deleting the old one", async () => {
    await engine.up(thing(text, "r1", 1));
    const before = engine.calls.length;
    const renamed = { ...thing(text, "r1", 1), inputs: { ...thing(text, "r1", 1).inputs, label: "r2" } };
    const step = await engine.up(renamed);
    expect(step.op).toBe("replace");
    expect(engine.calls.slice(before).filter((c) => !c.startsWith("check") && !c.startsWith("diff"))).toEqual([
      `create ${engine.urn(renamed)}`,
      `delete ${engine.urn(renamed)}`,
    ]);
    expect(step.state.id).toBe("t-r2");
    await host.waitForOutput("trivial.delete t-r1");
  });

  test("a provider error comes back as a gRPC error carrying its message", async () => {
    const err = await engine.up(thing(text, "boom", 1)).catch((e) => e);
    expect(err).toBeInstanceOf(HostError);
    expect(err.code).toBe(2);
    expect(err.message).toBe("Creating trivial thing boom: the service said no");
  });

  test("destroy deletes with the state", async () => {
    await engine.destroy(thing(text, "a", 2));
    await host.waitForOutput("trivial.delete t-a");
    expect(engine.state(thing(text, "a", 2))).toBeUndefined();
  });

  test("no secret from the stack config appears in anything the host printed", () => {
    expect(host.output().length).toBeGreaterThan(0);
    expectNoSecrets(host.output(), [SECRET], "the provider host's console");
  });
});

describe("the xtmm shim", () => {
  let declared: DeclaredResource;

  beforeAll(async () => {
    declared = await declareResource(() => new OrganizationCustomization("hydrate-target", { tenant: "target" }));
  });

  test("registers the custom type token with only the real inputs", () => {
    expect(declared.type).toBe("pulumi-nodejs:dynamic/xtmm:OrganizationCustomization");
    expect(typeToken("OrganizationCustomization")).toBe(declared.type);
    expect(Object.keys(declared.inputs).sort()).toEqual(["__provider", "tenant"]);
  });

  test("carries a small, stable shim text that captures no client and no secret", async () => {
    const text = declared.inputs.__provider as string;
    console.info(`__provider of OrganizationCustomization: ${text.length} characters`);
    expect(text.length).toBeLessThan(600);
    expect(text).toBe(shimSource("organizationCustomization"));
    expect(text).toContain('provider(1, "organizationCustomization")');
    expect(text).toContain("runtime.js");
    expect(text).not.toMatch(/msal|graph-client|undici|tenant\/|clientSecret/i);
    const again = await declareResource(() => new OrganizationCustomization("hydrate-source", { tenant: "source" }));
    expect(again.inputs.__provider).toBe(text);
    expect(Object.keys(shimProvider("organizationCustomization")).sort()).toEqual([
      "check",
      "configure",
      "create",
      "delete",
      "diff",
      "read",
      "update",
    ]);
  });

  test("seeds declared outputs and lists secret outputs for the engine", () => {
    const spec = { kind: "k", type: "T", outputs: ["a", "b"], secretOutputs: ["b"] };
    expect(seededProps(spec, { a: 1, c: 2 })).toEqual({ a: 1, b: undefined, c: 2 });
    expect(resourceOptions(spec, { protect: true, additionalSecretOutputs: ["x"] })).toEqual({
      protect: true,
      additionalSecretOutputs: ["x", "b"],
    });
    expect(resourceOptions({ ...spec, secretOutputs: [] }, undefined)).toBeUndefined();
  });

  // The text the SDK's serializer wrote into every state before the shim was written by hand: stacks hold it
  // in their outputs (read, delete) and, until their next up, in their inputs.
  const LEGACY = fs.readFileSync(
    path.join(__dirname, "fixtures", "shims", "protocol-1-sdk-serialized-organizationCustomization.js"),
    "utf8",
  );
  // The longer hand-written text that followed it, until the shim became one line.
  const HAND_WRITTEN = fs.readFileSync(
    path.join(__dirname, "fixtures", "shims", "protocol-1-hand-written-organizationCustomization.js"),
    "utf8",
  );

  test.each([
    ["the shim", () => declared.inputs],
    ["the serializer's earlier shim, from existing state", () => ({ ...declared.inputs, __provider: LEGACY })],
    ["the earlier hand-written shim, from existing state", () => ({ ...declared.inputs, __provider: HAND_WRITTEN })],
  ])("%s loads in the host and forwards to the compiled implementation", async (_what, inputsOf) => {
    const inputs = inputsOf();
    const configuredTarget = "11111111-2222-3333-4444-555555555555";
    const config = { "xtmm:cloud": "worldwide", "xtmm:targetTenantId": configuredTarget };
    await withProviderHost(undefined, { stackConfig: config }, async (host) => {
      const urn = "urn:pulumi:test::xtmm::pulumi-nodejs:dynamic/xtmm:OrganizationCustomization::x";
      const bad = await host.check(urn, {}, { ...inputs, tenant: "middle" });
      expect(bad.failures).toEqual([
        {
          property: "tenant",
          reason: 'must be "source" or "target" (which tenant of the pair to hydrate), not "middle"',
        },
      ]);
      const unknown = await host.check(urn, {}, { ...inputs, tenant: UNKNOWN });
      expect(unknown).toEqual({ inputs: { ...inputs, tenant: UNKNOWN }, failures: [] });
      const diff = await host.diff(
        urn,
        "tid",
        { ...inputs, tenant: "target", tenantId: "tid", isDehydrated: false },
        {
          ...inputs,
          tenant: UNKNOWN,
        },
      );
      expect(diff).toEqual({ changes: "some", replaces: ["tenant"], deleteBeforeReplace: false });
      // Diff is offline too: check records which tenant the stack config says the role means now (the input
      // tenantId), and diff compares it with the tenant the object was made in.
      const recorded = (tenantId: string) => ({ ...inputs, tenant: "target", tenantId, isDehydrated: false });
      const news = (await host.check(urn, {}, { ...inputs, tenant: "target" })).inputs;
      expect(await host.diff(urn, "tid", recorded("tid"), news)).toEqual({
        changes: "some",
        replaces: ["tenantId"],
        deleteBeforeReplace: false,
      });
      expect(await host.diff(urn, configuredTarget, recorded(configuredTarget), news)).toEqual({
        changes: "none",
        replaces: [],
        deleteBeforeReplace: false,
      });
      expect(
        await host.diff(urn, configuredTarget, { ...recorded(configuredTarget), isDehydrated: true }, news),
      ).toEqual({
        changes: "some",
        replaces: [],
        deleteBeforeReplace: false,
      });
    });
  });

  test("a host that was never configured fails with a message that says so", async () => {
    await withProviderHost(undefined, { stackConfig: null }, async (host) => {
      const urn = "urn:pulumi:test::xtmm::pulumi-nodejs:dynamic/xtmm:OrganizationCustomization::x";
      const olds = { ...declared.inputs, tenantId: "tid", isDehydrated: false };
      // check is the first call the engine makes, and the one that reads the configuration (the tenant's id).
      await expect(host.check(urn, olds, declared.inputs)).rejects.toThrow(/received no stack configuration/);
    });
  });
});
