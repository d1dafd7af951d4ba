#!/usr/bin/env bash
# Static checks run by `make test`: formatter/linter, buf lint, stale generated code, types.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TRIBUTARY_ROOT"
log "biome check"
npx biome check .
log "buf lint"
npx buf lint
log "generated code up to date"
before=$(find gen -type f -name '*.ts' -exec sha256sum {} + | sort)
npx buf generate
after=$(find gen -type f -name '*.ts' -exec sha256sum {} + | sort)
[ "$before" = "$after" ] || die "gen/ was stale: 'buf generate' changed it; commit the regenerated files"
log "typecheck (including tests)"
npx tsc -p tsconfig.test.json --noEmit
log "module boundaries (flows through their contracts; tools/check-boundaries.ts, built by bootstrap)"
node dist/tools/check-boundaries.js
log "schema evolution: buf breaking against the previous commit (stack/check-breaking.sh)"
bash stack/check-breaking.sh
