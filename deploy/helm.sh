#!/usr/bin/env bash
# Helm for the chart's tests, built from its Go module through the Go module proxy (no hand download).
#
#   deploy/helm.sh ensure    build helm once into .cache/helm/<version>/bin/helm; prints the binary's path
#   deploy/helm.sh path      prints where that binary is (whether it is there or not)
#
# Needs Go (1.24 or newer) on PATH. HELM_VERSION overrides the pinned version; HELM_CACHE_DIR the cache.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${HELM_VERSION:-v3.19.0}"
DEST="${HELM_CACHE_DIR:-$ROOT/.cache/helm}/$VERSION"
BIN="$DEST/bin/helm"
case "${1:-}" in
  ensure)
    if [ ! -x "$BIN" ]; then
      command -v go >/dev/null 2>&1 || { echo "helm.sh: Go is not on PATH; install Go 1.24+ (it builds helm.sh/helm/v3/cmd/helm@$VERSION)" >&2; exit 1; }
      echo "helm.sh: building helm $VERSION with go install (once) into $DEST" >&2
      mkdir -p "$DEST"
      GOBIN="$DEST/bin.tmp" go install "helm.sh/helm/v3/cmd/helm@$VERSION" >&2 \
        || { rm -rf "$DEST/bin.tmp"; echo "helm.sh: go install helm.sh/helm/v3/cmd/helm@$VERSION failed (see above)" >&2; exit 1; }
      rm -rf "$DEST/bin" && mv "$DEST/bin.tmp" "$DEST/bin"
    fi
    echo "$BIN"
    ;;
  path) echo "$BIN" ;;
  *)
    echo "usage: deploy/helm.sh ensure|path" >&2; exit 2 ;;
esac
