#!/usr/bin/env bash
# `make demo`: what `make run` does, with no internet: local demo feeds that release invented articles in several
# languages a few a minute, a local SMTP catcher and Slack stand-in whose messages show on the web page (/demo),
# and a demo user subscribed to both topics and a watch. Its own database (.run/demo.db). Ctrl-C stops it all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p .run/demo "$(dirname "${API_DEMO_INBOX:-.run/demo/x}")"
export DEMO_FEEDS_PORT="${DEMO_FEEDS_PORT:-8090}" DEMO_SMTP_PORT="${DEMO_SMTP_PORT:-8025}" DEMO_SLACK_PORT="${DEMO_SLACK_PORT:-8091}"
export DATABASE_URL="${DATABASE_URL:-sqlite:///$ROOT/.run/demo.db}"
# The demo's world is this machine, and only its own ports there: feeds may reach the demo's feed server, channels
# its SMTP catcher and Slack stand-in (allow-list entries name ports, decision 020), nothing else on 127.0.0.1.
export FEED_WATCHER_ALLOWED_NETWORKS="[\"127.0.0.1:$DEMO_FEEDS_PORT\"]" NOTIFIER_ALLOWED_NETWORKS="[\"127.0.0.1:$DEMO_SMTP_PORT,$DEMO_SLACK_PORT\"]"
export NOTIFIER_SLACK_WEBHOOK_URL="http://127.0.0.1:$DEMO_SLACK_PORT/services"
export NOTIFIER_SLACK_INTERVAL_SECONDS="${NOTIFIER_SLACK_INTERVAL_SECONDS:-0}"
export API_DEMO_INBOX="${API_DEMO_INBOX:-$ROOT/.run/demo/inbox.jsonl}"
export RADAR_SEED_COMMAND="$ROOT/.venv/bin/python $ROOT/deploy/demo/seed.py"
"$ROOT/.venv/bin/python" deploy/demo/server.py --inbox "$API_DEMO_INBOX" --feeds-port "$DEMO_FEEDS_PORT" --smtp-port "$DEMO_SMTP_PORT" \
  --slack-port "$DEMO_SLACK_PORT" --every "${DEMO_EVERY_SECONDS:-20}" &
world=$!
trap 'kill -TERM "$world" 2>/dev/null || true; wait "$world" 2>/dev/null || true' EXIT
# run.sh runs in the background so that this shell takes a supervisor's SIGTERM at once (a foreground child would
# defer the trap until it exits) and hands it on: run.sh stops the services and Kafka, then the demo's server stops.
deploy/run.sh &
run=$!
trap 'trap "" INT TERM; kill -TERM "$run" 2>/dev/null || true' INT TERM
code=0
while kill -0 "$run" 2>/dev/null; do wait "$run" || code=$?; done
exit "$code"
