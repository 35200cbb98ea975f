#!/usr/bin/env bash
# Writes the change plan an engineer reviews, as the real Pulumi CLI prints it, into docs/change-plan/:
# `pulumi preview --diff` of the sandbox pair before its first up (first-run.txt), and of a wave change after
# it (wave-change.txt: one user added to wave-1). Runs in a sandbox folder of its own, so the checkout's
# .emulator/ pair is left alone, and destroys what it made. Usage: npm run change-plan
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/change-plan
mkdir -p "$out"
export XTMM_SANDBOX_DIR="$(mktemp -d)"
trap 'rm -rf "$XTMM_SANDBOX_DIR"' EXIT
sandbox() { node dist/scripts/sandbox.js "$@"; }
# The CLI's warnings (a held user, readiness) belong to the plan; the emulator's start/stop lines and the CLI
# build's "already built" line do not.
# The CLI prints them on stderr as they come; they follow the plan here, under a heading of ours.
plan() {
  sandbox preview --diff --color never 2>"$XTMM_SANDBOX_DIR/stderr"
  echo
  echo "# (stderr, the emulator's start and stop lines left out:)"
  grep -v -e '^emulator: ' -e '^pulumi-install: ' -e '^$' "$XTMM_SANDBOX_DIR/stderr" || true
}
# The tenant ids and object ids are the emulator's, made anew each run; secrets show as [secret].
npx tsc -p tsconfig.json
plan >"$out/first-run.txt"
sandbox up --yes --color never >/dev/null
sandbox config set --path 'xtmm:waves.wave-1.users[5]' johannal@fabrikam.com
plan >"$out/wave-change.txt"
sandbox destroy --yes --color never >/dev/null
echo "change-plan: wrote $out/first-run.txt and $out/wave-change.txt" >&2
