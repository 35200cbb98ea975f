// Microsoft's first-party applications as Entra ID knows them (the same ids in every tenant and cloud), and
// the application permission a cross-tenant migration app holds on Exchange Online
// (https://learn.microsoft.com/en-us/microsoft-365/enterprise/cross-tenant-mailbox-migration).

/** Office 365 Exchange Online. */
export const EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";

/** Microsoft Graph. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** The app role value that lets the migration app move mailboxes between tenants. */
export const MAILBOX_MIGRATION_ROLE = "Mailbox.Migration";
