// The one way the tenant layer reaches the network: MSAL, the Graph client and the Exchange client all go
// through `cloudFetch`, so a custom cloud's CA (the emulator's) is trusted everywhere and nowhere else.
// The CA file is read on first use, inside a method, never at module load: this module's state must not
// end up in a serialized provider.

import * as fs from "fs";
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from "undici";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import type { CloudEndpoints } from "./clouds";

export type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;
export type { RequestInit, Response };

const agents = new Map<string, Agent>();

function agentFor(caFile: string): Agent {
  let agent = agents.get(caFile);
  if (!agent) {
    let ca: string;
    try {
      ca = fs.readFileSync(caFile, "utf8");
    } catch (e) {
      throw new Error(`Cannot read the CA file '${caFile}' (config key customCaFile): ${(e as Error).message}`);
    }
    agent = new Agent({ connect: { ca } });
    agents.set(caFile, agent);
  }
  return agent;
}

/** fetch for this cloud: trusts `cloud.caFile` in addition to nothing else when it is set. */
export function cloudFetch(cloud: Pick<CloudEndpoints, "caFile">): Fetch {
  const caFile = cloud.caFile;
  if (!caFile) return (url, init) => undiciFetch(url, init);
  return (url, init) => undiciFetch(url, { ...init, dispatcher: agentFor(caFile) });
}

function headerRecord(h: Headers | { forEach(cb: (v: string, k: string) => void): void }): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    out[k.toLowerCase()] = v;
  });
  return out;
}

/**
 * MSAL's network seam over our fetch. MSAL expects the body already parsed as JSON; an identity
 * provider that answers with something else (an HTML error page from a proxy) is reported as such.
 */
export function msalNetworkModule(fetch: Fetch): INetworkModule {
  const send = async <T>(
    method: "GET" | "POST",
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> => {
    const init: RequestInit = { method, headers: options?.headers ?? {} };
    if (method === "POST") init.body = options?.body ?? "";
    if (timeout) init.signal = AbortSignal.timeout(timeout);
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
      throw new Error(`Network request to ${new URL(url).origin} failed: ${cause}`);
    }
    const text = await res.text();
    let body: T;
    try {
      body = (text === "" ? {} : JSON.parse(text)) as T;
    } catch {
      throw new Error(
        `${new URL(url).origin}${new URL(url).pathname} answered HTTP ${res.status} with a body that is not JSON`,
      );
    }
    return { headers: headerRecord(res.headers), body, status: res.status };
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) =>
      send<T>("GET", url, options, timeout),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>("POST", url, options),
  };
}
