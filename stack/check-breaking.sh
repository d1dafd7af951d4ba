#!/usr/bin/env bash
# buf breaking (buf.yaml's FILE rules): schemas/ may not break what the previous commit shipped,
# since records written with it stay in Kafka and clients built on it keep calling. A fresh clone
# has the history; a shallow one must fetch it. BUF_BREAKING_AGAINST overrides the baseline
# (any buf input, e.g. '.git#ref=main' or 'image.binpb').
set -euo pipefail
# Standalone (no env.sh): it needs only git and buf, and is tested in a throw-away repository.
cd "${TRIBUTARY_ROOT:-$(dirname "${BASH_SOURCE[0]}")/..}"
export PATH="$PWD/node_modules/.bin:$PATH"
log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }
against=${BUF_BREAKING_AGAINST:-}
if [ -z "$against" ]; then
  if git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null; then
    against='.git#ref=HEAD~1'
  elif [ "$(git rev-parse --is-shallow-repository)" = true ]; then
    die "buf breaking needs the previous commit, and this clone is shallow: git fetch --deepen=1"
  else
    log "buf breaking: first commit, nothing to compare with"
    exit 0
  fi
fi
log "buf breaking against $against"
buf breaking --against "$against"
