// Runs Pulumi's real dynamic-provider host (the `pulumi-resource-pulumi-nodejs` plugin the engine starts)
// in a child process and talks to it over gRPC with the stubs the SDK ships, so a test sees exactly what
// the engine would: the host's deserialization of `__provider`, its Struct marshalling and its error
// shapes. The engine's ordering of these calls lives in engine.ts.

import { spawn } from "node:child_process";
import * as path from "node:path";
import { projectRoot } from "../scripts/pulumiCli";

/** Root of the checkout: the host runs with it as cwd, as the engine runs it in the program directory. */
export const PROJECT_ROOT = projectRoot(__dirname);

/** What the engine sends for a value not known during preview (`pulumi.runtime.unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// The stubs do `instanceof` checks against their own copies of grpc-js and google-protobuf, so both are
// resolved from @pulumi/pulumi's folder rather than from ours.
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (id: string) => require(require.resolve(id, { paths: [pulumiDir] }));
const grpc = fromPulumi("@grpc/grpc-js");
const structpb = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const providerGrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const providerPb = require("@pulumi/pulumi/proto/provider_pb");

export type Props = Record<string, unknown>;
export type DiffChanges = "unknown" | "none" | "some";

export interface CheckFailure {
  property: string;
  reason: string;
}
export interface CheckResponse {
  inputs: Props;
  failures: CheckFailure[];
}
export interface DiffResponse {
  changes: DiffChanges;
  replaces: string[];
  deleteBeforeReplace: boolean;
}
export interface ReadResponse {
  id: string;
  properties: Props;
  inputs?: Props;
}

/** A gRPC error from the host; `message` is the gRPC details (for a thrown provider error, its message). */
export class HostError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    details: string,
  ) {
    super(details);
    this.name = "HostError";
  }
}

export interface ProviderHostOptions {
  /** PEM file the host process must trust (the emulator's CA); set as NODE_EXTRA_CA_CERTS. */
  caFile?: string;
  /** Extra environment for the host. */
  env?: Record<string, string>;
  /** Deadline of each call; the host itself enforces none. */
  callTimeoutMs?: number;
}

export interface ProviderHost {
  readonly port: number;
  /** Everything the host wrote to stdout (after the port line) and stderr, for assertions. */
  stdout(): string;
  stderr(): string;
  output(): string;
  /**
   * Resolves once the host's console shows the text. Its stdout is a pipe, so a line printed during a call
   * can arrive after the call's answer: assert presence with this, not with stdout() alone.
   */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  configure(config: Record<string, string>): Promise<{ acceptSecrets: boolean; supportsPreview: boolean }>;
  check(urn: string, olds: Props, news: Props): Promise<CheckResponse>;
  diff(urn: string, id: string, olds: Props, news: Props, oldInputs?: Props): Promise<DiffResponse>;
  create(urn: string, properties: Props): Promise<{ id: string; properties: Props }>;
  read(urn: string, id: string, properties: Props, inputs?: Props): Promise<ReadResponse>;
  update(urn: string, id: string, olds: Props, news: Props, oldInputs?: Props): Promise<Props>;
  delete(urn: string, id: string, properties: Props, oldInputs?: Props): Promise<void>;
  stop(): Promise<void>;
}

export async function startProviderHost(opts: ProviderHostOptions = {}): Promise<ProviderHost> {
  const entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_NODEJS_PROJECT: "xtmm",
    PULUMI_PROJECT: "xtmm",
    XTMM_ROOT: PROJECT_ROOT,
    // One host here plays many CLI commands (with changes made by hand between them), where the engine starts
    // a host per command: a listing kept for a refresh would outlive the command it was made for. Tests of
    // that listing set it back (mail-user.test.ts).
    XTMM_READ_LISTING_MAX_AGE_MS: "0",
    ...(opts.caFile ? { NODE_EXTRA_CA_CERTS: opts.caFile } : {}),
    ...opts.env,
  };
  // The engine passes its own address; the host never dials it, but refuses to start without one.
  const child = spawn(process.execPath, [entry, "127.0.0.1:0"], { cwd: PROJECT_ROOT, env, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => (stderr += d));
  child.stdout.setEncoding("utf8");

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("the provider host printed no port within 20 s")), 20_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${e.message}\n${stderr}`));
    };
    let first = "";
    let resolved = false;
    child.stdout.on("data", (d: string) => {
      if (resolved) {
        stdout += d;
        return;
      }
      first += d;
      const nl = first.indexOf("\n");
      if (nl < 0) return;
      resolved = true;
      clearTimeout(timer);
      stdout += first.slice(nl + 1);
      const n = Number(first.slice(0, nl).trim());
      if (Number.isInteger(n) && n > 0) resolve(n);
      else fail(new Error(`the provider host's first line is not a port: ${first.slice(0, nl)}`));
    });
    child.once("exit", (code) => {
      if (!resolved) fail(new Error(`the provider host exited with ${code} before printing its port`));
    });
  });

  const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const callTimeoutMs = opts.callTimeoutMs ?? 180_000;

  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      client[method](request, { deadline: Date.now() + callTimeoutMs }, (err: any, resp: T) => {
        if (err) reject(new HostError(method, err.code, err.details ?? err.message));
        else resolve(resp);
      });
    });
  const struct = (o: Props) => structpb.Struct.fromJavaScript(o);
  const js = (s: any): Props => (s ? (s.toJavaScript() as Props) : {});

  return {
    port,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => stdout + stderr,
    async waitForOutput(text, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(stdout + stderr).includes(text)) {
        if (Date.now() > deadline || exited) {
          throw new Error(`the provider host did not print ${JSON.stringify(text)}; it printed:\n${stdout}${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },

    async configure(config) {
      const req = new providerPb.ConfigureRequest();
      req.setArgs(struct(config));
      const vars = req.getVariablesMap();
      for (const [k, v] of Object.entries(config)) vars.set(k, v);
      req.setAcceptsecrets(true);
      req.setAcceptresources(true);
      req.setSendsOldInputs(true);
      req.setSendsOldInputsToDelete(true);
      const resp: any = await call("configure", req);
      return { acceptSecrets: resp.getAcceptsecrets(), supportsPreview: resp.getSupportspreview() };
    },

    async check(urn, olds, news) {
      const req = new providerPb.CheckRequest();
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const resp: any = await call("check", req);
      return {
        inputs: js(resp.getInputs()),
        failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },

    async diff(urn, id, olds, news, oldInputs) {
      const req = new providerPb.DiffRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      if (oldInputs) req.setOldInputs(struct(oldInputs));
      const resp: any = await call("diff", req);
      const changes = resp.getChanges();
      const Changes = providerPb.DiffResponse.DiffChanges;
      return {
        changes: changes === Changes.DIFF_SOME ? "some" : changes === Changes.DIFF_NONE ? "none" : "unknown",
        replaces: resp.getReplacesList(),
        deleteBeforeReplace: resp.getDeletebeforereplace(),
      };
    },

    async create(urn, properties) {
      const req = new providerPb.CreateRequest();
      req.setUrn(urn);
      req.setProperties(struct(properties));
      const resp: any = await call("create", req);
      return { id: resp.getId(), properties: js(resp.getProperties()) };
    },

    async read(urn, id, properties, inputs) {
      const req = new providerPb.ReadRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(properties));
      if (inputs) req.setInputs(struct(inputs));
      const resp: any = await call("read", req);
      return {
        id: resp.getId(),
        properties: js(resp.getProperties()),
        ...(resp.getInputs() ? { inputs: js(resp.getInputs()) } : {}),
      };
    },

    async update(urn, id, olds, news, oldInputs) {
      const req = new providerPb.UpdateRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      if (oldInputs) req.setOldInputs(struct(oldInputs));
      const resp: any = await call("update", req);
      return js(resp.getProperties());
    },

    async delete(urn, id, properties, oldInputs) {
      const req = new providerPb.DeleteRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(properties));
      if (oldInputs) req.setOldInputs(struct(oldInputs));
      await call("delete", req);
    },

    async stop() {
      client.close();
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exitedPromise;
        clearTimeout(timer);
      }
      child.stdout.destroy();
      child.stderr.destroy();
    },
  };
}
