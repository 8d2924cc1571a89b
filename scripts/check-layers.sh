#!/usr/bin/env bash
# Fails when a package imports what docs/architecture.md forbids for its layer:
#   - grocksdb outside kalamdb-store
#   - go-mysql-server outside kalamdb-core
#   - net/http in kalamdb-core or below
#   - an upward import (store -> sql/core/server, sql -> core/server, core -> server)
# Test imports count too: a layer's tests must run without the layers above it.
set -euo pipefail
cd "$(dirname "$0")/.."

mod=github.com/kalamdb/kalamdb-go
fail=0
check() { # layer, forbidden-regex, reason
  local layer=$1 forbidden=$2 reason=$3 out
  out=$(go list -f '{{.ImportPath}}: {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' "./$layer/..." |
    awk -v re="$forbidden" '{ for (i = 2; i <= NF; i++) if ($i ~ re) print $1 " imports " $i }')
  if [ -n "$out" ]; then
    printf 'layer violation (%s):\n%s\n' "$reason" "$out" >&2
    fail=1
  fi
}

check kalamdb-sql    '^github.com/linxGnu/grocksdb'       'grocksdb only in kalamdb-store'
check kalamdb-core   '^github.com/linxGnu/grocksdb'       'grocksdb only in kalamdb-store'
check kalamdb-server '^github.com/linxGnu/grocksdb'       'grocksdb only in kalamdb-store'
check kalamdb-store  '^github.com/dolthub/go-mysql-server' 'go-mysql-server only in kalamdb-core'
check kalamdb-sql    '^github.com/dolthub/go-mysql-server' 'go-mysql-server only in kalamdb-core'
check kalamdb-server '^github.com/dolthub/go-mysql-server' 'go-mysql-server only in kalamdb-core'
check kalamdb-store  '^net/http'                          'no net/http in kalamdb-core or below'
check kalamdb-sql    '^net/http'                          'no net/http in kalamdb-core or below'
check kalamdb-core   '^net/http'                          'no net/http in kalamdb-core or below'
check kalamdb-store  "^$mod/kalamdb-(sql|core|server)"    'kalamdb-store imports no upper layer'
check kalamdb-sql    "^$mod/kalamdb-(core|server)"        'kalamdb-sql imports no upper layer'
check kalamdb-core   "^$mod/kalamdb-server"               'kalamdb-core imports no upper layer'
exit $fail
