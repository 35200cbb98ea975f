// The resources a one-stack pair declares with one wave, by name, in declaration order; the tests that list
// a stack's plan or state start from it.

/** The pair's own resources (both tenants), without the wave's. */
export const PAIR_RESOURCES = [
  "organization-customization/source",
  "organization-customization/target",
  "migration-app",
  "consent/target",
  "consent/source",
  "relationship/target",
  "relationship/source",
  "scoping-group",
  "migration-endpoint",
  "migration-app/secret-retirement",
];

/** A wave's own resources before its MailUsers: the source read, readiness, licences and the batch. */
export const waveResources = (wave: string): string[] => [
  `source-mailboxes/${wave}`,
  `readiness/${wave}`,
  `licences/${wave}`,
  `batch/${wave}`,
];
