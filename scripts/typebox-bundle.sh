#!/usr/bin/env bash
# Bundles TypeBox for the test processes and prints the path of a tsconfig that points tsx at the
# bundle (scripts/test.sh exports it as TSX_TSCONFIG_PATH). TypeBox 1.x is ~700 ES modules; under
# tsx every module costs a resolve and a load on the loader-hooks thread, ~0.5 s of CPU in each of
# the suite's ~150 processes (test files, spawned gateways and workers, their threads). Bundled,
# it is three modules. The typecheck and `npm start` keep resolving the package itself.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/node_modules/.cache/digits-ts/typebox"
rm -rf "$out"
"$root/node_modules/.bin/esbuild" "$root/node_modules/typebox/build/index.mjs" "$root/node_modules/typebox/build/compile/index.mjs" \
  --bundle --format=esm --splitting --platform=node --outdir="$out" --out-extension:.js=.mjs --log-level=warning
cat >"$out/tsconfig.json" <<JSON
{
  "extends": "$root/tsconfig.json",
  "compilerOptions": { "paths": { "typebox": ["$out/index.mjs"], "typebox/compile": ["$out/compile/index.mjs"] } }
}
JSON
echo "$out/tsconfig.json"
