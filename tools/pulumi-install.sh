#!/usr/bin/env bash
# Builds the Pulumi CLI and its Node.js language host from Go modules into .pulumi-cli/<version>/bin (git-ignored),
# for machines that cannot download Pulumi's release binaries but reach a Go module proxy. Skips the build when
# that folder already holds binaries built from the same go.sum files. Prints what it does as it goes: a cold build
# downloads about 300 modules and compiles for several minutes.
#
#   tools/pulumi-install.sh            build if needed, then print the bin folder on the last line
#   XTMM_PULUMI_CLI_DIR=/some/dir ...  build there instead of <checkout>/.pulumi-cli
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cli_mod="$here/pulumi"
host_mod="$here/pulumi-language-nodejs"

say() { printf 'pulumi-install: %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed: the Pulumi CLI can only be built here with Go 1.26 or newer and a Go module proxy."
  say "Install the CLI from Pulumi instead (https://www.pulumi.com/docs/iac/download-install/) and put it on PATH."
  exit 1
fi

version="$(cd "$cli_mod" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
host_version="$(cd "$host_mod" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)"
bin="${XTMM_PULUMI_CLI_DIR:-$root/.pulumi-cli}/$version/bin"
# What the binaries were built from: rebuild when a pin changes, not when the folder merely exists.
stamp="cli $version host $host_version $(cat "$cli_mod/go.sum" "$host_mod/go.sum" | sha256sum | cut -c1-16)"
sdk_script="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"

check_dynamic_provider() {
  # The dynamic-provider plugin is a script shipped in the @pulumi/pulumi npm package; scripts/pulumiCli.ts puts
  # this checkout's copy on PATH. Earlier installs linked it into $bin, which may be shared by several checkouts
  # (a cache): such a link points at another checkout, so it is removed.
  rm -f "$bin/pulumi-resource-pulumi-nodejs"
  if [ ! -x "$sdk_script" ]; then
    say "node_modules/@pulumi/pulumi is missing: run npm ci first (the dynamic-provider plugin comes from it)."
    exit 1
  fi
}

if [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] && [ "$(cat "$bin/.built-from" 2>/dev/null)" = "$stamp" ]; then
  check_dynamic_provider
  say "Pulumi $version is already built in $bin"
  echo "$bin"
  exit 0
fi

start=$(date +%s)
mkdir -p "$bin"
tmp="$(mktemp -d "$bin/../.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# Release builds: static, no VCS stamping, version set by the linker (without it `pulumi version` is empty and
# the CLI's version checks break).
flags=(-trimpath -tags osusergo,grpcnotrace)
export CGO_ENABLED=0

say "[1/3] downloading Go modules for Pulumi $version and the Node.js language host (cold: about a minute)"
(cd "$cli_mod" && go mod download) && (cd "$host_mod" && go mod download)

say "[2/3] compiling the Pulumi CLI $version (cold: about 5 minutes on 2 cores; warm: under a minute)"
t=$(date +%s)
(cd "$cli_mod" && go build "${flags[@]}" \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  -o "$tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
say "      compiled in $(( $(date +%s) - t )) s"

say "[3/3] compiling the Node.js language host (sdk $host_version; see tools/README.md for why this version)"
t=$(date +%s)
(cd "$host_mod" && go build "${flags[@]}" \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version" \
  -o "$tmp/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
say "      compiled in $(( $(date +%s) - t )) s"

# Moved into place only when both built, so an interrupted build never leaves a half-built folder behind.
mv -f "$tmp/pulumi" "$tmp/pulumi-language-nodejs" "$bin/"
printf '%s' "$stamp" > "$bin/.built-from"
check_dynamic_provider
say "Pulumi $("$bin/pulumi" version) built in $bin in $(( $(date +%s) - start )) s"
echo "$bin"
