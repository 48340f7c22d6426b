#!/usr/bin/env bash
# Prints a folder holding Node 22's `node` binary, for PATH: nothing when the `node` on PATH is
# already 22 or later. Otherwise Node is fetched once from the npm registry — the `node-linux-<arch>`
# package is the release's binary, checked by npm against the registry's integrity hash — into
# ~/.cache/digits-ts/node (NODE_CACHE), so machines that reach only the npm registry get it too.
#   PATH="$(bash scripts/node22.sh):$PATH" npm ci
# DIGITS-TS needs Node 22: fastify's cookie and @fastify/static's content-disposition require it,
# and Node 20 left support in April 2026.
set -euo pipefail
VERSION=${NODE22_VERSION:-22.23.5}
have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$have" -ge 22 ] && exit 0

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "scripts/node22.sh: no Node 22 package for $(uname -m); install Node 22 yourself" >&2; exit 1 ;;
esac
dir=${NODE_CACHE:-$HOME/.cache/digits-ts/node}/v$VERSION-linux-$arch
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$VERSION" >/dev/null) \
    || { echo "scripts/node22.sh: could not fetch node-linux-$arch@$VERSION from the npm registry" >&2; exit 1; }
  mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-*.tgz -C "$tmp/x"
  "$tmp/x/package/bin/node" --version >/dev/null || { echo "scripts/node22.sh: the fetched node does not run here" >&2; exit 1; }
  mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/x/package" "$dir"
fi
echo "$dir/bin"
