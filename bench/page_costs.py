"""What one Datasette page costs, one request at a time, in-process: total time and the SQL it
ran, slowest first (Datasette's trace). For finding what to make faster; bench_datasette.py
measures pages under load.

    .venv/bin/python bench/page_costs.py /tmp/aggregator-bench/aggregator.db
    "/aggregator/courses?region=Uppsala+l%C3%A4n" [...]

Each page is asked for once to warm up, then --repeat times; the fastest is shown. The database
is served as published (immutable) unless --mutable.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.publish import build_datasette  # noqa: E402


async def costs(db_path: str, paths: list[str], repeat: int, immutable: bool, queries: int) -> None:
    from datasette.tracer import capture_traces

    ds = build_datasette(db_path, immutable=immutable)
    await ds.invoke_startup()
    for path in paths:
        await ds.client.get(path)
        fastest = None
        for _ in range(repeat):
            traces: list[dict] = []
            started = time.perf_counter()
            with capture_traces(traces):
                response = await ds.client.get(path)
            took = time.perf_counter() - started
            if fastest is None or took < fastest[0]:
                fastest = (took, traces, response.status_code)
        took, traces, status = fastest
        sql = sum(t["duration_ms"] for t in traces)
        print(f"{path}\n  HTTP {status}: {1000 * took:.0f} ms, of which SQL {sql:.0f} ms in {len(traces)} queries")
        for trace in sorted(traces, key=lambda t: -t["duration_ms"])[:queries]:
            print(f"  {trace['duration_ms']:7.1f} ms  {' '.join(str(trace['sql']).split())[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db")
    parser.add_argument("paths", nargs="+", help="page paths, e.g. /datasette/courses?_search=batteri")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--queries", type=int, default=5, help="slowest queries shown per page")
    parser.add_argument("--mutable", action="store_true", help="serve as a live database, not a published snapshot")
    args = parser.parse_args()
    asyncio.run(costs(args.db, args.paths, args.repeat, not args.mutable, args.queries))


if __name__ == "__main__":
    main()
