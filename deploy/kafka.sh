#!/usr/bin/env bash
# A local Apache Kafka 4.x (KRaft) from Maven Central's jars: one node, or a cluster of three.
#
#   deploy/kafka.sh fetch                    fetch the jars once into .cache/kafka/libs (Maven's ~/.m2 caches too)
#   deploy/kafka.sh start [PORT]             format storage (first time) and start; waits until clients are accepted
#   deploy/kafka.sh status [PORT]            running or not, and whether it accepts clients
#   deploy/kafka.sh stop [PORT]              SIGTERM, wait for a clean exit
#   deploy/kafka.sh topics [PORT]            create Radar's topics (6 partitions by default, DLQs included)
#
# PORT defaults to $KAFKA_PORT or 9092. The controller listens on PORT+1. Data, log and pid live in
# $KAFKA_RUN_DIR (default .run/kafka-PORT). Running any command twice does no harm.
#
# Cluster mode: three nodes, each a broker and a controller (a quorum of three voters survives one loss).
#   deploy/kafka.sh cluster start            format (first time) and start nodes 1-3; waits for all three
#   deploy/kafka.sh cluster stop             SIGTERM every node
#   deploy/kafka.sh cluster status           each node: running or not
#   deploy/kafka.sh cluster kill NODE        SIGKILL node 1, 2 or 3 (a crash: no clean shutdown)
#   deploy/kafka.sh cluster restart NODE     start that node again on its data; waits until it accepts clients
#   deploy/kafka.sh cluster topics           topics with replication factor 3 and min.insync.replicas=2
#   deploy/kafka.sh cluster bootstrap        prints the bootstrap list (host:port,host:port,host:port)
#   deploy/kafka.sh cluster leaders [TOPIC]  partitions each node leads ("NODE COUNT" lines, busiest first)
# Ports: $KAFKA_CLUSTER_PORTS as "B1:C1,B2:C2,B3:C3" (broker:controller per node), or by default node N
# listens on 9092+2(N-1) and the controller one above. Data in $KAFKA_RUN_DIR/node-N (default .run/kafka-cluster).
# Each JVM gets $KAFKA_HEAP_OPTS (default -Xms128m -Xmx512m in a cluster, so three fit on a small machine).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
LIBS="$CACHE/libs"
PYTHON="${RADAR_PYTHON:-$ROOT/.venv/bin/python}"
cmd="${1:-}"
[ "$cmd" = cluster ] && PORT="${KAFKA_PORT:-9092}" || PORT="${2:-${KAFKA_PORT:-9092}}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
RUN_DIR="${KAFKA_RUN_DIR:-$ROOT/.run/kafka-$PORT}"
PID_FILE="$RUN_DIR/kafka.pid"
BOOTSTRAP="127.0.0.1:$PORT"

die() { echo "kafka.sh: $*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed or not on PATH. $2"
}

check_java() {
  need java "Install Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)."
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "Kafka 4.x needs Java 17 or newer; found Java ${v:-unknown}."
}

fetch() {
  if [ -f "$LIBS/.complete" ] && [ "$(cat "$LIBS/.complete")" = "$(sha256sum "$ROOT/deploy/kafka/pom.xml" | cut -d' ' -f1)" ]; then
    return 0
  fi
  need mvn "Install Maven (Debian: apt-get install maven); it fetches Kafka's jars from Maven Central."
  echo "kafka.sh: fetching Apache Kafka jars with Maven into $LIBS (once)" >&2
  rm -rf "$LIBS.tmp"
  mkdir -p "$LIBS.tmp"
  mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >&2 \
    || die "Maven could not fetch org.apache.kafka:kafka_2.13 (see the output above)."
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
  sha256sum "$ROOT/deploy/kafka/pom.xml" | cut -d' ' -f1 > "$LIBS/.complete"
}

is_running() {
  [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

# write_config DIR NODE_ID PORT CONTROLLER_PORT VOTERS REPLICAS MIN_ISR
write_config() {
  local dir=$1 node=$2 port=$3 cport=$4 voters=$5 rf=$6 isr=$7
  mkdir -p "$dir/data"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=${KAFKA_TOPIC_PARTITIONS:-6}
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
unclean.leader.election.enable=false
# a restarted broker takes its preferred leaderships back within 30 s, not Kafka's default 5 min
leader.imbalance.check.interval.seconds=30
PROPS
}

# format_storage DIR CLUSTER_ID: format a node's KRaft storage once (kept across restarts)
format_storage() {
  local dir=$1 cluster_id=$2
  [ -f "$dir/data/meta.properties" ] && return 0
  java -cp "$LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
    > "$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; die "formatting KRaft storage in $dir/data failed."; }
}

random_cluster_id() {
  java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1
}

# launch DIR HEAP: start a JVM on DIR's server.properties in the background; its pid goes to DIR/kafka.pid
launch() {
  local dir=$1 heap=$2
  nohup java $heap -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.properties" -Dkafka.logs.dir="$dir" \
    -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" > "$dir/stdout.log" 2>&1 &
  echo $! > "$dir/kafka.pid"
}

start() {
  check_java
  fetch
  if is_running; then
    echo "kafka.sh: already running on $BOOTSTRAP (pid $(cat "$PID_FILE"))" >&2
    "$PYTHON" "$ROOT/deploy/kafka_admin.py" wait --bootstrap "$BOOTSTRAP" --timeout 60
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT is taken by another process; choose another port (deploy/kafka.sh start PORT)."
  fi
  write_config "$RUN_DIR" 1 "$PORT" "$CONTROLLER_PORT" "1@127.0.0.1:$CONTROLLER_PORT" 1 1
  [ -f "$RUN_DIR/data/meta.properties" ] || format_storage "$RUN_DIR" "$(random_cluster_id)"
  echo "kafka.sh: starting Kafka on $BOOTSTRAP (data in $RUN_DIR)" >&2
  launch "$RUN_DIR" "${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
  if ! "$PYTHON" "$ROOT/deploy/kafka_admin.py" wait --bootstrap "$BOOTSTRAP" --timeout 90; then
    tail -n 30 "$RUN_DIR/stdout.log" "$RUN_DIR/kafka.log" >&2 2>/dev/null || true
    stop
    die "Kafka did not accept clients on $BOOTSTRAP within 90 s."
  fi
  echo "kafka.sh: Kafka is ready on $BOOTSTRAP" >&2
}

stop() {
  if ! is_running; then
    echo "kafka.sh: not running on port $PORT" >&2
    rm -f "$PID_FILE"
    return 0
  fi
  local pid
  pid=$(cat "$PID_FILE")
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; echo "kafka.sh: stopped" >&2; return 0; }
    sleep 0.5
  done
  echo "kafka.sh: no clean exit in 30 s; killing pid $pid" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
}

status() {
  if is_running; then
    echo "running: pid $(cat "$PID_FILE"), $BOOTSTRAP"
    "$PYTHON" "$ROOT/deploy/kafka_admin.py" wait --bootstrap "$BOOTSTRAP" --timeout 5 && echo "accepting clients"
  else
    echo "not running on port $PORT"
    return 3
  fi
}

# ---- cluster mode -------------------------------------------------------------------------------------
CLUSTER_DIR="${KAFKA_RUN_DIR:-$ROOT/.run/kafka-cluster}"
CLUSTER_HEAP="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"

# node_ports N: "BROKER CONTROLLER" of node N (1-3)
node_ports() {
  local n=$1 spec
  if [ -n "${KAFKA_CLUSTER_PORTS:-}" ]; then
    spec=$(echo "$KAFKA_CLUSTER_PORTS" | cut -d, -f"$n")
    [ -n "$spec" ] || die "KAFKA_CLUSTER_PORTS has no entry for node $n (expected B1:C1,B2:C2,B3:C3)"
    echo "${spec%%:*} ${spec##*:}"
  else
    echo "$((9092 + 2 * (n - 1))) $((9093 + 2 * (n - 1)))"
  fi
}

check_node() {
  case "${1:-}" in 1|2|3) ;; *) die "cluster: NODE must be 1, 2 or 3 (got '${1:-}')" ;; esac
}

cluster_bootstrap() {
  local out="" n b c
  for n in 1 2 3; do read -r b c < <(node_ports "$n"); out="$out${out:+,}127.0.0.1:$b"; done
  echo "$out"
}

cluster_voters() {
  local out="" n b c
  for n in 1 2 3; do read -r b c < <(node_ports "$n"); out="$out${out:+,}$n@127.0.0.1:$c"; done
  echo "$out"
}

node_running() {
  local pid_file="$CLUSTER_DIR/node-$1/kafka.pid"
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

# node_start N: write its config, format once, launch (no wait)
node_start() {
  local n=$1 b c dir="$CLUSTER_DIR/node-$1"
  read -r b c < <(node_ports "$n")
  if node_running "$n"; then echo "kafka.sh: node $n already running on 127.0.0.1:$b" >&2; return 0; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$b") 2>/dev/null; then die "node $n: port $b is taken by another process (set KAFKA_CLUSTER_PORTS)."; fi
  write_config "$dir" "$n" "$b" "$c" "$(cluster_voters)" 3 2
  format_storage "$dir" "$(cat "$CLUSTER_DIR/cluster.id")"
  echo "kafka.sh: starting node $n on 127.0.0.1:$b (controller $c, data in $dir)" >&2
  launch "$dir" "$CLUSTER_HEAP"
}

node_wait() {  # until node N accepts clients and knows all three brokers; fails at once if it died
  local n=$1 b c
  read -r b c < <(node_ports "$n")
  for _ in $(seq 1 24); do
    if ! node_running "$n"; then
      grep -h "ERROR\|Exception" "$CLUSTER_DIR/node-$n/kafka.log" 2>/dev/null | head -n 5 >&2 || true
      die "node $n exited while starting (log: $CLUSTER_DIR/node-$n/kafka.log)."
    fi
    "$PYTHON" "$ROOT/deploy/kafka_admin.py" wait --bootstrap "127.0.0.1:$b" --timeout 5 --brokers 3 2>/dev/null && return 0
  done
  tail -n 30 "$CLUSTER_DIR/node-$n/stdout.log" "$CLUSTER_DIR/node-$n/kafka.log" >&2 2>/dev/null || true
  die "node $n did not accept clients on 127.0.0.1:$b with all three brokers registered within 120 s."
}

node_signal() {
  local n=$1 sig=$2 pid_file="$CLUSTER_DIR/node-$1/kafka.pid" pid
  node_running "$n" || { echo "kafka.sh: node $n is not running" >&2; rm -f "$pid_file"; return 0; }
  pid=$(cat "$pid_file")
  kill "-$sig" "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; echo "kafka.sh: node $n stopped ($sig)" >&2; return 0; }
    sleep 0.5
  done
  echo "kafka.sh: node $n made no clean exit in 30 s; killing pid $pid" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

cluster() {
  local sub="${1:-}" node="${2:-}"
  case "$sub" in
    start)
      check_java; fetch
      mkdir -p "$CLUSTER_DIR"
      [ -s "$CLUSTER_DIR/cluster.id" ] || random_cluster_id > "$CLUSTER_DIR/cluster.id"
      for n in 1 2 3; do node_start "$n"; done  # all three first: no node is ready before a quorum exists
      for n in 1 2 3; do node_wait "$n"; done
      echo "kafka.sh: cluster ready on $(cluster_bootstrap)" >&2 ;;
    stop)  # all at once: the last node alone would wait for a quorum it can no longer reach
      for n in 1 2 3; do node_signal "$n" TERM & done
      wait ;;
    kill) check_node "$node"; node_signal "$node" KILL ;;
    restart) check_node "$node"; check_java; node_start "$node"; node_wait "$node" ;;
    status)
      local rc=0 b c
      for n in 1 2 3; do
        read -r b c < <(node_ports "$n")
        if node_running "$n"; then echo "node $n: running, pid $(cat "$CLUSTER_DIR/node-$n/kafka.pid"), 127.0.0.1:$b"; else echo "node $n: not running (127.0.0.1:$b)"; rc=3; fi
      done
      return $rc ;;
    topics)
      "$PYTHON" "$ROOT/deploy/kafka_admin.py" create-topics --bootstrap "$(cluster_bootstrap)" \
        --partitions "${KAFKA_TOPIC_PARTITIONS:-6}" --replication-factor 3 --min-insync-replicas 2 ;;
    bootstrap) cluster_bootstrap ;;
    leaders) "$PYTHON" "$ROOT/deploy/kafka_admin.py" leaders --bootstrap "$(cluster_bootstrap)" ${node:+--topic "$node"} ;;
    *) sed -n '13,23p' "$0" >&2; exit 2 ;;
  esac
}

case "$cmd" in
  cluster) cluster "${2:-}" "${3:-}" ;;
  fetch) check_java; fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  topics) "$PYTHON" "$ROOT/deploy/kafka_admin.py" create-topics --bootstrap "$BOOTSTRAP" --partitions "${KAFKA_TOPIC_PARTITIONS:-6}" ;;
  *) sed -n '2,23p' "$0" >&2; exit 2 ;;
esac
