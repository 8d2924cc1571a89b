#!/usr/bin/env bash
# Installs what building KalamDB-Go needs and is missing: a Go toolchain
# check and RocksDB's C headers and library (Debian package librocksdb-dev,
# RocksDB 7.8, which matches grocksdb v1.7.14). Safe to run repeatedly: it
# does nothing when everything is present.
set -euo pipefail

need_go="1.26"
if ! command -v go >/dev/null 2>&1; then
  echo "error: Go $need_go or newer is required (https://go.dev/dl/); 'go' is not on PATH" >&2
  exit 1
fi

have_rocksdb() { [ -f /usr/include/rocksdb/c.h ] && ldconfig -p 2>/dev/null | grep -q librocksdb; }

if ! have_rocksdb; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: RocksDB development files are missing and apt-get is not available;" >&2
    echo "       install RocksDB 7.x headers and library (librocksdb-dev) by hand" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    sudo="sudo"
  fi
  echo "installing librocksdb-dev (RocksDB headers and library)..."
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends librocksdb-dev pkg-config >/dev/null
fi
