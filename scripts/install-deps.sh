#!/usr/bin/env bash
# Installs what building and testing KalamDB-Go needs and is missing: a Go
# toolchain check, RocksDB's C headers and library (Debian package
# librocksdb-dev, RocksDB 7.8, which matches grocksdb v1.7.14), and
# Chromium, which the admin console's browser tests drive. Safe to run
# repeatedly: it does nothing when everything is present.
set -euo pipefail

need_go="1.26"
if ! command -v go >/dev/null 2>&1; then
  echo "error: Go $need_go or newer is required (https://go.dev/dl/); 'go' is not on PATH" >&2
  exit 1
fi

# grep reads ldconfig's whole list: with -q it would stop at the first
# match, ldconfig would die of SIGPIPE, and pipefail would report RocksDB
# missing (an apt-get run on some builds, at random).
have_rocksdb() { [ -f /usr/include/rocksdb/c.h ] && ldconfig -p 2>/dev/null | grep librocksdb >/dev/null; }
have_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }

missing=()
have_rocksdb || missing+=(librocksdb-dev pkg-config)
have_chromium || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing ${missing[*]} and apt-get is not available; install by hand:" >&2
    echo "       RocksDB 7.x headers and library (librocksdb-dev), and Chromium for the browser tests" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    sudo="sudo"
  fi
  echo "installing ${missing[*]}..."
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
