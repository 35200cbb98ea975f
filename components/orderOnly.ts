// An input that makes a resource wait for others without naming them as its dependencies.
//
// A wave's Readiness must run after every MailUser of the wave, since it reads them back, and it learns that
// from its `refreshToken`: a digest of the MailUsers' states that it never compares, only looks at whether it is
// known. Through an ordinary Output the engine records every MailUser's URN in Readiness's checkpoint entry
// twice (its dependencies and its per-input dependencies): about 300 bytes per user each, the largest part of
// what the readiness costs per user. What the order needs is only that the program sends Readiness's
// registration after the MailUsers' have been answered, which waiting on their outputs gives. The recorded
// dependency would add the destroy order alone, and Readiness keeps nothing in a tenant to delete.
//
// It reads two members of the SDK's Output that its typings leave out, `isKnown` and `promise(withUnknowns)`:
// the SDK reads the same two from Outputs made by other copies of itself loaded beside it, which keeps them
// alike from version to version. test/order-only.test.ts fails if they change.

import * as pulumi from "@pulumi/pulumi";

interface OutputParts<T> {
  isKnown: Promise<boolean>;
  isSecret: Promise<boolean>;
  promise(withUnknowns?: boolean): Promise<T>;
}

/**
 * `o`'s value, known when `o` is known (unknown at preview when it is), secret when it is, resolved only once
 * `o` is, and carrying none of the resources `o` came from.
 */
export function orderOnly<T>(o: pulumi.Output<T>): pulumi.Output<T> {
  const parts = o as unknown as OutputParts<T>;
  if (!(parts.isKnown instanceof Promise) || typeof parts.promise !== "function")
    throw new Error("orderOnly: this @pulumi/pulumi's Output has no isKnown/promise; see components/orderOnly.ts");
  const value = Promise.all([parts.isKnown, parts.isSecret, parts.promise(true)]).then(([known, secret, v]) =>
    !known ? pulumi.unknown : secret ? pulumi.secret(v) : v,
  );
  return pulumi.output(value) as unknown as pulumi.Output<T>;
}

/**
 * Settles once the engine has answered every one of the resources' registrations, whatever the answer, without
 * an Output or a promise per resource beyond the ones the SDK already made.
 */
export function registrationsAnswered(resources: pulumi.Resource[]): Promise<void> {
  return Promise.allSettled(resources.map((r) => (r.urn as unknown as OutputParts<string>).promise(true))).then(
    () => undefined,
  );
}
