// Every staged user's state as one Output for the whole wave. The wave's user list and readiness's refresh
// token each need all of them; an Output per user for that (a `pulumi.all` of four outputs each) was two more
// Outputs per user the program kept to the end of the run, where one for the wave does.

import * as pulumi from "@pulumi/pulumi";
import type { MailUser } from "../providers/mailUser";

/** Per MailUser, in order: [identity, staged, held, migrated]. */
export type MailUserState = [string, boolean, boolean, boolean];

export function mailUserStates(mailUsers: MailUser[]): pulumi.Output<MailUserState[]> {
  const flat = pulumi.all(
    mailUsers.flatMap((m): pulumi.Input<unknown>[] => [m.identity, m.staged, m.held, m.migrated]),
  );
  return flat.apply((values) => {
    const out: MailUserState[] = [];
    for (let i = 0; i < values.length; i += 4)
      out.push([values[i] as string, values[i + 1] as boolean, values[i + 2] as boolean, values[i + 3] as boolean]);
    return out;
  });
}
