// MigrationAppSecretRetirement: the second half of a MigrationApp secret rotation. MigrationApp adds the new
// secret and lists the previous ones in `retiringSecretKeyIds`; the stack orders this resource after the
// migration endpoint, so the endpoint holds the new secret before the old ones are removed here
// (removePassword). It never removes `keepSecretKeyId`, and refuses to remove anything while that secret is
// not on the application, so there is no moment without a valid secret. A secret already gone counts as
// retired. Delete removes nothing: a retired secret cannot come back, and the app's own delete takes the rest.
//
// The id is `<applicationObjectId>/secretRetirement`: the retirement is a change made to one app, not an object.

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type Anchored, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, log, tenantFor, type Props, type ResourceImplementation, gone } from "./context";
import { isGuid } from "../domain/ids";
import * as directory from "./migrationApp/directory";
import { removePassword } from "./migrationApp/clientSecrets";

export interface MigrationAppSecretRetirementArgs extends Anchored {
  /** MigrationApp's applicationObjectId. */
  applicationObjectId: pulumi.Input<string>;
  /** MigrationApp's secretKeyId: the secret in use, never removed. */
  keepSecretKeyId: pulumi.Input<string>;
  /** MigrationApp's retiringSecretKeyIds. */
  retireSecretKeyIds: pulumi.Input<pulumi.Input<string>[]>;
}

interface Inputs extends Props {
  applicationObjectId: string;
  keepSecretKeyId: string;
  retireSecretKeyIds: string[];
}

interface Outputs extends Inputs {
  /** Ids of `retireSecretKeyIds` that are no longer on the app (removed by us, or already gone). */
  retiredSecretKeyIds: string[];
  /** Ids of `retireSecretKeyIds` a refresh found still on the app (drift; the next up removes them). */
  pendingSecretKeyIds: string[];
}

const SPEC: XtmmResourceSpec = {
  kind: "migrationAppSecretRetirement",
  type: "MigrationAppSecretRetirement",
  outputs: ["retiredSecretKeyIds", "pendingSecretKeyIds"],
};

export class MigrationAppSecretRetirement extends XtmmResource {
  declare readonly applicationObjectId: pulumi.Output<string>;
  declare readonly keepSecretKeyId: pulumi.Output<string>;
  declare readonly retireSecretKeyIds: pulumi.Output<string[]>;
  declare readonly retiredSecretKeyIds: pulumi.Output<string[]>;
  declare readonly pendingSecretKeyIds: pulumi.Output<string[]>;

  constructor(name: string, args: MigrationAppSecretRetirementArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      SPEC,
      name,
      {
        applicationObjectId: args.applicationObjectId,
        keepSecretKeyId: args.keepSecretKeyId,
        retireSecretKeyIds: args.retireSecretKeyIds,
        ...(args.anchors ? { anchors: args.anchors } : {}),
      },
      opts,
    );
  }
}

const INPUTS = ["applicationObjectId", "keepSecretKeyId", "retireSecretKeyIds"];
const lowerSortedIds = (ids: string[]) => [...new Set(ids.map((k) => k.toLowerCase()))].sort();

async function retire(i: Inputs): Promise<Outputs> {
  const d = directory;
  const client = tenantFor("target");
  const g = await client.graph();
  const where = `application ${i.applicationObjectId} in tenant ${client.settings.tenantId}`;
  const keep = i.keepSecretKeyId.toLowerCase();
  const retireIds = lowerSortedIds(i.retireSecretKeyIds).filter((k) => k !== keep);
  const app = await d.getApplication(g, i.applicationObjectId, `Reading the client secrets of ${where}`);
  if (!app) {
    if (retireIds.length > 0)
      log.warn(`MigrationAppSecretRetirement: ${where} is gone, and with it every secret to retire.`);
    return { ...i, retiredSecretKeyIds: retireIds, pendingSecretKeyIds: [] };
  }
  const onApp = new Set(app.passwords.map((p) => p.keyId));
  const toRemove = retireIds.filter((k) => onApp.has(k));
  if (toRemove.length > 0 && !onApp.has(keep)) {
    throw new Error(
      `Retiring client secrets ${toRemove.join(", ")} of ${where}: refused, because the secret to keep (${keep}) is not on the application, ` +
        "so removing them could leave no valid secret. Run `pulumi up` so MigrationApp adds a secret, then retire.",
    );
  }
  for (const keyId of toRemove) {
    const removed = await removePassword(g, app.id, keyId, `Removing client secret ${keyId} from ${where}`);
    log.info(
      `MigrationAppSecretRetirement: ${removed ? "removed" : "found already removed"} client secret ${keyId} of ${where}; ${keep} stays.`,
    );
  }
  return { ...i, retiredSecretKeyIds: retireIds, pendingSecretKeyIds: [] };
}

export const migrationAppSecretRetirementImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    if (!isUnknown(news.applicationObjectId) && !isGuid(news.applicationObjectId)) {
      fail(
        "applicationObjectId",
        `must be the application's object id (a GUID; MigrationApp's applicationObjectId), got ${JSON.stringify(news.applicationObjectId ?? null)}`,
      );
    }
    if (!isUnknown(news.keepSecretKeyId) && !isGuid(news.keepSecretKeyId)) {
      fail(
        "keepSecretKeyId",
        `must be the key id (a GUID) of the secret in use (MigrationApp's secretKeyId), got ${JSON.stringify(news.keepSecretKeyId ?? null)}`,
      );
    }
    const ids = news.retireSecretKeyIds;
    if (!isUnknown(ids)) {
      if (!Array.isArray(ids)) {
        fail(
          "retireSecretKeyIds",
          `must be a list of key ids (MigrationApp's retiringSecretKeyIds), got ${JSON.stringify(ids ?? null)}`,
        );
      } else {
        ids.forEach((k, n) => {
          if (isUnknown(k)) return;
          if (!isGuid(k))
            fail(`retireSecretKeyIds[${n}]`, `must be a secret's key id (a GUID), got ${JSON.stringify(k ?? null)}`);
          else if (isGuid(news.keepSecretKeyId) && k.toLowerCase() === news.keepSecretKeyId.toLowerCase()) {
            fail(
              `retireSecretKeyIds[${n}]`,
              `is keepSecretKeyId, the secret in use; it is never retired. Remove it from the list`,
            );
          }
        });
      }
    }
    for (const key of Object.keys(news)) {
      if (!INPUTS.includes(key))
        fail(key, `is not an input of MigrationAppSecretRetirement (inputs: ${INPUTS.join(", ")}); remove it`);
    }
    return { inputs: news, failures };
  },

  async diff(_id, olds, news) {
    if (
      isUnknown(news.applicationObjectId) ||
      String(news.applicationObjectId).toLowerCase() !== olds.applicationObjectId.toLowerCase()
    ) {
      return { changes: true, replaces: ["applicationObjectId"] };
    }
    const same =
      !isUnknown(news.keepSecretKeyId) &&
      !isUnknown(news.retireSecretKeyIds) &&
      String(news.keepSecretKeyId).toLowerCase() === olds.keepSecretKeyId.toLowerCase() &&
      JSON.stringify(lowerSortedIds(news.retireSecretKeyIds)) ===
        JSON.stringify(lowerSortedIds(olds.retireSecretKeyIds));
    return { changes: !same || olds.pendingSecretKeyIds.length > 0, replaces: [] };
  },

  async create(inputs) {
    const outs = await retire(inputs);
    return { id: `${outs.applicationObjectId}/secretRetirement`, outs };
  },

  async read(id, props) {
    const client = tenantFor("target");
    const app = await directory.getApplication(
      await client.graph(),
      props.applicationObjectId,
      `Reading the client secrets of application ${props.applicationObjectId} in tenant ${client.settings.tenantId}`,
    );
    if (!app) return gone();
    const keep = props.keepSecretKeyId.toLowerCase();
    const pending = lowerSortedIds(props.retireSecretKeyIds).filter(
      (k) => k !== keep && app.passwords.some((p) => p.keyId === k),
    );
    return { id, props: { ...props, pendingSecretKeyIds: pending } };
  },

  async update(_id, _olds, news) {
    return { outs: await retire(news) };
  },

  async delete(_id, props) {
    log.info(
      `MigrationAppSecretRetirement of application ${props.applicationObjectId}: nothing to delete (retired secrets cannot come back; MigrationApp's delete removes the rest).`,
    );
  },
};
