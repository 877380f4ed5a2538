#!/usr/bin/env bash
# `make run`: local Kafka, SQLite, migrations, default feeds, and all services in the foreground.
# Ctrl-C (or SIGTERM) stops the services, then Kafka, cleanly.
# KAFKA_NODES=3 runs a three-broker cluster (deploy/kafka.sh cluster; topics with replication factor 3 and
# min.insync.replicas=2) instead of the single node.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -f .env ] && set -a && . ./.env && set +a
export KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_NODES="${KAFKA_NODES:-1}"
case "$KAFKA_NODES" in
  1) export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}" ;;
  3) export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-$(deploy/kafka.sh cluster bootstrap)}" ;;
  *) echo "run.sh: KAFKA_NODES must be 1 (one broker) or 3 (a cluster); got $KAFKA_NODES" >&2; exit 2 ;;
esac
kafka() {  # kafka start|stop|topics, on the node or the cluster
  if [ "$KAFKA_NODES" = 3 ]; then deploy/kafka.sh cluster "$1"; else deploy/kafka.sh "$1" "$KAFKA_PORT"; fi
}
export DATABASE_URL="${DATABASE_URL:-sqlite:///$ROOT/.run/radar.db}"
export LOG_FORMAT="${LOG_FORMAT:-console}"
BIN="$ROOT/.venv/bin"
pids=()

stopping=""
stop_all() {
  # A second signal (Ctrl-C reaches the whole group, a supervisor may repeat its SIGTERM) must not cut the
  # clean-up short and leave Kafka or a service behind: while stopping, INT and TERM are ignored.
  trap '' INT TERM
  trap - EXIT
  stopping=1
  echo "run.sh: stopping services" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  kafka stop || true
}
trap stop_all INT TERM EXIT

mkdir -p .run
kafka start
kafka topics
"$BIN/radar" db upgrade
if [ -n "${RADAR_SEED_COMMAND:-}" ]; then $RADAR_SEED_COMMAND; else "$BIN/radar" seed; fi  # make demo seeds its own feeds
# The first run makes an admin and keeps its token (shown once by radar) in .run/admin-token.
if [ -z "$("$BIN/radar" users list)" ]; then
  "$BIN/radar" users add admin --admin >&2
  (umask 077 && "$BIN/radar" tokens create admin --name make-run | sed 's/.*: //' > .run/admin-token)
fi

for svc in feed_watcher classifier notifier; do
  "$BIN/python" -m "radar_$svc" &
  pids+=($!)
done
"$BIN/radar" api &
pids+=($!)
cat >&2 <<MSG

Radar is running.  Kafka $KAFKA_BOOTSTRAP_SERVERS  ·  database $DATABASE_URL
  web page and API:  http://127.0.0.1:${API_HTTP_PORT:-8080}/  (sign in with the token in .run/admin-token; API docs at /docs)
  health/metrics:  feed-watcher http://127.0.0.1:${FEED_WATCHER_HTTP_PORT:-8081}  classifier :${CLASSIFIER_HTTP_PORT:-8082}  notifier :${NOTIFIER_HTTP_PORT:-8083}
  in another shell: .venv/bin/radar status  ·  .venv/bin/radar subscriptions add --channel 'mailto://…' --topic dprk-sanctions
Ctrl-C stops everything.

MSG
# Stop everything when any service dies, so a broken service is never silently missing.
wait -n "${pids[@]}" || true
[ -n "$stopping" ] || echo "run.sh: a service exited; stopping the rest" >&2
