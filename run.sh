#!/usr/bin/env bash
# The main job, from a fresh clone: set up .venv, run the nightly job (crawl every source into
# aggregator.db, fill in English, export to exports/), then publish with Datasette on
# http://127.0.0.1:8001/.
#
#   ./run.sh                          crawl the live registers
#   ./run.sh --replay DIR             crawl recorded responses served from DIR on 127.0.0.1
#   AGGREGATOR_DB=other.db ./run.sh   write another database
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup-venv.sh
status=0
.venv/bin/aggregator nightly "$@" || status=$?
case $status in
    0) ;;
    # 1: some sources failed (named above); 3: another job holds the database: serve what it holds
    1 | 3) echo "warning: the nightly job did not finish cleanly (see above); serving what the database holds" >&2 ;;
    # 2: a mistake in the command (named above), nothing was crawled: correct it, serve nothing old
    *) exit "$status" ;;
esac
exec .venv/bin/aggregator serve
