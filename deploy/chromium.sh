#!/usr/bin/env bash
# Chromium for the browser tests, from Debian's packages (Playwright drives it; no browser download).
#
#   deploy/chromium.sh ensure    install chromium with apt-get when it is missing (needs root)
set -euo pipefail
case "${1:-}" in
  ensure)
    if ! command -v chromium >/dev/null 2>&1; then
      [ "$(id -u)" = 0 ] || { echo "chromium.sh: chromium is missing; install it (apt-get install chromium) or run as root" >&2; exit 1; }
      echo "chromium.sh: installing chromium from Debian's packages" >&2
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
    fi
    ;;
  *)
    echo "usage: deploy/chromium.sh ensure" >&2; exit 2 ;;
esac
