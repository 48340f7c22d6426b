#!/usr/bin/env bash
# `npm test`: the typecheck runs beside the tests instead of before them (it needs ~15 s of one
# core, which the first test files barely use), and tap's plugin set is built first: after a fresh
# `npm ci`, tap's first run otherwise still loads @tapjs/typescript's loader into every test
# process (it rebuilds for the next run only), which made the suite ~40 % slower. Exit status:
# tap's, else the typecheck's.
set -uo pipefail
cd "$(dirname "$0")/.."
# Node 22, fetched from the npm registry when this machine's node is older (scripts/node22.sh)
node22=$(bash scripts/node22.sh) || exit 1
[[ -n "$node22" ]] && export PATH="$node22:$PATH"
tsc -p tsconfig.json 2>&1 | sed 's/^/typecheck: /' &
typecheck=$!
# test processes resolve TypeBox to one bundle (see scripts/typebox-bundle.sh: ~0.5 s of CPU per process)
tsconfig=$(bash scripts/typebox-bundle.sh) || exit 1
export TSX_TSCONFIG_PATH=$tsconfig
# the runner is tap itself, with scripts/tap-runner.mjs preloaded (see there: ~0.4 s of CPU per test process)
tap build >/dev/null && node --import ./scripts/tap-runner.mjs node_modules/tap/dist/esm/run.mjs "$@"
tests=$?
wait "$typecheck"
checked=$?
[[ $checked -ne 0 ]] && echo "typecheck failed: see the lines starting 'typecheck:'"
exit $((tests != 0 ? tests : checked))
