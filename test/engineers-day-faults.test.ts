// The engineer's day (engineers-day.test.ts) with the emulator's fault knobs on for the whole day and on every
// surface (sign-in, Graph, Exchange): throttling (429 with Retry-After), 503s, lost responses after a write was applied, objects that replicate slowly and a
// consent that takes time to reach Exchange. The day must end the same: every step converges, the second up
// and the up after a move write nothing, drift is repaired, and destroy leaves the pair as it was. Request
// counts are not compared exactly (retries are the point here); no duplicate object may appear, which the
// final comparison with the first snapshot would show. The engineer's own migration batch runs without faults.
// Which request a fault hits depends on the order of concurrent requests, so a run is not replayed exactly by
// its seed; the rates are high enough that every kind of fault lands on a write in a typical run.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { describeEngineersDay } from "./engineers-day.test";

describeEngineersDay("the engineer's day with throttling, 503s, lost responses and replication delay", {
  faults: {
    throttleRate: 0.04,
    retryAfterSeconds: 1,
    unavailableRate: 0.04,
    lostResponseRate: 0.1,
    replicationMs: 800,
    consentPropagationMs: 1500,
    seed: 6,
    // Every surface, sign-in included: token acquisition retries a 429, a 503 (AADSTS90033), a lost token
    // response and a failed OpenID discovery (providers/tenant/credentials.ts).
    surfaces: ["login", "graph", "exchange"],
  },
});
