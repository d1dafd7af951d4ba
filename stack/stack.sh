#!/usr/bin/env bash
# The local stack: Kafka (KRaft), Postgres, Redis (Dragonfly stand-in), Apicurio Registry and the
# Tributary services, each a plain process with its data, log and pid file under .stack/.
#   stack.sh up [infra]   start everything (or only the infrastructure) and wait until healthy
#   stack.sh up kafka     start only the broker (KAFKA_SECURITY=scram: SASL_SSL, see env.sh)
#   stack.sh down         stop everything cleanly (SIGTERM, then wait)
#   stack.sh status       one line per component
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TRIBUTARY_ROOT"
mkdir -p "$STACK_DATA_DIR" "$STACK_LOG_DIR" "$STACK_RUN_DIR"

# name | port | kind of health check
COMPONENTS=(postgres redis kafka registry)
# Tributary services, in start order, from the service registry (stack/services.tsv, generated
# from services/registry.ts; env.sh set the port variables): name | entry point | port | health path | node flags
SERVICES=()
while IFS=$'\t' read -r name entry port_var _ health flags; do
  [[ -z $name || $name == \#* ]] && continue
  SERVICES+=("$name|$entry|${!port_var}|$health|$flags")
done <"$STACK_SERVICES_FILE"
unset name entry port_var health flags

pid_file() { echo "$STACK_RUN_DIR/$1.pid"; }
# A pid is alive when it exists and is not a zombie: a service killed with -9 stays in the
# process table (state Z) until its parent reaps it and `kill -0` still succeeds, so `up` right
# after a kill -9 skipped the restart (issue 16).
pid_alive() {
  local pid=$1 stat
  kill -0 "$pid" 2>/dev/null || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0 # no /proc (macOS): kill -0 is all there is
  stat=${stat##*) } # the state follows "(comm) "; comm itself may hold spaces and ')'
  [[ ${stat:0:1} != [ZX] ]]
}
is_running() {
  local f; f=$(pid_file "$1")
  [ -f "$f" ] && pid_alive "$(cat "$f")"
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
require_free_port() {
  local name=$1 port=$2
  if port_open "$port"; then
    die "port $port for $name is already in use by another process; set the matching *_PORT variable to a free port"
  fi
}
wait_for() {
  local name=$1 timeoutS=$2; shift 2
  local deadline=$((SECONDS + timeoutS))
  until "$@"; do
    if ! is_running "$name"; then
      tail -n 30 "$STACK_LOG_DIR/$name.log" >&2 || true
      die "$name exited during start-up (log: $STACK_LOG_DIR/$name.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "$name not healthy after ${timeoutS}s (log: $STACK_LOG_DIR/$name.log)"
    sleep 0.5
  done
}
as_postgres_owner() {
  # Postgres refuses to run as root: run its binaries as the 'postgres' system user then.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ---------- Postgres ----------
postgres_data_dir() {
  # As root, Postgres runs as the 'postgres' user, which must reach the data dir. A clone under a
  # private folder (mktemp -d is mode 700) is out of its reach: keep the data under /var/tmp then,
  # linked from .stack/data/postgres so everything is still found from the project.
  local data="$STACK_DATA_DIR/postgres"
  if [ "$(id -u)" -eq 0 ] && [ ! -L "$data" ] && [ ! -d "$data" ] && ! runuser -u postgres -- test -x "$STACK_DATA_DIR"; then
    local outside="/var/tmp/tributary-postgres-$(echo "$STACK_DIR" | sha256sum | cut -c1-12)"
    mkdir -p "$outside" && chown postgres "$outside" && ln -s "$outside" "$data"
  fi
  if [ -L "$data" ]; then readlink -f "$data"; else echo "$data"; fi
}
postgres_pid() { head -n1 "$(postgres_data_dir)/postmaster.pid" 2>/dev/null; }
start_postgres() {
  local bin data
  bin=$(pg_bin_dir) || die "postgres binaries not found (apt-get install postgresql)"
  data=$(postgres_data_dir)
  if [ -f "$data/postmaster.pid" ] && kill -0 "$(postgres_pid)" 2>/dev/null; then
    postgres_pid >"$(pid_file postgres)"; return 0
  fi
  require_free_port postgres "$POSTGRES_PORT"
  if [ "$(id -u)" -eq 0 ]; then mkdir -p "$data"; chown postgres "$data"; chmod 700 "$data"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initdb $data"
    as_postgres_owner "$bin/initdb" -D "$data" -U "$POSTGRES_USER" --auth=trust -E UTF8 >/dev/null
  fi
  ln -sf "$data/postgres.log" "$STACK_LOG_DIR/postgres.log"
  # TCP only (no unix socket): nothing depends on a socket folder the postgres user may not reach.
  as_postgres_owner "$bin/pg_ctl" -D "$data" -l "$data/postgres.log" -w -t 60 \
    -o "-p $POSTGRES_PORT -c unix_socket_directories= -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  postgres_pid >"$(pid_file postgres)"
  wait_for postgres 60 psql_ok
  local db
  for db in "$POSTGRES_DB" apicurio; do
    if ! psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
      psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -qc "CREATE DATABASE $db" >/dev/null
    fi
  done
}
psql_ok() { psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; }
stop_postgres() {
  local bin; bin=$(pg_bin_dir) || return 0
  local data; data=$(postgres_data_dir)
  [ -f "$data/postmaster.pid" ] || return 0
  as_postgres_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
  rm -f "$(pid_file postgres)"
}

# ---------- Redis ----------
start_redis() {
  is_running redis && return 0
  require_free_port redis "$REDIS_PORT"
  mkdir -p "$STACK_DATA_DIR/redis"
  # AOF on, fsync every second: a restart keeps state, as Dragonfly snapshots would. The listpack
  # limits keep the timer's bucketed pending hashes (≤ 512 entries of ≤ 256 B) in the compact
  # encoding (≈ 200 B per pending transaction at 1M instead of ≈ 480 B; BENCHMARKS.md).
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STACK_DATA_DIR/redis" \
    --appendonly yes --appendfsync everysec --save "" --daemonize yes \
    --hash-max-listpack-entries 512 --hash-max-listpack-value 256 \
    --pidfile "$(pid_file redis)" --logfile "$STACK_LOG_DIR/redis.log"
  sleep 0.2
  wait_for redis 30 redis_ok
}
redis_ok() { [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# ---------- Kafka ----------
kafka_java() { java -Xms256m -Xmx1g -Dlog4j2.configurationFile="$STACK_DIR/kafka-log4j2.yaml" -cp "$STACK_LIB_DIR/kafka/*" "$@"; }
kafka_data_dir() { if [ "$KAFKA_SECURITY" = scram ]; then echo "$STACK_DATA_DIR/kafka-scram"; else echo "$STACK_DATA_DIR/kafka"; fi; }
# KAFKA_SECURITY=scram: a CA, a broker certificate for 127.0.0.1 (PEM, unencrypted PKCS#8 key, as
# Kafka's PEM keystore reads it) and random passwords for the broker's own user and `tributary`.
# Made once; the CA is what clients trust (KAFKA_TLS_CA_FILE).
ensure_kafka_tls() {
  [ -f "$KAFKA_TLS_DIR/broker.pem" ] && return 0
  command -v openssl >/dev/null || die "KAFKA_SECURITY=scram needs openssl"
  mkdir -p "$KAFKA_TLS_DIR" && chmod 700 "$KAFKA_TLS_DIR"
  (
    cd "$KAFKA_TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 825 -subj "/CN=Tributary local CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' >broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.crt -days 825 -extfile broker.ext 2>/dev/null
    openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.pkcs8.key
    cat broker.pkcs8.key broker.crt >broker.pem
    openssl rand -hex 24 >admin.password
    openssl rand -hex 24 >tributary.password
    chmod 600 ./*.key ./*.password broker.pem
  ) || die "could not generate the Kafka certificates in $KAFKA_TLS_DIR"
  log "kafka     generated a CA and a broker certificate in $KAFKA_TLS_DIR"
}
write_kafka_config() {
  local listener=PLAINTEXT
  [ "$KAFKA_SECURITY" = scram ] && listener=SASL_SSL
  cat >"$STACK_DIR/kafka.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$listener://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=$listener://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=$listener
listener.security.protocol.map=CONTROLLER:PLAINTEXT,$listener:$listener
log.dirs=$(kafka_data_dir)
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  if [ "$KAFKA_SECURITY" = scram ]; then
    cat >>"$STACK_DIR/kafka.properties" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(cat "$KAFKA_TLS_DIR/admin.password")";
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_TLS_DIR/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_TLS_DIR/ca.pem
ssl.endpoint.identification.algorithm=https
PROPS
  fi
  cat >"$STACK_DIR/kafka-log4j2.yaml" <<YAML
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.coordinator.group
        level: WARN
YAML
}
start_kafka() {
  is_running kafka && return 0
  require_free_port kafka "$KAFKA_PORT"
  require_free_port kafka-controller "$KAFKA_CONTROLLER_PORT"
  [ "$KAFKA_SECURITY" = scram ] && ensure_kafka_tls
  write_kafka_config
  if [ ! -f "$(kafka_data_dir)/meta.properties" ]; then
    local clusterId; clusterId=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    local scram=()
    if [ "$KAFKA_SECURITY" = scram ]; then
      scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=$(cat "$KAFKA_TLS_DIR/admin.password")]"
        --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USERNAME,password=$(cat "$KAFKA_TLS_DIR/tributary.password")]")
    fi
    log "formatting Kafka storage (cluster $clusterId)"
    kafka_java kafka.tools.StorageTool format --standalone -t "$clusterId" -c "$STACK_DIR/kafka.properties" "${scram[@]}" >"$STACK_LOG_DIR/kafka-format.log" 2>&1 \
      || { cat "$STACK_LOG_DIR/kafka-format.log" >&2; die "kafka storage format failed"; }
  fi
  nohup java -Xms256m -Xmx1g -XX:+UseG1GC -Dlog4j2.configurationFile="$STACK_DIR/kafka-log4j2.yaml" \
    -cp "$STACK_LIB_DIR/kafka/*" kafka.Kafka "$STACK_DIR/kafka.properties" >"$STACK_LOG_DIR/kafka.log" 2>&1 &
  echo $! >"$(pid_file kafka)"
  wait_for kafka 90 kafka_ok
}
kafka_listener_summary() {
  if [ "$KAFKA_SECURITY" = scram ]; then echo "SASL_SSL SCRAM-SHA-512 as $KAFKA_SASL_USERNAME, CA $KAFKA_TLS_CA_FILE"; else echo plaintext; fi
}
kafka_ok() { port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$STACK_LOG_DIR/kafka.log"; }

# ---------- Apicurio Registry ----------
registry_java() {
  # Apicurio Registry 3.3 is compiled for Java 21+; the machine's default is 17. Take the newest
  # JDK installed under /usr/lib/jvm (this kind ships Temurin 25 there).
  local j best="" bestMajor=0 major
  for j in /usr/lib/jvm/*/bin/java "$(command -v java)"; do
    [ -x "$j" ] || continue
    major=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)
    [ "${major:-0}" -gt "$bestMajor" ] 2>/dev/null && { best=$j; bestMajor=$major; }
  done
  [ "$bestMajor" -ge 21 ] || die "Apicurio Registry needs Java >= 21; found Java $bestMajor (install a JDK 21+ under /usr/lib/jvm)"
  echo "$best"
}
start_registry() {
  is_running registry && return 0
  require_free_port registry "$REGISTRY_PORT"
  # Storage in the project's Postgres: schema ids stay stable across restarts, so records written
  # before a restart still decode.
  APICURIO_STORAGE_KIND=sql APICURIO_STORAGE_SQL_KIND=postgresql \
    APICURIO_DATASOURCE_URL="jdbc:postgresql://127.0.0.1:$POSTGRES_PORT/apicurio" \
    APICURIO_DATASOURCE_USERNAME="$POSTGRES_USER" APICURIO_DATASOURCE_PASSWORD="" \
    QUARKUS_HTTP_PORT="$REGISTRY_PORT" QUARKUS_HTTP_HOST=127.0.0.1 \
    QUARKUS_MANAGEMENT_PORT="$REGISTRY_MANAGEMENT_PORT" QUARKUS_MANAGEMENT_HOST=127.0.0.1 \
    nohup "$(registry_java)" -Xms128m -Xmx512m -jar "$STACK_LIB_DIR/apicurio/quarkus-run.jar" >"$STACK_LOG_DIR/registry.log" 2>&1 &
  echo $! >"$(pid_file registry)"
  wait_for registry 120 registry_ok
}
registry_ok() { curl -fsS "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects" >/dev/null 2>&1; }

# ---------- Tributary services ----------
start_service() {
  local name=$1 entry=$2 port=$3 flags=$4
  is_running "$name" && return 0
  require_free_port "$name" "$port"
  [ -f "$entry" ] || die "$entry missing: run 'make up' (it builds) or 'npm run build'"
  # shellcheck disable=SC2086 # the flags are words (deploy.heapMiB in the registry)
  HTTP_PORT="$port" nohup node $flags "$entry" >>"$STACK_LOG_DIR/$name.log" 2>&1 &
  echo $! >"$(pid_file "$name")"
}
wait_service() {
  local name=$1 port=$3 health=$4
  wait_for "$name" 90 curl -fs "http://127.0.0.1:$port$health" -o /dev/null
}
stop_pid() {
  local name=$1 f; f=$(pid_file "$1")
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    # pid_alive, not kill -0: an exited service nobody has reaped yet (zombie) is stopped.
    for _ in $(seq 1 60); do pid_alive "$pid" || break; sleep 0.5; done
    pid_alive "$pid" && { log "$name did not stop in 30s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$f"
}

up_infra() {
  start_postgres; log "postgres  ready  127.0.0.1:$POSTGRES_PORT  db=$POSTGRES_DB user=$POSTGRES_USER"
  start_redis;    log "redis     ready  127.0.0.1:$REDIS_PORT (AOF on)"
  start_kafka;    log "kafka     ready  127.0.0.1:$KAFKA_PORT ($KAFKA_VERSION, KRaft, $(kafka_listener_summary))"
  start_registry; log "registry  ready  http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
  node dist/cli/main.js topics create >/dev/null
  log "topics    created from the catalog"
}
up_services() {
  local s name entry port health
  for s in "${SERVICES[@]}"; do IFS='|' read -r name entry port _ flags <<<"$s"; start_service "$name" "$entry" "$port" "$flags"; done
  for s in "${SERVICES[@]}"; do
    IFS='|' read -r name entry port health _ <<<"$s"; wait_service "$name" "$entry" "$port" "$health"
    log "$(printf '%-12s' "$name") ready  http://127.0.0.1:$port (health $health, metrics /metrics)"
  done
}
down() {
  stop_services
  stop_pid registry
  stop_pid kafka
  if is_running redis; then redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true; sleep 0.3; fi
  stop_pid redis
  stop_postgres
  log "stopped"
}
status() {
  local c s name port rc=0
  for c in "${COMPONENTS[@]}"; do
    if is_running "$c"; then printf '%-12s running  pid %s\n' "$c" "$(cat "$(pid_file "$c")")"; else printf '%-12s stopped\n' "$c"; rc=3; fi
  done
  for s in "${SERVICES[@]}"; do
    IFS='|' read -r name _ port _ <<<"$s"
    if is_running "$name"; then printf '%-12s running  pid %s  http://127.0.0.1:%s\n' "$name" "$(cat "$(pid_file "$name")")" "$port"; else printf '%-12s stopped\n' "$name"; rc=3; fi
  done
  return $rc
}

stop_services() {
  local i name
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do IFS='|' read -r name _ <<<"${SERVICES[$i]}"; stop_pid "$name"; done
}

case "${1:-}" in
  up)
    if [ "${2:-}" = kafka ]; then start_kafka; log "kafka     ready  127.0.0.1:$KAFKA_PORT ($(kafka_listener_summary))"
    else up_infra; [ "${2:-}" = infra ] || up_services; fi ;;
  restart-services) up_infra; stop_services; up_services ;;
  down) down ;;
  status) status ;;
  *) echo "usage: stack.sh up [infra|kafka] | restart-services | down | status" >&2; exit 2 ;;
esac
