// The lifecycle of a resource that holds nothing in a tenant (SourceMailboxes, Readiness): its `check` does
// the reading, because the engine shows a resource's checked inputs at preview, and the state is only the
// record of that reading. Creating, updating and deleting the record touch no tenant.

import type { Props, ResourceImplementation } from "./context";

type RecordMethods<I extends Props, O extends Props> = Pick<
  ResourceImplementation<I, O>,
  "create" | "read" | "update" | "delete"
>;

export function checkedRecordMethods<I extends Props, O extends Props>(
  idOf: (inputs: I) => string,
  outputs: (inputs: I) => O,
): RecordMethods<I, O> {
  return {
    async create(inputs) {
      return { id: idOf(inputs), outs: outputs(inputs) };
    },
    // The next check reads the tenants again; refresh has nothing better to offer.
    async read(id, props) {
      return { id, props };
    },
    async update(_id, _olds, news) {
      return { outs: outputs(news) };
    },
    async delete() {
      // Nothing was created in any tenant (a readiness report file stays as the record of the last check).
    },
  };
}

/** Same as JSON, ignoring key order: how a checked record's diff compares what check read. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(keySorted(a)) === JSON.stringify(keySorted(b));
}

function keySorted(v: unknown): unknown {
  return Array.isArray(v)
    ? v.map(keySorted)
    : v && typeof v === "object"
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, keySorted((v as Props)[k])]),
        )
      : v;
}
