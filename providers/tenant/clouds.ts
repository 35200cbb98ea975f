// Every URL the project talks to comes from here. A national cloud differs in its hosts, not in its
// paths, so the rest of the code builds URLs from these bases and never spells a host itself.

import { EXCHANGE_ONLINE_APP_ID, MICROSOFT_GRAPH_APP_ID } from "../../domain/firstParty";

export type CloudName = "worldwide" | "gcchigh" | "dod" | "custom";

export interface CloudEndpoints {
  name: CloudName;
  /** Entra sign-in host; MSAL authority is `${login}/${tenantId}`. */
  login: string;
  /** Graph base, without the version segment. */
  graph: string;
  /** Audience (resource URI) of Graph tokens; the scope is `${graphAudience}/.default`. */
  graphAudience: string;
  /** Exchange Online base; the admin API is `${exchange}/adminapi/beta/{tenantId}/InvokeCommand`. */
  exchange: string;
  /** Audience of Exchange Online tokens. */
  exchangeAudience: string;
  /** What `New-MigrationEndpoint -RemoteServer` takes in this cloud (Microsoft's guide, per cloud). */
  migrationRemoteServer: string;
  /** PEM file of an extra certificate authority to trust (the emulator's); never used for Microsoft's clouds. */
  caFile?: string;
}

export const CLOUDS: Readonly<Record<Exclude<CloudName, "custom">, CloudEndpoints>> = {
  worldwide: {
    name: "worldwide",
    login: "https://login.microsoftonline.com",
    graph: "https://graph.microsoft.com",
    graphAudience: "https://graph.microsoft.com",
    exchange: "https://outlook.office365.com",
    exchangeAudience: "https://outlook.office365.com",
    migrationRemoteServer: "outlook.office.com",
  },
  gcchigh: {
    name: "gcchigh",
    login: "https://login.microsoftonline.us",
    graph: "https://graph.microsoft.us",
    graphAudience: "https://graph.microsoft.us",
    exchange: "https://outlook.office365.us",
    exchangeAudience: "https://outlook.office365.us",
    migrationRemoteServer: "outlook.office365.us",
  },
  dod: {
    name: "dod",
    login: "https://login.microsoftonline.us",
    graph: "https://dod-graph.microsoft.us",
    graphAudience: "https://dod-graph.microsoft.us",
    exchange: "https://outlook-dod.office365.us",
    exchangeAudience: "https://outlook-dod.office365.us",
    migrationRemoteServer: "outlook-dod.office365.us",
  },
};

/** Application ids of Microsoft's first-party resources; the same in every tenant and cloud. */
export const FIRST_PARTY = {
  microsoftGraph: MICROSOFT_GRAPH_APP_ID,
  exchangeOnline: EXCHANGE_ONLINE_APP_ID,
} as const;

/**
 * A custom cloud keeps worldwide audiences and the worldwide remote server, because the emulator
 * stands in for the worldwide cloud: only where requests go, and which CA vouches for it, change.
 */
export function customCloud(urls: { login: string; graph: string; exchange: string; caFile?: string }): CloudEndpoints {
  const strip = (u: string) => u.replace(/\/+$/, "");
  return {
    ...CLOUDS.worldwide,
    name: "custom",
    login: strip(urls.login),
    graph: strip(urls.graph),
    exchange: strip(urls.exchange),
    caFile: urls.caFile,
  };
}

export function adminConsentUrl(
  cloud: CloudEndpoints,
  sourceTenant: string,
  appId: string,
  redirectUri = "https://office.com",
): string {
  // Written the way Microsoft's guide prints it (redirect URI unencoded), so engineers can compare by eye.
  return `${cloud.login}/${encodeURIComponent(sourceTenant)}/adminconsent?client_id=${encodeURIComponent(appId)}&redirect_uri=${redirectUri}`;
}
