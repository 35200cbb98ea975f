#!/usr/bin/env node
// The emulator's stand-in for `pwsh -File invoke-cmdlet.ps1` (providers/tenant/invoke-cmdlet.ps1).
// It checks it was started the way the runner must start PowerShell, reads the one JSON request on stdin,
// runs the cmdlet through the emulator's `/_pwsh` route (the only route where a PSCredential binds, as in
// the real module) and writes one JSON line. Plain `https`: Node trusts the emulator CA through
// NODE_EXTRA_CA_CERTS. Nothing it prints carries a secret.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const https = require("node:https");

const EXPECTED_FLAGS = ["-NoLogo", "-NoProfile", "-NonInteractive", "-File"];

function out(obj, code) {
  process.stdout.write(JSON.stringify(obj) + "\n");
  process.exitCode = code;
}

function malformed(message) {
  process.stderr.write(`fake-pwsh: ${message}\n`);
  out({ ok: false, error: { type: "System.ArgumentException", message } }, 2);
}

function checkArgv(argv) {
  if (argv.length !== EXPECTED_FLAGS.length + 1)
    return `expected ${EXPECTED_FLAGS.join(" ")} <script.ps1>, got ${argv.length} arguments`;
  for (let i = 0; i < EXPECTED_FLAGS.length; i++) {
    if (argv[i].toLowerCase() !== EXPECTED_FLAGS[i].toLowerCase())
      return `argument ${i + 1} must be ${EXPECTED_FLAGS[i]}, got ${JSON.stringify(argv[i])}`;
  }
  const script = argv[EXPECTED_FLAGS.length];
  if (!path.isAbsolute(script)) return "the -File path must be absolute";
  if (!script.toLowerCase().endsWith(".ps1")) return "the -File path must name a .ps1 script";
  if (!fs.existsSync(script)) return `the script ${script} does not exist`;
  return undefined;
}

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function validate(req) {
  if (!req || typeof req !== "object") return "stdin is not a JSON object";
  if (typeof req.cmdlet !== "string" || !req.cmdlet) return "cmdlet is missing";
  if (!req.parameters || typeof req.parameters !== "object" || Array.isArray(req.parameters))
    return "parameters must be an object";
  if (typeof req.accessToken !== "string" || !req.accessToken) return "accessToken is missing";
  if (typeof req.organization !== "string" || !req.organization) return "organization is missing";
  if (!req.environment || typeof req.environment.exchangeBase !== "string")
    return "environment.exchangeBase is missing";
  const creds = req.credentialParameters ?? {};
  if (typeof creds !== "object" || Array.isArray(creds)) return "credentialParameters must be an object";
  for (const [name, c] of Object.entries(creds)) {
    if (!c || typeof c.userName !== "string" || typeof c.password !== "string")
      return `credential parameter ${name} needs userName and password`;
  }
  return undefined;
}

function post(url, token, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const r = https.request(
      u,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json",
          "accept-encoding": "identity",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    r.on("error", reject);
    r.end(body);
  });
}

function strip(o) {
  const outObj = {};
  for (const [k, v] of Object.entries(o)) if (!k.includes("@")) outObj[k] = v;
  return outObj;
}

/** The module's message precedence: internalexception, then details (last "|" segment), then message. */
function errorOf(status, headers, body) {
  let parsed;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    const type = headers["x-exceptiontype"] || `HTTP${status}`;
    return { type: String(type), message: `The Exchange service answered ${status} without a readable body.` };
  }
  const e = (parsed && parsed.error) || {};
  const inner = e.innererror && e.innererror.internalexception;
  const detail =
    Array.isArray(e.details) && e.details[0] && typeof e.details[0].message === "string"
      ? e.details[0].message.split("|")
      : undefined;
  const detailType = detail && detail.length >= 3 ? detail[1] : undefined;
  const detailText = detail ? detail[detail.length - 1] : undefined;
  const innerIsWrapper = inner && /DirectInvokeCmdletExecutionException/.test(String(inner.type));
  const message = (!innerIsWrapper && inner && inner.message) || detailText || e.message || `HTTP ${status}`;
  const type = detailType || (inner && inner.type) || (e.innererror && e.innererror.type) || String(e.code || status);
  return { type, message };
}

async function main() {
  const problem = checkArgv(process.argv.slice(2));
  if (problem) return malformed(problem);
  let req;
  try {
    req = JSON.parse(await readStdin());
  } catch {
    return malformed("stdin is not valid JSON");
  }
  const invalid = validate(req);
  if (invalid) return malformed(invalid);

  const parameters = { ...req.parameters };
  for (const [name, c] of Object.entries(req.credentialParameters ?? {}))
    parameters[name] = { UserName: c.userName, Password: c.password };
  const body = JSON.stringify({ CmdletInput: { CmdletName: req.cmdlet, Parameters: parameters } });
  let url = `${req.environment.exchangeBase.replace(/\/+$/, "")}/_pwsh/${encodeURIComponent(req.organization)}/InvokeCommand`;
  const value = [];
  const warnings = [];
  for (let page = 0; page < 1000; page++) {
    let res;
    try {
      res = await post(url, req.accessToken, body);
    } catch (e) {
      process.stderr.write(`fake-pwsh: could not connect to ${new URL(url).host}: ${e && e.code ? e.code : "error"}\n`);
      return out(
        {
          ok: false,
          error: {
            type: "System.Net.Http.HttpRequestException",
            message: `Could not connect to ${new URL(url).host}.`,
          },
        },
        2,
      );
    }
    if (res.status === 401 || res.status === 403) {
      const err = errorOf(res.status, res.headers, res.body);
      process.stderr.write(`fake-pwsh: the service refused the connection (${res.status})\n`);
      return out(
        {
          ok: false,
          error: {
            type: err.type,
            message:
              res.status === 401 ? "Unauthorized: the access token was refused." : `Access denied (${err.type}).`,
          },
        },
        2,
      );
    }
    if (res.status !== 200) return out({ ok: false, error: errorOf(res.status, res.headers, res.body) }, 1);
    const parsed = JSON.parse(res.body.toString("utf8"));
    for (const v of parsed.value ?? []) value.push(strip(v));
    for (const w of parsed["@adminapi.warnings"] ?? [])
      if (!/There are more results available/.test(w)) warnings.push(w);
    if (!parsed["@odata.nextLink"]) break;
    url = parsed["@odata.nextLink"];
  }
  return out({ ok: true, value, warnings }, 0);
}

main().catch((e) => {
  process.stderr.write(`fake-pwsh: internal error: ${e && e.name ? e.name : "Error"}\n`);
  out({ ok: false, error: { type: "System.Exception", message: "fake-pwsh failed unexpectedly." } }, 2);
});
