# pgdiff-lib.sh: what the pgdiff-*.sh checks share, sourced by them: asking
# a KalamDB-Go server (KALAM_URL, KALAM_AUTH) and a PostgreSQL server (the
# PG* environment of psql) the same SQL, each answer printed in one shape:
# a line per row, values joined by |, NULL as NULL, booleans as psql's t
# and f, numbers as their JSON text (a float -0 stays -0, as psql prints
# it), or "ERROR: message".
KALAM_URL=${KALAM_URL:-http://127.0.0.1:8080}
KALAM_AUTH=${KALAM_AUTH:-root:}

kalam() { # SQL -> one line per row, values joined by |, or ERROR: message
	local body
	body=$(python3 -c 'import json,sys; print(json.dumps({"sql": sys.argv[1]}))' "$1")
	curl -s -u "$KALAM_AUTH" "$KALAM_URL/v1/api/sql" -H 'Content-Type: application/json' -d "$body" |
		python3 -c '
import json, sys
d = json.load(sys.stdin, parse_int=str, parse_float=str)
if d.get("status") != "success":
    print("ERROR: " + d["error"]["message"]); sys.exit()
for r in d["results"]:
    for row in r.get("rows") or []:
        print("|".join("NULL" if v is None else ("t" if v is True else "f" if v is False else str(v)) for v in row))'
}

pg() { # SQL -> the same shape
	psql -X -q -A -t -P null=NULL -v ON_ERROR_STOP=1 -c "$1" 2>&1 | sed -e 's/^psql:[^E]*ERROR:  /ERROR: /' -e 's/^ERROR:  /ERROR: /' | grep -v '^LINE\|^ *\^\|^DETAIL\|^HINT' || true
}
