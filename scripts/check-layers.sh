#!/usr/bin/env bash
# Fails when a package imports what docs/architecture.md forbids for its layer:
#   - grocksdb outside kalamdb-store
#   - go-mysql-server outside kalamdb-core
#   - net/http in kalamdb-core or below
#   - an upward import (store -> sql/core/server, sql -> core/server, core -> server)
#   - inside kalamdb-core, an import between its packages that the house
#     (docs/architecture.md) does not have
# Test imports count too: a layer's tests must run without the layers above it.
# Inside kalamdb-core only production imports are held to the house: a
# package's tests may assemble the whole database (package database) to
# drive the package the way a client does.
set -euo pipefail
cd "$(dirname "$0")/.."

mod=github.com/kalamdb/kalamdb-go
fail=0
check() { # layer, forbidden-regex, reason[, packages whose tests are exempt]
  local layer=$1 forbidden=$2 reason=$3 cond='true' out p
  for p in ${4:-}; do cond="(and $cond (ne .ImportPath \"$p\"))"; done
  out=$(go list -f '{{.ImportPath}}: {{join .Imports " "}}{{if '"$cond"'}} {{join .TestImports " "}} {{join .XTestImports " "}}{{end}}' "./$layer/..." |
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
# The S3 storage of the cold tier, backups to S3, and the executor's tests
# of s3 storages (who placed them: storage_placer_test.go) are tested
# against a real S3 protocol server on a loopback port: those tests, and
# only they, serve HTTP.
check kalamdb-core   '^net/http'                          'no net/http in kalamdb-core or below' "$mod/kalamdb-core/cold $mod/kalamdb-core/backup $mod/kalamdb-core/executor"
check kalamdb-store  "^$mod/kalamdb-(sql|core|server)"    'kalamdb-store imports no upper layer'
check kalamdb-sql    "^$mod/kalamdb-(core|server)"        'kalamdb-sql imports no upper layer'
check kalamdb-core   "^$mod/kalamdb-server"               'kalamdb-core imports no upper layer'
# The packages of kalamdb-core, bottom to top, and the core packages each
# may import. A package not listed here fails the check until it is given
# its place.
core=github.com/kalamdb/kalamdb-go/kalamdb-core
declare -A allowed=(
  [ids]=''
  [regex]=''
  [memory]=''
  [spans]=''
  [schema]=''
  [authz]=''
  [jobs]=''
  [row]='ids schema'
  [cold]='ids row schema spans'
  [catalog]='ids row schema'
  [tables]='catalog row schema'
  [streams]='catalog'
  [txn]='catalog ids row tables'
  [tier]='catalog cold ids jobs row schema tables txn'
  [engine]='authz catalog cold ids memory regex row schema spans tables tier txn'
  [live]='authz catalog engine memory row schema tier txn'
  [backup]='catalog cold ids jobs row schema tier txn'
  [executor]='authz backup catalog engine jobs memory schema tier txn'
  [database]='backup catalog cold engine executor ids jobs live memory streams tables tier txn'
  [conformance]=''
  [examples/embedded]='database executor'
)
while read -r pkg imports; do
  name=${pkg#"$core/"}
  name=${name%:}
  if [[ ! -v allowed[$name] ]]; then
    printf 'layer violation (kalamdb-core/%s has no place in the house; add it to scripts/check-layers.sh and docs/architecture.md)\n' "$name" >&2
    fail=1
    continue
  fi
  for imp in $imports; do
    [[ $imp == "$core/"* ]] || continue
    dep=${imp#"$core/"}
    if [[ " ${allowed[$name]} " != *" $dep "* ]]; then
      printf 'layer violation (kalamdb-core/%s may not import kalamdb-core/%s)\n' "$name" "$dep" >&2
      fail=1
    fi
  done
done < <(go list -f '{{.ImportPath}}: {{join .Imports " "}}' ./kalamdb-core/...)
exit $fail
