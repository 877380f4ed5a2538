#!/usr/bin/env bash
# A local single-node Apache Kafka 4.x (KRaft, broker+controller in one JVM) from Maven Central's jars.
#
#   deploy/kafka.sh fetch                    fetch the jars once into .cache/kafka/libs (Maven's ~/.m2 caches too)
#   deploy/kafka.sh start [PORT]             format storage (first time) and start; waits until clients are accepted
#   deploy/kafka.sh status [PORT]            running or not, and whether it accepts clients
#   deploy/kafka.sh stop [PORT]              SIGTERM, wait for a clean exit
#   deploy/kafka.sh topics [PORT]            create Radar's topics (6 partitions by default, DLQs included)
#
# PORT defaults to $KAFKA_PORT or 9092. The controller listens on PORT+1. Data, log and pid live in
# $KAFKA_RUN_DIR (default .run/kafka-PORT). Running any command twice does no harm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
LIBS="$CACHE/libs"
PYTHON="${RADAR_PYTHON:-$ROOT/.venv/bin/python}"
cmd="${1:-}"
PORT="${2:-${KAFKA_PORT:-9092}}"
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

write_config() {
  mkdir -p "$RUN_DIR/data"
  cat > "$RUN_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$RUN_DIR/data
num.partitions=${KAFKA_TOPIC_PARTITIONS:-6}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
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
  write_config
  if [ ! -f "$RUN_DIR/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java -cp "$LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$RUN_DIR/server.properties" \
      > "$RUN_DIR/format.log" 2>&1 || { cat "$RUN_DIR/format.log" >&2; die "formatting KRaft storage in $RUN_DIR/data failed."; }
  fi
  echo "kafka.sh: starting Kafka on $BOOTSTRAP (data in $RUN_DIR)" >&2
  nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.properties" -Dkafka.logs.dir="$RUN_DIR" \
    -cp "$LIBS/*" kafka.Kafka "$RUN_DIR/server.properties" > "$RUN_DIR/stdout.log" 2>&1 &
  echo $! > "$PID_FILE"
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

case "$cmd" in
  fetch) check_java; fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  topics) "$PYTHON" "$ROOT/deploy/kafka_admin.py" create-topics --bootstrap "$BOOTSTRAP" --partitions "${KAFKA_TOPIC_PARTITIONS:-6}" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
