import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readTenantSettings, defaultTokenCachePath } from "../providers/tenant/settings";
import { ConfigError } from "../providers/tenant/errors";
import { CLOUDS } from "../providers/tenant/clouds";

const TENANT = "11111111-2222-3333-4444-555555555555";
const APP = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const SECRET = "s3cr3t-Value~with.chars";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-settings-"));
const certFile = path.join(dir, "op.pem");
const caFile = path.join(dir, "ca.pem");
fs.writeFileSync(certFile, "x");
fs.writeFileSync(caFile, "x");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const base: Record<string, string> = {
  sourceTenantId: TENANT,
  sourceDomain: "fabrikam.onmicrosoft.com",
  sourceClientId: APP,
  sourceClientSecret: SECRET,
};

function problemsOf(
  config: Record<string, string | undefined>,
  role: "source" | "target" = "source",
): Array<{ key: string; message: string }> {
  try {
    readTenantSettings((k) => config[k], role);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toContain(SECRET);
    return (e as ConfigError).problems;
  }
  return [];
}

describe("readTenantSettings", () => {
  test("a complete client-secret tenant on the worldwide cloud", () => {
    const s = readTenantSettings((k) => base[k], "source");
    expect(s).toEqual({
      role: "source",
      tenantId: TENANT,
      domain: "fabrikam.onmicrosoft.com",
      cloud: CLOUDS.worldwide,
      credential: { kind: "clientSecret", clientId: APP, clientSecret: SECRET },
      exchangeConcurrency: 2,
      pwshPath: "pwsh",
    });
  });

  test("keys given with the xtmm: prefix are read too", () => {
    const prefixed = Object.fromEntries(Object.entries(base).map(([k, v]) => [`xtmm:${k}`, v]));
    expect(readTenantSettings((k) => prefixed[k], "source").tenantId).toBe(TENANT);
  });

  test("a custom cloud takes its three endpoints and CA file", () => {
    const s = readTenantSettings(
      (k) =>
        ({
          ...base,
          cloud: "custom",
          customLoginEndpoint: "https://127.0.0.1:8443",
          customGraphEndpoint: "https://127.0.0.1:8443/graph/",
          customExchangeEndpoint: "https://127.0.0.1:8443/exchange",
          customCaFile: caFile,
          exchangeConcurrency: "3",
          pwshPath: "/opt/pwsh",
        })[k],
      "source",
    );
    expect(s.cloud).toMatchObject({
      name: "custom",
      login: "https://127.0.0.1:8443",
      graph: "https://127.0.0.1:8443/graph",
      caFile,
      graphAudience: "https://graph.microsoft.com",
    });
    expect(s.exchangeConcurrency).toBe(3);
    expect(s.pwshPath).toBe("/opt/pwsh");
  });

  test("certificate and device-code credentials", () => {
    const cert = readTenantSettings(
      (k) =>
        (
          ({
            ...base,
            sourceClientSecret: undefined,
            sourceAuth: "certificate",
            sourceCertificatePath: certFile,
            sourceCertificatePassword: "pw",
          }) as Record<string, string | undefined>
        )[k],
      "source",
    );
    expect(cert.credential).toEqual({
      kind: "certificate",
      clientId: APP,
      certificatePath: certFile,
      certificatePassword: "pw",
    });
    const dc = readTenantSettings(
      (k) => (({ ...base, sourceAuth: "deviceCode" }) as Record<string, string>)[k],
      "source",
    );
    expect(dc.credential).toEqual({ kind: "deviceCode", clientId: APP, tokenCachePath: defaultTokenCachePath(TENANT) });
    expect(defaultTokenCachePath(TENANT)).toBe(path.join(os.homedir(), ".xtmm", `${TENANT}.msal.json`));
  });

  // Each row: the config change, the key the error must name, and a phrase of the fix.
  const table: Array<[string, Record<string, string | undefined>, string, RegExp]> = [
    ["tenant id not a GUID", { sourceTenantId: "fabrikam.onmicrosoft.com" }, "sourceTenantId", /not a GUID/],
    ["tenant id missing", { sourceTenantId: undefined }, "sourceTenantId", /pulumi config set sourceTenantId/],
    ["domain not a domain", { sourceDomain: "not a domain" }, "sourceDomain", /not a domain name/],
    ["client id not a GUID", { sourceClientId: "my-app" }, "sourceClientId", /not a GUID/],
    ["unknown cloud", { cloud: "mooncake" }, "cloud", /worldwide, gcchigh, dod, custom/],
    ["custom cloud without endpoints", { cloud: "custom" }, "customGraphEndpoint", /needs all three endpoints/],
    [
      "custom cloud with http",
      {
        cloud: "custom",
        customLoginEndpoint: "http://x",
        customGraphEndpoint: "https://x/graph",
        customExchangeEndpoint: "https://x/exchange",
      },
      "customLoginEndpoint",
      /must use https/,
    ],
    [
      "custom cloud with a non-URL",
      {
        cloud: "custom",
        customLoginEndpoint: "https://x",
        customGraphEndpoint: "graph",
        customExchangeEndpoint: "https://x/exchange",
      },
      "customGraphEndpoint",
      /not a URL/,
    ],
    [
      "CA file missing",
      {
        cloud: "custom",
        customLoginEndpoint: "https://x",
        customGraphEndpoint: "https://x/graph",
        customExchangeEndpoint: "https://x/exchange",
        customCaFile: "/nope/ca.pem",
      },
      "customCaFile",
      /does not exist/,
    ],
    ["CA file on a Microsoft cloud", { customCaFile: caFile }, "customCaFile", /only used with cloud 'custom'/],
    ["unknown auth kind", { sourceAuth: "password" }, "sourceAuth", /clientSecret, certificate, deviceCode/],
    [
      "client secret missing",
      { sourceClientSecret: undefined },
      "sourceClientSecret",
      /pulumi config set --secret sourceClientSecret/,
    ],
    ["certificate path missing", { sourceAuth: "certificate" }, "sourceCertificatePath", /\.pfx/],
    [
      "certificate file missing",
      { sourceAuth: "certificate", sourceCertificatePath: "/nope/op.pfx" },
      "sourceCertificatePath",
      /does not exist/,
    ],
    ["concurrency zero", { exchangeConcurrency: "0" }, "exchangeConcurrency", /positive integer/],
    ["concurrency not an integer", { exchangeConcurrency: "1.5" }, "exchangeConcurrency", /positive integer/],
  ];
  test.each(table)("%s", (_name, change, key, fix) => {
    const problems = problemsOf({ ...base, ...change });
    const p = problems.find((x) => x.key === key);
    expect(p).toBeDefined();
    expect(p!.message).toMatch(fix);
  });

  test("every problem is reported at once, for the role asked", () => {
    const problems = problemsOf({ targetTenantId: "x", targetClientId: "y", cloud: "nowhere" }, "target");
    expect(problems.map((p) => p.key).sort()).toEqual([
      "cloud",
      "targetClientId",
      "targetClientSecret",
      "targetDomain",
      "targetTenantId",
    ]);
  });

  test("a bad certificate password or secret is never echoed", () => {
    const problems = problemsOf({
      ...base,
      sourceAuth: "certificate",
      sourceCertificatePath: "/nope/op.pfx",
      sourceCertificatePassword: SECRET,
    });
    expect(problems.map((p) => p.key)).toEqual(["sourceCertificatePath"]);
  });
});
