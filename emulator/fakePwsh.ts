// The emulator's stand-in for PowerShell: a plain Node.js script (not compiled), so a stack's `pwshPath` can
// name it and the PowerShell runner spawns it exactly as it would spawn `pwsh`.

import * as path from "node:path";

// Compiled, this module runs from dist/emulator/; the script stays beside the sources in emulator/.
const sources =
  path.basename(path.dirname(__dirname)) === "dist" ? path.resolve(__dirname, "..", "..", "emulator") : __dirname;

/** Absolute path of emulator/fake-pwsh.js. */
export const FAKE_PWSH = path.join(sources, "fake-pwsh.js");
