// The InvokeCommand wire rules as pure functions: error envelopes Microsoft is known to send
// classified into kinds, parameters encoded, success bodies decoded.

import {
  classify,
  exchangeErrorFromResponse,
  parseErrorEnvelope,
  retryAfterSeconds,
} from "../providers/tenant/exchangeErrors";
import { decodePage, encodeParameters, hashtable, sizeInBytes } from "../providers/tenant/exchangeWire";

const NOT_FOUND_BODY = JSON.stringify({
  error: {
    code: "NotFound",
    message: "Error executing cmdlet",
    details: [
      {
        code: "Client",
        target: "",
        message:
          "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'x@t.onmicrosoft.com' couldn't be found on 'YQBPR01A12DC007.CANPR01A012.PROD.OUTLOOK.COM'.",
      },
    ],
    innererror: {
      message: "Error executing cmdlet",
      type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
      stacktrace: "...",
      internalexception: {
        message:
          "Exception of type 'Microsoft.Exchange.Management.PSDirectInvoke.DirectInvokeCmdletExecutionException' was thrown.",
        type: "Microsoft.Exchange.Management.PSDirectInvoke.DirectInvokeCmdletExecutionException",
        stacktrace: "...",
      },
    },
  },
  "adminapi.warnings@odata.type": "#Collection(String)",
  "@adminapi.warnings": [],
});

const AMBIGUOUS_BODY = JSON.stringify({
  error: {
    code: "BadRequest",
    message: "Invalid Operation",
    details: [
      {
        code: "Client",
        target: "",
        message:
          "|Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException|Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. BogusParameter",
      },
    ],
    innererror: {
      message: "Invalid Operation",
      type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
      stacktrace: "",
      internalexception: {
        message: "Parameter set cannot be resolved ...",
        type: "Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException",
        stacktrace: "",
      },
    },
  },
});

const cmdletError = (text: string, code = "BadRequest") =>
  JSON.stringify({
    error: { code, message: "Error executing cmdlet", details: [{ code: "Client", target: "", message: text }] },
  });

const paging = JSON.stringify({
  error: {
    code: "BadRequest",
    message: "Invalid Operation",
    innererror: {
      internalexception: {
        message: "Expired or Invalid pagination request. Default Expiry time is 00:30:00",
        type: "System.Exception",
      },
    },
  },
});

describe("error envelope", () => {
  test("details text and type win over the generic inner wrapper", () => {
    expect(parseErrorEnvelope(NOT_FOUND_BODY)).toEqual({
      message:
        "The operation couldn't be performed because object 'x@t.onmicrosoft.com' couldn't be found on 'YQBPR01A12DC007.CANPR01A012.PROD.OUTLOOK.COM'.",
      exceptionType: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
      code: "NotFound",
    });
  });
  test("an internalexception message is used when there are no details", () => {
    expect(parseErrorEnvelope(paging)).toMatchObject({
      message: "Expired or Invalid pagination request. Default Expiry time is 00:30:00",
      exceptionType: "System.Exception",
    });
  });
  test("NUL bytes, fake gzip and HTML are not envelopes", () => {
    expect(parseErrorEnvelope("\u0000".repeat(64))).toBeUndefined();
    expect(parseErrorEnvelope("\u001f\u008b garbage")).toBeUndefined();
    expect(parseErrorEnvelope("<html>Bad gateway</html>")).toBeUndefined();
  });
});

describe("error classification: each answer of the admin API gets its ExchangeErrorKind", () => {
  const row = (status: number, body: string, headers: Record<string, string> = {}) =>
    exchangeErrorFromResponse("Get-Mailbox", "x@t.onmicrosoft.com", { status, body, headers });
  const cases: Array<[string, number, string, Record<string, string>, string]> = [
    ["404 ManagementObjectNotFound", 404, NOT_FOUND_BODY, {}, "NotFound"],
    ["400 not found (some sources)", 400, NOT_FOUND_BODY, {}, "NotFound"],
    [
      "referenced object not found",
      400,
      cmdletError(
        'Ex94914C|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|Couldn\'t find object "u". Please make sure that it was spelled correctly or specify a different object.',
      ),
      {},
      "NotFound",
    ],
    [
      "proxy address in use",
      400,
      cmdletError(
        '|Microsoft.Exchange.Data.DataValidationException|The proxy address "SMTP:name@domain.com" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.',
      ),
      {},
      "AlreadyExists",
    ],
    [
      "already exists",
      400,
      cmdletError(
        "|Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException|An object with the name x already exists.",
      ),
      {},
      "AlreadyExists",
    ],
    [
      "already a member",
      400,
      cmdletError(
        '|Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException|The recipient "user" is already a member of the group.',
      ),
      {},
      "AlreadyExists",
    ],
    [
      "not a member",
      400,
      cmdletError(
        '|Microsoft.Exchange.Management.Tasks.MemberNotFoundException|The recipient "user" isn\'t a member of the group.',
      ),
      {},
      "NotAMember",
    ],
    [
      "customization not required",
      400,
      cmdletError(
        "|System.InvalidOperationException|This operation is not required. Organization is already enabled for customization.",
      ),
      {},
      "NoOp",
    ],
    ["ambiguous parameter set", 400, AMBIGUOUS_BODY, {}, "BadRequest"],
    [
      "dehydrated tenant",
      400,
      cmdletError(
        "|Microsoft.Exchange.Configuration.Tasks.TaskException|The command you tried to run isn't currently allowed in your organization. To run this command, you first need to run the command: Enable-OrganizationCustomization.",
      ),
      {},
      "BadRequest",
    ],
    [
      "401",
      401,
      "",
      {
        "www-authenticate":
          'Bearer error="invalid_token", error_description="The token has no Exchange.ManageAsApp role"',
      },
      "Unauthorized",
    ],
    ["403 NUL body", 403, "\u0000".repeat(32), {}, "Forbidden"],
    ["429", 429, "", { "retry-after": "7" }, "Throttled"],
    [
      "503 concurrency text",
      503,
      cmdletError("You have reached the maximum number of concurrent requests per tenant. Please wait and try again"),
      {},
      "Throttled",
    ],
    ["503", 503, "", {}, "Transient"],
    ["504", 504, "", {}, "Transient"],
    ["408", 408, "", {}, "Transient"],
    [
      "500 cast error",
      500,
      cmdletError(
        "|System.InvalidCastException|Unable to cast object of type 'Newtonsoft.Json.Linq.JObject' to type 'System.String'.",
        "InternalServerError",
      ),
      {},
      "Server",
    ],
  ];
  test.each(cases)("%s", (_n, status, body, headers, kind) => {
    const e = row(status, body, headers);
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(status);
    expect(e.cmdlet).toBe("Get-Mailbox");
    expect(e.message).toMatch(/^Running Get-Mailbox for 'x@t.onmicrosoft.com' failed \(HTTP \d+/);
  });

  test("401 and 403 name the grant that is probably missing", () => {
    expect(row(401, "", {}).message).toMatch(/Exchange\.ManageAsApp/);
    expect(row(403, "\u0000\u0000", {}).message).toMatch(/Exchange Administrator directory role/);
    const denied = row(403, "", { "x-exceptiontype": "CmdletAccessDeniedException" });
    expect(denied.message).toMatch(
      /Get-Mailbox is not available to the operator app: it needs the Exchange Administrator directory role/,
    );
    expect(denied.exceptionType).toBe("CmdletAccessDeniedException");
  });

  test("the paging expiry is flagged", () => {
    const e = row(400, paging);
    expect(e.pagingFailed).toBe(true);
    expect(e.kind).toBe("BadRequest");
  });

  test("request id and Retry-After are kept", () => {
    const e = row(429, "", { "retry-after": "3", "request-id": "r-1" });
    expect(e.retryAfterSeconds).toBe(3);
    expect(e.requestId).toBe("r-1");
    expect(e.message).toContain("request-id r-1");
  });

  test("PowerShell errors (no status) classify on text and type", () => {
    expect(
      classify(
        0,
        "The operation couldn't be performed because object 'x' couldn't be found on 'y'.",
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
      ),
    ).toBe("NotFound");
    expect(
      classify(
        0,
        "A parameter cannot be found that matches parameter name 'Bogus'.",
        "System.Management.Automation.ParameterBindingException",
      ),
    ).toBe("BadRequest");
    expect(classify(0, "The migration endpoint x already exists.", undefined)).toBe("AlreadyExists");
    expect(classify(0, "Something broke", "System.Exception")).toBe("Server");
  });

  test("PowerShell throttling and network failures classify as retryable, a cmdlet's own refusal does not", () => {
    // The REST-based module reports a 429 by the envelope's code; remote PowerShell by its budget texts.
    expect(classify(0, "The request was throttled. Please wait and try again", "TooManyRequests")).toBe("Throttled");
    expect(
      classify(
        0,
        "[AuthZRequestId=6a8828f9][FailureCategory=AuthZ-AuthorizationException] Fail to create a runspace because you have exceeded the maximum number of connections allowed : 3 for the policy party : MaxConcurrency. Please close existing runspace and try again.",
      ),
    ).toBe("Throttled");
    expect(
      classify(
        0,
        "You have reached the maximum number of concurrent requests per tenant. Please wait and try again",
        "ServiceUnavailable",
      ),
    ).toBe("Throttled");
    expect(
      classify(0, "The server is busy. Try again later.", "Microsoft.Exchange.Data.Storage.ServerBusyException"),
    ).toBe("Throttled");
    expect(classify(0, "An error occurred while sending the request.", "System.Net.Http.HttpRequestException")).toBe(
      "Transient",
    );
    expect(classify(0, "Gateway timeout", "GatewayTimeout")).toBe("Transient");
    // Not throttling: a wrong secret, a dehydrated tenant.
    expect(
      classify(
        0,
        "AADSTS7000215: Invalid client secret provided.",
        "Microsoft.Exchange.Migration.MigrationPermanentException",
      ),
    ).not.toMatch(/Throttled|Transient/);
    expect(
      classify(
        0,
        "To run this command, you first need to run the command: Enable-OrganizationCustomization.",
        "CmdletInvalidOperationInDehydratedContextException",
      ),
    ).toBe("Server");
    // REST keeps deciding by status: a 400 that mentions a request id is still a BadRequest.
    expect(classify(400, "The request is invalid.", "TooManyRecipients")).toBe("BadRequest");
  });

  test("Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterSeconds({ "retry-after": "12" })).toBe(12);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterSeconds({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }, now)).toBe(5);
    expect(retryAfterSeconds({})).toBeUndefined();
  });

  test("a secret the service echoes is scrubbed", () => {
    const e = exchangeErrorFromResponse(
      "New-MailUser",
      "u",
      { status: 400, body: cmdletError("|X|Password 'Hunter2!x' is too weak"), headers: {} },
      (s) => s.split("Hunter2!x").join("[REDACTED]"),
    );
    expect(e.message).not.toContain("Hunter2!x");
    expect(e.message).toContain("[REDACTED]");
  });
});

describe("parameter encoding: values typed for the REST binder", () => {
  test("undefined dropped, null kept, dates ISO, bytes base64, arrays element-wise", () => {
    const p = encodeParameters({
      Identity: "x",
      Skip: undefined,
      BillingPolicyId: null,
      StartAfter: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      CSVData: Buffer.from("EmailAddress\nu@x.com\n"),
      DomainNames: ["a", undefined, "b"],
      MailboxMoveEnabled: false,
      Confirm: false,
      ResultSize: "Unlimited",
      Count: 3,
    });
    expect(p).toEqual({
      Identity: "x",
      BillingPolicyId: null,
      StartAfter: "2026-01-02T03:04:05.000Z",
      CSVData: Buffer.from("EmailAddress\nu@x.com\n").toString("base64"),
      DomainNames: ["a", "b"],
      MailboxMoveEnabled: false,
      Confirm: false,
      ResultSize: "Unlimited",
      Count: 3,
    });
    expect("Skip" in p).toBe(false);
  });
  test("hashtable helper tags the add/remove object", () => {
    expect(hashtable({ add: ["smtp:a@x.com"], remove: ["smtp:b@x.com"] })).toEqual({
      "@odata.type": "#Exchange.GenericHashTable",
      Add: ["smtp:a@x.com"],
      Remove: ["smtp:b@x.com"],
    });
    expect(hashtable({ add: ["x"] })).toEqual({ "@odata.type": "#Exchange.GenericHashTable", Add: ["x"] });
    expect(encodeParameters({ EmailAddresses: hashtable({ remove: ["x500:/o=X"] }) })).toEqual({
      EmailAddresses: { "@odata.type": "#Exchange.GenericHashTable", Remove: ["x500:/o=X"] },
    });
  });
  test("invalid numbers and dates are refused before sending", () => {
    expect(() => encodeParameters({ N: NaN })).toThrow(/NaN/);
    expect(() => encodeParameters({ D: new Date("nope") })).toThrow(/invalid Date/);
  });
});

describe("success decoding: value, warnings and annotations of a 200", () => {
  test("value absent or null is empty; warnings kept; annotations stripped", () => {
    expect(decodePage({})).toEqual({ value: [], warnings: [] });
    expect(decodePage({ value: null, "@adminapi.warnings": ["w"] })).toEqual({ value: [], warnings: ["w"] });
    const page = decodePage<Record<string, unknown>>({
      "@odata.context": "https://outlook.office.com/adminapi/beta/t/$metadata#Collection(Exchange.GenericHashTable)",
      "adminapi.warnings@odata.type": "#Collection(String)",
      "@adminapi.warnings": [],
      "@odata.nextLink": "https://outlook.office365.com/adminapi/beta/t/InvokeCommand?$skiptoken=abc",
      value: [
        {
          Identity: "CBergin",
          "EmailAddresses@odata.type": "#Collection(String)",
          EmailAddresses: ["SMTP:c@x.com"],
          "ExchangeGuid@data.type": "System.Guid",
          ExchangeGuid: "g",
        },
      ],
    });
    expect(page.value).toEqual([{ Identity: "CBergin", EmailAddresses: ["SMTP:c@x.com"], ExchangeGuid: "g" }]);
    expect(page.nextLink).toBe("https://outlook.office365.com/adminapi/beta/t/InvokeCommand?$skiptoken=abc");
  });
  test("sizes", () => {
    expect(sizeInBytes("99 GB (106,300,440,576 bytes)")).toBe(106300440576);
    expect(sizeInBytes({ Value: 5 })).toBe(5);
    expect(sizeInBytes("Unlimited")).toBeUndefined();
  });
});
