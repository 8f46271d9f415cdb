#!/usr/bin/env bash
# Benchmarks behind docs/performance.md. Usage: bash bench/run.sh [import|list|exposure|cap|release|screening|all]
# Needs PostgreSQL at BACKSTOP_TEST_POSTGRES (default the local test
# database); works in bench/out (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
PG=${BACKSTOP_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
OUT=bench/out
mkdir -p "$OUT"
go build -o "$OUT/backstop" ./cmd/backstop
go build -o "$OUT/listlatency" ./bench/listlatency
B="$OUT/backstop"

demo2m() { # the 2,000,000-household demo store shared by exposure and release
  if [[ ! -f $OUT/release-2m/backstop.db ]]; then
    "$B" demo --data "$OUT/release-2m" --households 2000000
  fi
}

pg_schema() { # a fresh schema and a URL pointing at it
  psql "$PG" -qc "DROP SCHEMA IF EXISTS $1 CASCADE; CREATE SCHEMA $1" >/dev/null 2>&1
  echo "${PG}&search_path=$1"
}

timed() { # command … : prints the command's output, wall time and peak RSS
  /usr/bin/time -f "  wall %es, peak RSS %M KiB" "$@"
}

if [[ $what == import || $what == all ]]; then
  echo "== roster import, 1,000,000 persons (generated, in region order as national exports are)"
  [[ -f $OUT/roster-1m.csv ]] || "$B" demo --roster-csv "$OUT/roster-1m.csv" --persons 1000000
  rm -rf "$OUT/import-sqlite"
  "$B" demo --data "$OUT/import-sqlite" --households 0 >/dev/null 2>&1 # regions only
  echo "-- SQLite, empty registry"
  timed "$B" import households --data "$OUT/import-sqlite" "$OUT/roster-1m.csv"
  echo "-- SQLite, same file again (nothing changes)"
  timed "$B" import households --data "$OUT/import-sqlite" "$OUT/roster-1m.csv"
  url=$(pg_schema bench_import)
  "$B" demo --db "$url" --households 0 >/dev/null 2>&1
  echo "-- PostgreSQL, empty registry"
  timed "$B" import households --db "$url" "$OUT/roster-1m.csv"
  echo "-- PostgreSQL, same file again"
  timed "$B" import households --db "$url" "$OUT/roster-1m.csv"
fi

if [[ $what == list || $what == all ]]; then
  echo "== GET /api/v1/households?region=<township>, 1,000,000 households"
  if [[ ! -f $OUT/list-sqlite/backstop.db ]]; then
    "$B" demo --data "$OUT/list-sqlite" --households 1000000
  fi
  "$OUT/listlatency" --data "$OUT/list-sqlite" -n 2000
  url=$(psql "$PG" -tAc "SELECT 1 FROM pg_namespace WHERE nspname = 'bench_list'" | grep -q 1 && echo "${PG}&search_path=bench_list" || true)
  if [[ -z $url ]]; then
    url=$(pg_schema bench_list)
    "$B" demo --db "$url" --households 1000000
    psql "$PG" -qc "VACUUM ANALYZE bench_list.households" >/dev/null
  fi
  "$OUT/listlatency" --db "$url" -n 2000
fi

if [[ $what == exposure || $what == all ]]; then
  echo "== exposure: 200-vertex polygon over ~10% of Zhangye's box, index vs PostGIS (needs postgresql-15-postgis-3)"
  go build -o "$OUT/exposure" ./bench/exposure
  demo2m
  "$OUT/exposure" -n 2000000 -runs 31 -pg "$PG" -store "$OUT/release-2m"
  echo "-- 30,000,000 synthetic households in memory"
  /usr/bin/time -f "  peak RSS %M KiB" "$OUT/exposure" -n 100000 -runs 15 -big 30000000 | grep -v "^index: 100000\|^brute"
fi

if [[ $what == cap || $what == all ]]; then
  echo "== CAP: parse + validate + store one alert (OASIS examples), SQLite"
  go build -o "$OUT/capingest" ./bench/capingest
  "$OUT/capingest" -cap ../shared/data/cap/valid -runs 500
fi

if [[ $what == release || $what == all ]]; then
  echo "== targeted release: ~1,000,000 recipients written durably; dispatch to a local gateway; release to first message"
  go build -o "$OUT/releasebench" ./bench/release
  demo2m
  # Each run adds a warning and a release; work on a copy so runs compare.
  rm -rf "$OUT/release-run" && cp -r "$OUT/release-2m" "$OUT/release-run"
  echo "-- SQLite"
  "$OUT/releasebench" -data "$OUT/release-run" -dispatch 30s
  url=$(pg_schema bench_release)
  echo "-- PostgreSQL (loading 2,000,000 demo households first)"
  "$B" demo --db "$url" --households 2000000 >/dev/null
  "$OUT/releasebench" -db "$url" -dispatch 30s
  echo "-- city-sized release (20,000 households), release to first message"
  rm -rf "$OUT/release-20k" && "$B" demo --data "$OUT/release-20k" --households 20000 >/dev/null
  "$OUT/releasebench" -data "$OUT/release-20k" -households 20000 -first
fi

if [[ $what == screening || $what == all ]]; then
  echo "== after the disaster: campaign over ~300,000 of 1,000,000 households; loss report POST; statistics of 100,000 reports; a county's at-risk queue"
  go build -o "$OUT/screeningbench" ./bench/screening
  if [[ ! -f $OUT/screening-1m/backstop.db ]]; then
    "$B" demo --data "$OUT/screening-1m" --households 1000000 >/dev/null
  fi
  # Each run adds an event, campaigns and reports: work on a copy.
  rm -rf "$OUT/screening-run" && cp -r "$OUT/screening-1m" "$OUT/screening-run"
  echo "-- SQLite"
  timed "$OUT/screeningbench" -data "$OUT/screening-run"
  url=$(pg_schema bench_screening)
  echo "-- PostgreSQL (loading 1,000,000 demo households first)"
  "$B" demo --db "$url" --households 1000000 >/dev/null
  timed "$OUT/screeningbench" -db "$url"
fi
