// orderOnly: an Output with the value, known-ness and secrecy of another, resolved no earlier than it, but
// naming none of its resources, so an input built from it adds nothing to a resource's dependencies. Under
// pulumi.runtime.setMocks, at up (values known) and at preview (a created resource's outputs unknown).

import * as pulumi from "@pulumi/pulumi";
import { orderOnly } from "../components/orderOnly";

class Thing extends pulumi.CustomResource {
  declare readonly value: pulumi.Output<string>;
  constructor(name: string) {
    super("test:index:Thing", name, { value: undefined }, {});
  }
}

/** What the SDK sees of an Output: its resources, whether it is known and secret, and its value. */
async function seen<T>(o: pulumi.Output<T>) {
  const x = o as any;
  const resources: Set<pulumi.Resource> = await x.allResources();
  return { resources: resources.size, known: await x.isKnown, secret: await x.isSecret, value: await x.promise(true) };
}

async function mocks(preview: boolean, answer: () => Promise<void> = async () => undefined) {
  await pulumi.runtime.setMocks(
    {
      async newResource(a) {
        await answer();
        return { id: preview ? undefined : `${a.name}-id`, state: preview ? {} : { value: `${a.name}-value` } };
      },
      call: (a) => a.inputs,
    },
    "xtmm",
    "unit",
    preview,
  );
}

test("at up: the same value, known, not secret, and no resource", async () => {
  await mocks(false);
  const thing = new Thing("a");
  expect(await seen(thing.value)).toMatchObject({ resources: 1, known: true, value: "a-value" });
  expect(await seen(orderOnly(thing.value))).toEqual({ resources: 0, known: true, secret: false, value: "a-value" });
  const both = pulumi.all([thing.value, new Thing("b").value]).apply(([a, b]) => `${a}+${b}`);
  expect(await seen(orderOnly(both))).toEqual({ resources: 0, known: true, secret: false, value: "a-value+b-value" });
});

test("a secret stays secret", async () => {
  await mocks(false);
  const token = orderOnly(pulumi.secret(new Thing("s").value));
  expect(await seen(token)).toMatchObject({ resources: 0, known: true, secret: true, value: "s-value" });
});

test("at preview, a value still to be made is unknown through it, and an Output built on it is unknown too", async () => {
  await mocks(true);
  const token = orderOnly(new Thing("p").value);
  expect(await seen(token)).toMatchObject({ resources: 0, known: false });
  const built = pulumi.all([token, "x"]).apply(([t, x]) => `${t}${x}`);
  expect(await seen(built)).toMatchObject({ resources: 0, known: false });
});

test("it resolves only once the resource's registration is answered", async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await mocks(false, () => held);
  const token = orderOnly(new Thing("slow").value);
  let resolved = false;
  void (token as any).promise(true).then(() => (resolved = true));
  await new Promise((r) => setTimeout(r, 50));
  expect(resolved).toBe(false);
  release();
  expect(await seen(token)).toMatchObject({ known: true, value: "slow-value" });
  expect(resolved).toBe(true);
});
