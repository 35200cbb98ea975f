// Which implementation answers which cmdlet; every cmdlet of the reference has one.

import type { CmdletImpl } from "../call";
import * as b from "./batches";
import * as d from "./diagnostics";
import * as e from "./endpoints";
import * as g from "./groups";
import * as lt from "./liveTest";
import * as m from "./mailusers";
import * as mr from "./moveRequests";
import * as mu from "./migrationUsers";
import * as o from "./organization";
import * as r from "./recipients";
import * as rel from "./relationships";
import * as st from "./statistics";
import * as u from "./users";

export const IMPLEMENTATIONS: Record<string, CmdletImpl> = {
  "Get-OrganizationConfig": o.getOrganizationConfig,
  "Enable-OrganizationCustomization": o.enableOrganizationCustomization,
  "Get-AcceptedDomain": o.getAcceptedDomain,
  "Get-OrganizationRelationship": rel.getOrganizationRelationship,
  "New-OrganizationRelationship": rel.newOrganizationRelationship,
  "Set-OrganizationRelationship": rel.setOrganizationRelationship,
  "Remove-OrganizationRelationship": rel.removeOrganizationRelationship,
  "Get-DistributionGroup": g.getDistributionGroup,
  "New-DistributionGroup": g.newDistributionGroup,
  "Set-DistributionGroup": g.setDistributionGroup,
  "Remove-DistributionGroup": g.removeDistributionGroup,
  "Get-DistributionGroupMember": g.getDistributionGroupMember,
  "Add-DistributionGroupMember": g.addDistributionGroupMember,
  "Remove-DistributionGroupMember": g.removeDistributionGroupMember,
  "Update-DistributionGroupMember": g.updateDistributionGroupMember,
  "Get-Mailbox": r.getMailbox,
  "Get-Recipient": r.getRecipient,
  "Get-MailUser": m.getMailUser,
  "New-MailUser": m.newMailUser,
  "Set-MailUser": m.setMailUser,
  "Remove-MailUser": m.removeMailUser,
  "Get-MigrationEndpoint": e.getMigrationEndpoint,
  "New-MigrationEndpoint": e.newMigrationEndpoint,
  "Set-MigrationEndpoint": e.setMigrationEndpoint,
  "Remove-MigrationEndpoint": e.removeMigrationEndpoint,
  "Test-MigrationServerAvailability": lt.testMigrationServerAvailability,
  "Get-MigrationBatch": b.getMigrationBatch,
  "New-MigrationBatch": b.newMigrationBatch,
  "Start-MigrationBatch": b.startMigrationBatch,
  "Stop-MigrationBatch": b.stopMigrationBatch,
  "Complete-MigrationBatch": b.completeMigrationBatch,
  "Remove-MigrationBatch": b.removeMigrationBatch,
  "Get-MigrationUser": mu.getMigrationUser,
  "Get-MigrationUserStatistics": mu.getMigrationUserStatistics,
  "Get-MailboxStatistics": st.getMailboxStatistics,
  "Get-MailboxFolderStatistics": st.getMailboxFolderStatistics,
  "Get-User": u.getUser,
  "Set-User": u.setUser,
  "Export-MailboxDiagnosticLogs": d.exportMailboxDiagnosticLogs,
  "Get-MoveRequest": mr.getMoveRequest,
  "Get-MoveRequestStatistics": mr.getMoveRequestStatistics,
};
