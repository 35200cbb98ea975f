// The Pulumi program: read and check the stack configuration (every mistake named by its key, with the fix,
// before anything is declared), read the partner stack when the pair is split, build the pair, and export
// what an engineer needs next. The program is an async function because a split pair decides what it can
// declare from the partner stack's published values (config/partner.ts).

import * as pulumi from "@pulumi/pulumi";
import { CrossTenantMigration } from "./components/crossTenantMigration";
import { PARTNER_OUTPUT, readPartner } from "./config/partner";
import { readMoveConfig } from "./config/moveConfig";
import { readStackConfig } from "./config/stackConfig";
import { readStaging } from "./config/waves";

export = async () => {
  const config = new pulumi.Config();
  const settings = readStackConfig(config);
  // CSV files of waves are relative to the project (where Pulumi.yaml is).
  const staging = readStaging(config, pulumi.runtime.getRootDirectory() || process.cwd());
  const moves = readMoveConfig(config);

  const partnerRole = settings.manage === "source" ? "target" : "source";
  const partner = settings.partnerStack
    ? await readPartner(settings.partnerStack, partnerRole, settings[partnerRole])
    : undefined;

  const pair = new CrossTenantMigration("pair", {
    source: settings.source,
    target: settings.target,
    manage: settings.manage,
    partner,
    migrationApp: settings.migrationApp,
    sourceConsentMode: settings.sourceConsentMode,
    endpoint: settings.endpoint,
    scopingGroupName: settings.scopingGroupName,
    relationshipName: settings.relationshipName,
    waves: staging.waves,
    targetDomains: staging.targetDomains,
    targetDeliveryDomain: staging.targetDeliveryDomain,
    purgeStagedUsersOnDestroy: staging.purgeStagedUsersOnDestroy,
    licences: moves.licences,
    removeCompletedBatchesOnDestroy: moves.removeCompletedBatchesOnDestroy,
    readinessReportDir: moves.readinessReportDir,
  });

  return {
    sourceTenantId: settings.source.tenantId,
    targetTenantId: settings.target.tenantId,
    /** The source administrator opens it to consent (or the stack grants it: sourceConsentMode grant). */
    consentUrl: pair.consentUrl,
    /** What migration batches name as -SourceEndpoint. */
    endpointName: pair.endpointName,
    /** What migration batches name as -TargetDeliveryDomain. */
    targetDeliveryDomain: pair.targetDeliveryDomain,
    /** Per wave, every declared user: staged, held (with the reasons), migrated, or planned. */
    waves: pair.wavesState,
    /** Per wave: the pre-flight's summary (users ready, blocked, pending, moved; warnings), its report file, licences needed and available. */
    readiness: pair.readinessState,
    /** Per migration batch: its wave, status and counts (refreshed by `pulumi refresh`; `npm run status` shows each user). */
    batches: pair.batchesState,
    ...(pair.partnerValues ? { [PARTNER_OUTPUT]: pair.partnerValues } : {}),
    ...(pair.nextSteps.length > 0 ? { nextSteps: pair.nextSteps } : {}),
  };
};
