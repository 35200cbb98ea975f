// The tenant pair: one component that converges both tenants (or one side of a split pair) so that Exchange
// Online cross-tenant mailbox moves can run, and stages the declared waves of users in the target.
//
// Dependencies, not declaration order, carry Microsoft's order (the resource graph, top to bottom):
//   migration-app -> consent/target, consent/source -> migration-endpoint -> migration-app/secret-retirement
//   organization-customization/<tenant> -> relationship/<tenant>, scoping-group, migration-endpoint
//   migration-endpoint -> each wave's MailUsers (stageAfter)
//   each wave's source mailboxes (stagedSourceAddresses) -> scoping-group -> relationship/source
//   each wave's MailUsers -> licences/<wave> (opt-in) -> readiness/<wave> <- scoping group, relationships, endpoint
//   readiness/<wave>, MailUsers, migration-endpoint -> batch/<wave>[-n] (declared per wave)
// Destroy runs it backwards: batches (a completed one is left in place), readiness, licences, MailUsers, then
// the relationships, group, endpoint (left in place, with a warning, while a kept batch uses it), consents, app.
//
// Two of those edges point "back" across the tenant components (the target's endpoint waits for the source
// consent; the source's scoping group takes its members from the waves), so they are passed as deferred
// outputs that are resolved once the later component exists; they carry their dependencies like any output.
// Components never read configuration: index.ts (or a test) passes typed arguments.

import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MigrationWave, type WaveUser } from "./migrationWave";
import { pairDone, type WaveDone } from "./waveStaging";
import type { LicencePlan } from "../config/moveConfig";
import { batchView, readinessView, type WaveMovesArgs } from "./waveBatches";
import type { PartnerValues, SourceSideValues, TargetSideValues } from "../config/partner";
import { SourceTenant } from "./sourceTenant";
import type { ManageMode, TenantRef } from "../config/stackConfig";
import { TargetTenant, type MigrationAppOptions, type MigrationEndpointOptions } from "./targetTenant";
import type { WavePlan } from "../config/waves";

export interface CrossTenantMigrationArgs {
  /** The tenant the mailboxes move from. */
  source: TenantRef;
  /** The tenant the mailboxes move to. */
  target: TenantRef;
  /** Which tenants this stack administers (default both). */
  manage?: ManageMode;
  /**
   * Split administration (manage source or target): what the other side's stack published (config/partner.ts);
   * undefined until that stack has run `pulumi up`. Ignored with manage=both.
   */
  partner?: PartnerValues;
  /** The migration app; the display name defaults to one naming both tenants. */
  migrationApp?: Partial<MigrationAppOptions>;
  /** grant (default): the stack grants the source consent; await: an administrator opens the consent URL. */
  sourceConsentMode?: "grant" | "await";
  endpoint?: Partial<MigrationEndpointOptions>;
  scopingGroupName?: string;
  /** Name given to the organization relationship in each tenant when this stack creates it. */
  relationshipName?: string;
  /** The waves of users to stage (config/waves.ts). */
  waves?: WavePlan[];
  /** Domains the target owns where staged users may get their primary address (default [target.domain]). */
  targetDomains?: string[];
  /** Domain of each MailUser's delivery proxy, later the batches' -TargetDeliveryDomain (default target.domain). */
  targetDeliveryDomain?: string;
  /** On destroy, hard-delete the MailUsers this stack created (test pairs); default false. */
  purgeStagedUsersOnDestroy?: boolean;
  /** Opt-in: assign the Cross Tenant User Data Migration licence to each wave's users (default: report the need only). */
  licences?: LicencePlan;
  /** Destroy removes completed migration batches too (default false: they stay as the record of the moves). */
  removeCompletedBatchesOnDestroy?: boolean;
  /** Where each wave's readiness report is written: `<dir>/<stack>-<wave>.md` (default `readiness`, relative to the project). */
  readinessReportDir?: string;
}

/** The stack's `readiness` output of one wave. */
export type ReadinessState = pulumi.Unwrap<ReturnType<typeof readinessView>>;
/** The stack's `batches` output of one batch. */
export type BatchState = pulumi.Unwrap<ReturnType<typeof batchView>>;

/** The names this project gives the pair's objects unless the stack says otherwise. */
export function defaultNames(source: TenantRef, target: TenantRef) {
  const label = (t: TenantRef) => t.domain.split(".")[0];
  const [from, to] = [label(source), label(target)];
  return {
    appDisplayName: `Cross-tenant mailbox migration (${from} to ${to})`,
    endpointName: `migration-from-${from}`.slice(0, 64),
    scopingGroupName: `migration-to-${to}`.slice(0, 64),
    relationshipName: `Mailbox migration ${from} to ${to}`.slice(0, 64),
  };
}

export class CrossTenantMigration extends pulumi.ComponentResource {
  readonly source?: SourceTenant;
  readonly target?: TargetTenant;
  /** The waves this stack declares, by name. */
  readonly waves: Record<string, MigrationWave> = {};
  /** The consent link for the source tenant's administrator (from the partner stack when split). */
  readonly consentUrl?: pulumi.Output<string>;
  /** The migration endpoint's name (what batches give as -SourceEndpoint), once it is declared. */
  readonly endpointName?: pulumi.Output<string>;
  readonly targetDeliveryDomain: string;
  /** Per wave: every declared user and its state. */
  readonly wavesState: pulumi.Output<Record<string, WaveUser[]>>;
  /** Per wave with a readiness check: its summary, report file and licence count. */
  readonly readinessState: pulumi.Output<Record<string, ReadinessState>>;
  /** Per migration batch (by its Exchange name): its wave, status and counts. */
  readonly batchesState: pulumi.Output<Record<string, BatchState>>;
  /** Split administration: the one output the partner stack reads (non-secret values only). */
  readonly partnerValues?: pulumi.Output<PartnerValues>;
  /** What this stack could not do yet and why (a split pair waiting for its partner); each is also logged. */
  readonly nextSteps: string[] = [];

  constructor(name: string, args: CrossTenantMigrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("xtmm:index:CrossTenantMigration", name, {}, opts);
    const manage = args.manage ?? "both";
    const manageSource = manage !== "target";
    const manageTarget = manage !== "source";
    const names = defaultNames(args.source, args.target);
    const partner = manage === "both" ? undefined : args.partner;
    const fromTarget = partner?.role === "target" ? (partner as TargetSideValues) : undefined;
    const fromSource = partner?.role === "source" ? (partner as SourceSideValues) : undefined;
    const relationshipName = args.relationshipName ?? names.relationshipName;
    this.targetDeliveryDomain = (args.targetDeliveryDomain ?? args.target.domain).toLowerCase();
    const targetDomains = args.targetDomains?.length ? args.targetDomains : [args.target.domain.toLowerCase()];
    const pending = (step: string) => {
      this.nextSteps.push(step);
      pulumi.log.warn(step, this);
    };

    // The migration app's appId and object id change only when it is replaced (another tenant, another adopted
    // app), its consent link also with the source tenant: all configuration, known at preview, so a preview of an
    // app update (a rotation) does not list its consumers as replacements (providers/anchors.ts).
    const appAnchor = JSON.stringify(
      [args.target.tenantId, args.migrationApp?.adoptAppId ?? null, args.source.tenantId, args.source.domain].map(
        (v) => v?.toLowerCase() ?? null,
      ),
    );

    // Edges that point back across the components, resolved below (see the header).
    const [sourceConsentedAt, setSourceConsentedAt] = pulumi.deferredOutput<string | null>();
    const [scopeMembers, setScopeMembers] = pulumi.deferredOutput<string[]>();

    if (manageTarget) {
      let consentedAt: pulumi.Input<string | null> | undefined = sourceConsentedAt;
      if (manage === "target") {
        consentedAt = fromSource?.consentedAt ?? undefined;
        if (consentedAt === undefined) {
          pending(
            `The source tenant has not consented to the migration app yet (as reported by the source stack); the migration endpoint and the ` +
              `waves are declared once it has. Run \`pulumi up\` in the source stack, then here again.`,
          );
        }
      }
      this.target = new TargetTenant(
        "target",
        {
          tenantId: args.target.tenantId,
          source: args.source,
          app: { ...args.migrationApp, displayName: args.migrationApp?.displayName ?? names.appDisplayName },
          relationshipName,
          endpoint: { ...args.endpoint, name: args.endpoint?.name ?? names.endpointName },
          sourceConsentedAt: consentedAt,
          appAnchor,
        },
        { parent: this },
      );
      this.consentUrl = this.target.app.consentUrl;
      this.endpointName = this.target.endpoint?.name;
    }

    if (manageSource) {
      const appId = this.target?.app.appId ?? fromTarget?.appId;
      const consentUrl = this.target?.app.consentUrl ?? fromTarget?.consentUrl;
      if (appId === undefined) {
        pending(
          "The target stack has not published the migration app yet; the source consent and the source organization relationship " +
            "are declared once it has. Run `pulumi up` in the target stack, then here again.",
        );
      }
      this.source = new SourceTenant(
        "source",
        {
          tenantId: args.source.tenantId,
          target: args.target,
          appId,
          consentUrl,
          consentMode: args.sourceConsentMode ?? "grant",
          scopingGroupName: args.scopingGroupName ?? names.scopingGroupName,
          relationshipName,
          scopeMembers,
          ...(this.target ? { appAnchor } : {}),
        },
        { parent: this },
      );
      if (!this.consentUrl && fromTarget) this.consentUrl = pulumi.output(fromTarget.consentUrl);
    }
    setSourceConsentedAt(this.source?.consent ? this.source.consent.consentedAt : pulumi.output(null));

    // Staging: in the target only after the endpoint exists (the pair is proven to work before users are made).
    const stageAfter = this.target?.endpoint ? [this.target.endpoint] : [];
    // Every wave's readiness counts the licences left once the whole pair is staged and licensed.
    let wavesDeclared!: (waves: WaveDone[]) => void;
    const afterPair = pairDone(new Promise<WaveDone[]>((resolve) => (wavesDeclared = resolve)));
    const movesFor = this.movesFor(manage, args, names, afterPair, fromTarget);
    // A pair's waves stage one after another, so the program holds one wave's MailUsers in flight, not the
    // pair's (components/waveStaging.ts).
    let stageAfterWave: Promise<void> | undefined;
    for (const wave of args.waves ?? []) {
      const given = fromSource?.sourceMailboxes?.[wave.name];
      if (manage === "target" && (!this.target?.endpoint || given === undefined)) {
        if (this.target?.endpoint)
          pending(
            `Wave ${wave.name}: the source stack has not read it yet; run \`pulumi up\` in the source stack, then here again.`,
          );
        continue;
      }
      this.waves[wave.name] = new MigrationWave(
        wave.name,
        {
          users: wave.users,
          targetDomains,
          targetDeliveryDomain: this.targetDeliveryDomain,
          purgeStagedUsersOnDestroy: args.purgeStagedUsersOnDestroy ?? false,
          manage: { source: manageSource, target: manageTarget },
          ...(given !== undefined ? { sourceMailboxes: given } : {}),
          stageAfter,
          ...(stageAfterWave ? { stageAfterWave } : {}),
          ...(wave.split ? { maxUsers: 0 } : {}),
          ...(wave.clearPreviousMailboxInfo?.length ? { clearPreviousMailboxInfo: wave.clearPreviousMailboxInfo } : {}),
          moves: movesFor(wave),
        },
        { parent: this },
      );
      stageAfterWave = this.waves[wave.name].staged;
    }
    wavesDeclared(Object.values(this.waves).map((w) => ({ staged: w.staged, licensed: w.moves.licences?.assigned })));
    // The scoping group holds exactly the users that are staged (a blocked or held user may not move).
    setScopeMembers(
      pulumi
        .all(Object.values(this.waves).map((w) => w.stagedSourceAddresses))
        .apply((lists) => [...new Set(lists.flat().map((a) => a.toLowerCase()))].sort()),
    );

    this.wavesState = pulumi.all(
      Object.fromEntries(Object.entries(this.waves).map(([n, w]) => [n, w.users])),
    ) as pulumi.Output<Record<string, WaveUser[]>>;
    const waves = Object.entries(this.waves);
    this.readinessState = pulumi.all(
      Object.fromEntries(waves.flatMap(([n, w]) => (w.moves.readiness ? [[n, readinessView(w.moves.readiness)]] : []))),
    ) as pulumi.Output<Record<string, ReadinessState>>;
    this.batchesState = pulumi.all(
      Object.fromEntries(waves.flatMap(([n, w]) => w.moves.batches.map((b) => [b.name, batchView(n, b.batch)]))),
    ) as pulumi.Output<Record<string, BatchState>>;
    this.partnerValues = this.publishForPartner(manage, args);

    this.registerOutputs({
      consentUrl: this.consentUrl,
      endpointName: this.endpointName,
      targetDeliveryDomain: this.targetDeliveryDomain,
      // The waves, readiness and batches are the stack's outputs (index.ts) and each wave's: a third copy of
      // every user's state here would only grow the checkpoint.
    });
  }

  /**
   * What each wave gets beyond staging, in this administration mode: readiness wherever the stack knows the
   * app, the scope group and the endpoint (each side checks its own tenant); licences on the side that was
   * asked for, when this stack administers it; batches in the target, once the endpoint exists.
   */
  private movesFor(
    manage: ManageMode,
    args: CrossTenantMigrationArgs,
    names: ReturnType<typeof defaultNames>,
    afterPair: pulumi.Output<string>,
    fromTarget?: TargetSideValues,
  ) {
    const appId = this.target?.app.appId ?? fromTarget?.appId;
    const endpointName = this.target ? this.target.endpoint?.identity : (args.endpoint?.name ?? names.endpointName);
    const scopeGroup = this.source?.scopingGroup.identity ?? args.scopingGroupName ?? names.scopingGroupName;
    // Non-secret outputs of what readiness checks; unknown at preview while any of them changes.
    const s = this.source;
    const t = this.target;
    const dependsOnValues: pulumi.Input<unknown>[] = [
      ...(s ? [s.scopingGroup.identity, s.scopingGroup.members] : []),
      ...(s?.consent ? [s.consent.assignmentIds] : []),
      ...(s?.relationship ? [s.relationship.identity, s.relationship.enabled, s.relationship.mailboxMoveEnabled] : []),
      ...(t
        ? [t.relationship.identity, t.relationship.enabled, t.relationship.mailboxMoveEnabled, t.consent.assignmentIds]
        : []),
      ...(t?.endpoint ? [t.endpoint.identity] : []),
    ];
    const side = args.licences?.assign ?? "none";
    const licensable = (side === "source" && manage !== "target") || (side === "target" && manage !== "source");
    const dir = args.readinessReportDir ?? "readiness";
    return (wave: WavePlan): WaveMovesArgs => ({
      ...(appId !== undefined && endpointName !== undefined
        ? {
            readiness: {
              appId,
              endpointName,
              scopeGroup,
              reportPath: path.join(dir, `${pulumi.getStack()}-${wave.name}.md`),
              ...(wave.liveTest ? { liveTest: true } : {}),
              dependsOnValues,
              afterPair,
            },
          }
        : {}),
      ...(licensable
        ? {
            licences: {
              tenant: side as "source" | "target",
              ...(args.licences?.usageLocation ? { usageLocation: args.licences.usageLocation } : {}),
            },
          }
        : {}),
      ...(wave.batch && t?.endpoint
        ? {
            batch: {
              ...wave.batch,
              sourceEndpoint: t.endpoint.identity,
              removeCompletedOnDestroy: args.removeCompletedBatchesOnDestroy ?? false,
            },
          }
        : {}),
    });
  }

  /** Only plain directory facts and ids; the app's secret stays in the target stack. */
  private publishForPartner(
    manage: ManageMode,
    args: CrossTenantMigrationArgs,
  ): pulumi.Output<PartnerValues> | undefined {
    if (manage === "target" && this.target) {
      return pulumi
        .all([this.target.app.appId, this.target.app.consentUrl])
        .apply(([appId, consentUrl]): PartnerValues => ({
          role: "target",
          tenantId: args.target.tenantId,
          domain: args.target.domain,
          appId,
          consentUrl,
        }));
    }
    if (manage === "source" && this.source) {
      const consentedAt = this.source.consent ? this.source.consent.consentedAt : pulumi.output(null);
      const mailboxes = pulumi.all(
        Object.fromEntries(Object.entries(this.waves).map(([n, w]) => [n, w.sourceMailboxes])),
      );
      return pulumi.all([consentedAt, mailboxes]).apply(([at, sourceMailboxes]): PartnerValues => ({
        role: "source",
        tenantId: args.source.tenantId,
        domain: args.source.domain,
        consentedAt: at,
        sourceMailboxes,
      }));
    }
    return undefined;
  }
}
