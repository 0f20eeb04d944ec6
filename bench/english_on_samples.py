"""English coverage of the real recorded samples, per source, field and method, as the nightly job
leaves it: once with translation models installed by the job itself from a package index served on
127.0.0.1 (the tiny test models, pinned to their version 1.0), once offline.

    .venv/bin/python bench/english_on_samples.py [--samples ../shared/samples]

The tiny models translate badly by design: what this measures is which listings get English and
from where (original, provider, official, machine, pending), not the quality of the English.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.replay import ReplayServer  # noqa: E402
from tests.tiny_argos import build_package, write_package_index  # noqa: E402


def nightly(db: Path, replay: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "aggregator", "--db", str(db), "nightly", "--replay", str(replay), "--no-export"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    if done.returncode != 0:
        raise SystemExit(f"the nightly job failed:\n{done.stderr[-3000:]}")
    return done.stderr


def coverage(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select source, field, method, listings, percent from english_coverage").fetchall()


def print_table(rows: list[tuple]) -> None:
    print(f"  {'source':22} {'field':12} {'method':10} {'listings':>8} {'%':>6}")
    for source, field, method, listings, percent in rows:
        print(f"  {source:22} {field:12} {method:10} {listings:8d} {percent:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "samples")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aggregator-english-"))
    replay = work / "replay"
    subprocess.run(
        [sys.executable, "-m", "aggregator", "samples", str(args.samples), str(replay)], check=True, capture_output=True
    )
    index = work / "index"
    index.mkdir()
    packages = [build_package(work / "built", lang, "1.0") for lang in ("sv", "fi")]
    for run, online in (("with models from the package index", True), ("offline", False)):
        home = work / ("argos-online" if online else "argos-offline")
        env = {
            "ARGOS_PACKAGES_DIR": str(home / "packages"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "AGGREGATOR_MODEL_VERSIONS": "sv=1.0,fi=1.0",
        }
        db = work / f"{'online' if online else 'offline'}.db"
        if online:
            with ReplayServer(index) as server:
                write_package_index(index, packages, server.base_url)
                log = nightly(db, replay, {**env, "ARGOS_PACKAGE_INDEX": server.base_url + "/"})
                downloads = sum(1 for r in server.requests if r["path"].endswith(".argosmodel"))
            print(f"{run}: {downloads} packages downloaded")
        else:
            log = nightly(db, replay, {**env, "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/"})
            advice = [line for line in log.splitlines() if line.startswith("Translation models not installed")]
            print(f"{run}: {advice[0][:150] if advice else 'no advice line'}...")
        print_table(coverage(db))


if __name__ == "__main__":
    main()
