// `/_emulator/…`: the emulator's own controls for callers in another process (the CLI's users, the
// provider host under test). Loopback only and unauthenticated, so it never returns a secret other than
// the operator credentials the summary already prints.

import type { EmuRequest, EmuResponse, SurfaceHandler, Violation } from "./http";
import { json } from "./http";
import type { FaultSpec, TargetedFault } from "./options";
import { FaultSpecError, validateFaultPatch } from "./faults";
import type { RequestRecord } from "./server";

export interface AdminApi {
  summary(): object;
  violations(): Violation[];
  requests: RequestRecord[];
  setFaults(f: Partial<FaultSpec>): void;
  currentFaults(): FaultSpec;
  inject(f: TargetedFault): void;
  approveDeviceCode(userCode: string): void;
}

const bad = (message: string): EmuResponse => json(400, { error: { code: "BadRequest", message } });

function body(req: EmuRequest): Record<string, unknown> {
  const parsed: unknown = JSON.parse(req.body.toString("utf8") || "{}");
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new FaultSpecError("the body must be a JSON object");
  return parsed as Record<string, unknown>;
}

function targetedFault(b: Record<string, unknown>): TargetedFault {
  const f: TargetedFault = { fault: b.fault as TargetedFault["fault"] };
  if (!["throttle", "unavailable", "lost"].includes(String(b.fault)))
    throw new FaultSpecError("fault must be one of throttle, unavailable, lost");
  if (b.surface !== undefined) {
    if (!["login", "graph", "exchange"].includes(String(b.surface)))
      throw new FaultSpecError("surface must be one of login, graph, exchange");
    f.surface = b.surface as TargetedFault["surface"];
  }
  for (const k of ["method", "cmdlet"] as const) {
    if (b[k] === undefined) continue;
    if (typeof b[k] !== "string") throw new FaultSpecError(`${k} must be a string`);
    f[k] = b[k] as string;
  }
  if (b.path !== undefined) {
    if (typeof b.path !== "string") throw new FaultSpecError("path must be a string holding a regular expression");
    try {
      f.path = new RegExp(b.path);
    } catch {
      throw new FaultSpecError("path is not a valid regular expression");
    }
  }
  if (b.times !== undefined) {
    if (typeof b.times !== "number" || !Number.isSafeInteger(b.times) || b.times < 1)
      throw new FaultSpecError("times must be a whole number >= 1");
    f.times = b.times;
  }
  const unknown = Object.keys(b).filter((k) => !["fault", "surface", "method", "cmdlet", "path", "times"].includes(k));
  if (unknown.length > 0) throw new FaultSpecError(`unknown field(s): ${unknown.join(", ")}`);
  return f;
}

export function createAdmin(api: AdminApi): SurfaceHandler {
  return async (req) => {
    const route = `${req.method} ${req.path.replace(/\/+$/, "")}`;
    try {
      switch (route) {
        case "GET /summary":
          return json(200, api.summary());
        case "GET /violations":
          return json(200, { value: api.violations() });
        case "GET /requests":
          return json(200, { value: api.requests });
        case "GET /faults":
          return json(200, api.currentFaults());
        case "POST /faults":
          api.setFaults(validateFaultPatch(body(req)));
          return json(200, api.currentFaults());
        case "POST /inject":
          api.inject(targetedFault(body(req)));
          return { status: 204 };
        case "POST /devicecode/approve": {
          const userCode = body(req).userCode;
          if (typeof userCode !== "string" || userCode.length === 0) return bad("userCode must be a non-empty string");
          try {
            api.approveDeviceCode(userCode);
          } catch (e) {
            return json(404, { error: { code: "NotFound", message: e instanceof Error ? e.message : String(e) } });
          }
          return { status: 204 };
        }
        default:
          return json(404, { error: { code: "NotFound", message: `no emulator control at ${route}` } });
      }
    } catch (e) {
      if (e instanceof FaultSpecError || e instanceof SyntaxError) return bad(e.message);
      throw e;
    }
  };
}
