// MSAL token cache on disk for device-code sign-in. The file holds refresh tokens, so it is created
// owner-only (0600) in an owner-only directory, and a looser mode found on an existing file is tightened.

import * as fs from "fs";
import * as path from "path";
import type { ICachePlugin, TokenCacheContext } from "@azure/msal-node";

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

function tighten(file: string): void {
  try {
    const st = fs.statSync(file);
    if ((st.mode & 0o077) !== 0) fs.chmodSync(file, FILE_MODE);
  } catch {
    // absent: nothing to tighten
  }
}

export function readCacheFile(file: string): string | undefined {
  tighten(file);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`Cannot read the token cache '${file}': ${(e as Error).message}`);
  }
}

/** Writes atomically (temp file then rename) so a crash never leaves half a cache. */
export function writeCacheFile(file: string, contents: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: DIR_MODE });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, contents, { mode: FILE_MODE });
  fs.chmodSync(tmp, FILE_MODE);
  fs.renameSync(tmp, file);
}

export function fileCachePlugin(file: string): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext): Promise<void> {
      const text = readCacheFile(file);
      if (text) ctx.tokenCache.deserialize(text);
    },
    async afterCacheAccess(ctx: TokenCacheContext): Promise<void> {
      if (ctx.cacheHasChanged) writeCacheFile(file, ctx.tokenCache.serialize());
    },
  };
}
