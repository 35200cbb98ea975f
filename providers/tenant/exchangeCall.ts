// What the InvokeCommand client knows of one cmdlet call besides sending it: the call itself, its target for
// messages, the secret values in its parameters that no error may show, its success body read leniently, and
// what a failure on a later page becomes (the whole read fails: a partial list is never used).

import { ExchangeError, exchangeErrorFields as fields, PAGING_EXPIRED } from "./exchangeErrors";

const SECRET_PARAM = /password|secret|credential/i;

export interface Call {
  cmdlet: string;
  target?: string;
  body: string;
  idempotent: boolean;
  anchor: string;
  secrets: string[];
}

export function parseJson(body: string | undefined): unknown {
  if (body === undefined) return undefined;
  const clean = body.replace(/\u0000/g, "").trim();
  if (clean === "") return {};
  try {
    return JSON.parse(clean);
  } catch {
    return undefined;
  }
}

export function targetOf(p: Record<string, unknown>): string | undefined {
  for (const k of ["Identity", "Name", "Alias", "PrimarySmtpAddress"])
    if (typeof p[k] === "string") return p[k] as string;
  return undefined;
}

export function secretValues(p: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (v: unknown, secret: boolean) => {
    if (typeof v === "string" && secret) out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, secret));
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) walk(x, secret || SECRET_PARAM.test(k));
  };
  for (const [k, v] of Object.entries(p)) walk(v, SECRET_PARAM.test(k));
  return out;
}

/** Any failed page fails the whole read: a partial list would make a provider delete or re-create objects. */
export function pageFailure(e: ExchangeError, page: number): ExchangeError {
  const paging = e.pagingFailed || PAGING_EXPIRED.test(e.detail);
  const hint = paging
    ? " The service refused the continuation link (it may have expired or be bound to another backend). Nothing was returned; narrow the query (Identity, Filter) or raise ResultSize so the answer fits one page."
    : " Nothing was returned: a partial list is never used.";
  return new ExchangeError({
    ...fields(e),
    pagingFailed: paging,
    message: `${e.message} — while reading page ${page} of a paged result.${hint}`,
  });
}
