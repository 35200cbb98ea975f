// Microsoft's Graph v1.0 description (emulator/reference/graph-v1-subset.json) turned into the checks the
// surface makes on every request: which path and method exist, which query options the documented page
// allows, and whether a request body names only properties (and enum values) of the entity's schema.

import referenceJson from "../reference/graph-v1-subset.json";
import { GUID } from "../../domain/ids";

export interface PropertyType {
  type: string;
  collection?: boolean;
  nullable?: boolean;
  readOnly?: boolean;
}
interface TypeDef {
  kind?: string;
  baseType?: string;
  openType?: boolean;
  properties?: Record<string, PropertyType>;
  allPropertyNames?: string[];
  allNavigationPropertyNames?: string[];
}
export interface Operation {
  path: string;
  method: string;
  operationId: string;
  kind: string;
  queryParameters: string[];
  requestBody: { schema: string | { type: string; properties: Record<string, PropertyType> } } | null;
  responses: Record<string, unknown>;
  documented?: {
    successStatus?: number;
    httpRequestForms?: string[];
    queryParameters?: { supported?: string[] | "generic"; notSupported?: string[] };
    headers?: Array<{ name: string; value?: string; requiredWhen?: string }>;
    requestBody?: { required?: string[]; alsoAccepted?: string[]; onlyProperty?: string };
    notes?: string[];
  };
}
interface Reference {
  operations: Operation[];
  schemas: Record<string, TypeDef>;
  referencedComplexTypes: Record<string, TypeDef>;
  enumTypes: Record<string, { members: string[]; isFlags?: boolean }>;
}

export const REFERENCE = referenceJson as unknown as Reference;

/** A request-path pattern: the reference path itself or a form its documented page adds. */
interface Route {
  op: Operation;
  regex: RegExp;
  params: string[];
}

function compile(template: string): { regex: RegExp; params: string[] } {
  const params: string[] = [];
  let src = "";
  for (const part of template.split(/(\{[^}]+\})/)) {
    const m = /^\{([^}]+)\}$/.exec(part);
    if (m) {
      params.push(m[1].split("|")[0].trim());
      src += "([^/]+?)";
    } else {
      src += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return { regex: new RegExp(`^${src}$`), params };
}

const ROUTES: Route[] = [];
for (const op of REFERENCE.operations) {
  ROUTES.push({ op, ...compile(op.path) });
  // The page is the authority: forms it documents beyond the OpenAPI path (alternate keys on actions and
  // navigations) are accepted and treated as the same operation.
  for (const form of op.documented?.httpRequestForms ?? []) {
    const [method, path] = form.split(/\s+/, 2);
    if (method !== op.method || !path || path === "/me" || path === op.path) continue;
    const c = compile(path);
    if (!ROUTES.some((r) => r.op.method === method && String(r.regex) === String(c.regex))) ROUTES.push({ op, ...c });
  }
}

export type Match =
  | { kind: "ok"; op: Operation; params: Record<string, string>; byAppId: boolean }
  | { kind: "method-not-allowed" }
  | { kind: "unknown" };

/** Matches a decoded path below /v1.0 (e.g. `/applications(appId='x')`) against the reference. */
export function matchOperation(method: string, path: string): Match {
  let pathKnown = false;
  for (const r of ROUTES) {
    const m = r.regex.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.params.forEach((p, i) => (params[p] = m[i + 1]));
    // "{application-id}" must not swallow an alternate-key segment or a quote.
    if (Object.values(params).some((v) => /['()]/.test(v))) continue;
    pathKnown = true;
    if (r.op.method === method) return { kind: "ok", op: r.op, params, byAppId: "appId" in params };
  }
  return pathKnown ? { kind: "method-not-allowed" } : { kind: "unknown" };
}

export function allOperations(): readonly Operation[] {
  return REFERENCE.operations;
}

/** Query options the documented page allows for the operation ("generic" pages defer to the OpenAPI list). */
export function supportedQueryOptions(op: Operation): Set<string> {
  const doc = op.documented?.queryParameters;
  const base = doc?.supported === undefined || doc.supported === "generic" ? op.queryParameters : doc.supported;
  const out = new Set(base);
  for (const n of doc?.notSupported ?? []) out.delete(n);
  return out;
}

export function entitySchema(name: string): TypeDef | undefined {
  return REFERENCE.schemas[`microsoft.graph.${name}`];
}

export function propertyNames(entity: string): string[] {
  return entitySchema(entity)?.allPropertyNames ?? [];
}

export function navigationNames(entity: string): string[] {
  return entitySchema(entity)?.allNavigationPropertyNames ?? [];
}

/** Declared properties of an entity type, including those inherited from its base types. */
export function declaredProperties(typeName: string): Record<string, PropertyType> | undefined {
  const def = REFERENCE.schemas[typeName] ?? REFERENCE.referencedComplexTypes[typeName];
  if (!def) return undefined;
  const base = def.baseType ? (declaredProperties(def.baseType) ?? {}) : {};
  return { ...base, ...(def.properties ?? {}) };
}

export interface BodyProblem {
  path: string;
  message: string;
  code: string;
}

/**
 * Checks a body against a type: every property must be declared (entity, then nested complex types),
 * every enum value a member. `allowedAnnotations` are extra top-level names the page accepts
 * (e.g. "members@odata.bind"). Returns the first problem, phrased as Graph phrases it.
 */
export function validateBody(
  typeName: string,
  body: unknown,
  allowedAnnotations: string[] = [],
): BodyProblem | undefined {
  return validateValue(typeName, body, "", allowedAnnotations, true);
}

function validateValue(
  typeName: string,
  value: unknown,
  where: string,
  annotations: string[],
  top: boolean,
): BodyProblem | undefined {
  if (value === null || value === undefined) return undefined;
  const en = REFERENCE.enumTypes[typeName];
  if (en) {
    if (typeof value !== "string")
      return {
        path: where,
        code: "BadRequest",
        message: `Cannot convert a primitive value to the expected type '${typeName}'.`,
      };
    const parts = en.isFlags ? value.split(",").map((s) => s.trim()) : [value];
    const bad = parts.find((p) => !en.members.includes(p));
    if (bad !== undefined)
      return { path: where, code: "BadRequest", message: `Requested value '${bad}' was not found.` };
    return undefined;
  }
  const props = declaredProperties(typeName);
  if (!props) {
    if (typeName.startsWith("Edm.")) return checkPrimitive(typeName, value, where);
    return undefined; // a type the reference does not describe: nothing to check against
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    return {
      path: where,
      code: "BadRequest",
      message: `Cannot convert a primitive value to the expected type '${typeName}'.`,
    };
  }
  const def = REFERENCE.schemas[typeName] ?? REFERENCE.referencedComplexTypes[typeName];
  const entity = def?.kind === "entity";
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === "@odata.type") continue;
    if (top && annotations.includes(k)) continue;
    const p = props[k];
    const at = where ? `${where}.${k}` : k;
    if (!p) {
      // Directory entities answer from the directory service; nested complex values fail in OData parsing.
      return entity && top
        ? {
            path: at,
            code: "Request_BadRequest",
            message: `Property '${k}' does not exist as a declared property or extension property.`,
          }
        : {
            path: at,
            code: "BadRequest",
            message: `The property '${k}' does not exist on type '${typeName}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
          };
    }
    if (p.collection) {
      if (v === null) continue;
      if (!Array.isArray(v))
        return {
          path: at,
          code: "BadRequest",
          message: `Cannot read the value of property '${k}': a collection was expected.`,
        };
      for (const item of v) {
        const problem = validateValue(p.type, item, at, [], false);
        if (problem) return problem;
      }
    } else {
      const problem = validateValue(p.type, v, at, [], false);
      if (problem) return problem;
    }
  }
  return undefined;
}

function checkPrimitive(type: string, value: unknown, where: string): BodyProblem | undefined {
  // Graph echoes the literal; a value under a credential-like name is not echoed (it ends up in violations).
  const shown = /secret|password|key/i.test(where) ? "***" : String(value);
  const bad = (): BodyProblem => ({
    path: where,
    code: "BadRequest",
    message: `Cannot convert the literal '${shown}' to the expected type '${type}'.`,
  });
  switch (type) {
    case "Edm.Boolean":
      return typeof value === "boolean" ? undefined : bad();
    case "Edm.Guid":
      return typeof value === "string" && GUID.test(value) ? undefined : bad();
    case "Edm.Int32":
    case "Edm.Int64":
      return typeof value === "number" && Number.isInteger(value) ? undefined : bad();
    case "Edm.String":
    case "Edm.DateTimeOffset":
    case "Edm.Binary":
      return typeof value === "string" ? undefined : bad();
    default:
      return undefined;
  }
}
