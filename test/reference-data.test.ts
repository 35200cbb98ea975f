// The emulator and the strict checks read Microsoft's reference from emulator/reference/, so a fresh clone works
// without ../shared. This keeps that copy honest: where the shared reference is beside the checkout (CI, the
// team's machines), the copy must be byte-identical.
import * as fs from "node:fs";
import * as path from "node:path";

const shared = path.resolve(__dirname, "..", "..", "shared", "reference");
const local = path.resolve(__dirname, "..", "emulator", "reference");
const files = ["exchange-cmdlets.json", "graph-v1-subset.json"];

describe("Microsoft reference data", () => {
  test.each(files)("%s parses and has the documented counts", (file) => {
    const data = JSON.parse(fs.readFileSync(path.join(local, file), "utf8"));
    if (file.startsWith("exchange")) {
      expect(Object.keys(data.cmdlets)).toHaveLength(data.counts.cmdlets);
      expect(data.counts.cmdlets).toBe(41);
    } else {
      expect(data.operations).toHaveLength(data.counts.operations);
      expect(data.counts.operations).toBe(41);
    }
  });

  const haveShared = fs.existsSync(shared);
  (haveShared ? test.each(files) : test.skip.each(files))("%s is identical to ../shared/reference", (file) => {
    const a = fs.readFileSync(path.join(local, file));
    const b = fs.readFileSync(path.join(shared, file));
    expect(a.equals(b)).toBe(true);
  });
});
