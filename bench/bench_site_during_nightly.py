"""The site under load while a nightly job writes the same database.

    .venv/bin/python bench/bench_site_during_nightly.py [--events 20000] [--implementations 4000] [--clients 8]

Builds a synthetic replay folder (bench/synthetic.py), fills a database with a first nightly
job, then serves it with `aggregator serve` (the live database, as ./run.sh does) and runs a
second nightly job against it while CLIENTS threads on 127.0.0.1 ask for the pages people use
(table, facets, search, a row page, a canned query, JSON) until the job ends. Prints the requests,
the errors (any answer that is not 200, or no answer), the latency percentiles per page, and the
job's duration and exit code. Every request loop stops by itself when the job ends (and at
--max-seconds).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.publish import served  # noqa: E402

PAGES = {
    "table page": "/aggregator/courses",
    "facet page": "/aggregator/courses?_facet_topic=topics&_facet_counted=source",
    "search": "/aggregator/courses?_search=batteri",
    "row page JSON": "/aggregator/courses.json?_size=5&_shape=objects",
    "canned query": "/aggregator/supply_by_topic_region_level",
    "source health": "/aggregator/source_health",
}


def nightly(db: Path, replay: Path, log: Path) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "aggregator"),
        "--db",
        str(db),
        "nightly",
        "--replay",
        str(replay),
        "--no-export",
    ]
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--implementations", type=int, default=4_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aggregator-site-nightly-"))
    replay, db = work / "replay", work / "aggregator.db"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "synthetic.py"),
            str(replay),
            "--events",
            str(args.events),
            "--implementations",
            str(args.implementations),
        ],
        check=True,
    )
    started = time.monotonic()
    first = nightly(db, replay, work / "first.log")
    first.wait()
    print(f"first nightly (fills the database): exit {first.returncode}, {time.monotonic() - started:.0f}s")

    with served(str(db), workers=2) as base:
        # a few row pages of real ids
        ids = [
            row["id"]
            for row in __import__("json").loads(
                urllib.request.urlopen(base + "/aggregator/courses.json?_size=50&_shape=objects", timeout=30).read()
            )["rows"]
        ]
        latencies: dict[str, list[float]] = {name: [] for name in [*PAGES, "row page"]}
        errors: list[str] = []
        lock = threading.Lock()
        job = nightly(db, replay, work / "second.log")
        job_started = time.monotonic()
        deadline = job_started + args.max_seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            while job.poll() is None and time.monotonic() < deadline:
                name = rng.choice([*PAGES, "row page"])
                path = f"/aggregator/courses/{rng.choice(ids)}" if name == "row page" else PAGES[name]
                began = time.monotonic()
                try:
                    with urllib.request.urlopen(base + path, timeout=60) as answer:
                        answer.read()
                        status = answer.status
                except urllib.error.HTTPError as exc:
                    status = exc.code
                except OSError as exc:
                    status = f"no answer ({exc})"
                took = time.monotonic() - began
                with lock:
                    latencies[name].append(took)
                    if status != 200:
                        errors.append(f"{status} {path}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        job.wait()
        job_seconds = time.monotonic() - job_started

    every = [t for values in latencies.values() for t in values]
    print(
        f"second nightly with {args.clients} clients on the site: exit {job.returncode}, {job_seconds:.0f}s "
        f"(log: {work / 'second.log'})"
    )
    print(
        f"requests {len(every)}, errors {len(errors)}, p50 {percentile(every, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(every, 0.95) * 1000:.0f} ms, max {max(every, default=0) * 1000:.0f} ms"
    )
    for name, values in latencies.items():
        if values:
            print(
                f"  {name:15} n={len(values):5}  median {statistics.median(values) * 1000:6.0f} ms  p95 "
                f"{percentile(values, 0.95) * 1000:6.0f} ms"
            )
    for line in errors[:10]:
        print("  error:", line)


if __name__ == "__main__":
    main()
