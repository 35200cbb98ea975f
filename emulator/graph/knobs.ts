// Graph behaviours the emulator can be told to change. Owned by the Graph surface. Each knob is a fact we
// could not confirm from Microsoft's pages; the default is the behaviour we think most likely.
export interface GraphKnobs {
  /** Page size when the client sends no $top. Documented as 100 for /applications and /groups; assumed elsewhere. */
  defaultPageSize: number;
  /** Largest $top accepted (documented as 999 for /applications and /groups). */
  maxPageSize: number;
  /**
   * signInAudience given to an application created without one. The application resource page lists
   * AzureADMyOrg as the default; reports exist of Graph-created apps getting AzureADandPersonalMicrosoftAccount. UNCONFIRMED.
   */
  defaultSignInAudience:
    "AzureADMyOrg" | "AzureADMultipleOrgs" | "AzureADandPersonalMicrosoftAccount" | "PersonalMicrosoftAccount";
  /**
   * passwordCredentials in a POST/PATCH body: the pages say they "cannot be set" and point to addPassword,
   * without saying whether Graph ignores them or fails. UNCONFIRMED: "ignore" (drop them) or "reject" (400).
   * Either way the emulator records a violation, because the page tells clients not to send them.
   */
  passwordCredentialsOnWrite: "ignore" | "reject";
  /** $count=true without `ConsistencyLevel: eventual` fails (the pages name the header as required with $count). */
  requireConsistencyLevelForCount: boolean;
}

export const DEFAULT_GRAPH_KNOBS: GraphKnobs = {
  defaultPageSize: 100,
  maxPageSize: 999,
  defaultSignInAudience: "AzureADMyOrg",
  passwordCredentialsOnWrite: "ignore",
  requireConsistencyLevelForCount: true,
};
