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
.venv/bin/aggregator nightly "$@" || echo "warning: some sources failed (see above); serving what the database holds" >&2
exec .venv/bin/aggregator serve
