"""Shared test fixtures.

The real recorded responses live in ../shared/samples beside the repository (or where
AGGREGATOR_SAMPLES points); tests that need them are skipped when they are absent.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = Path(os.environ.get("AGGREGATOR_SAMPLES", REPO.parent / "shared" / "samples"))


@pytest.fixture
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "aggregator.db")


def run_cli(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed `aggregator` command the way a user does."""
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "INFO"}
    process = subprocess.run(
        [sys.executable, "-m", "aggregator.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=REPO,
    )
    if check and process.returncode != 0:
        raise AssertionError(f"aggregator {' '.join(args)} exited {process.returncode}:\n{process.stdout}\n{process.stderr[-4000:]}")
    return process


def datasette_get(db_path: str, path: str):
    """GET a Datasette page in-process, with the project's metadata, as a user would see it."""
    from datasette.app import Datasette

    from aggregator.publish import metadata_for

    async def fetch():
        ds = Datasette([db_path], metadata=metadata_for(db_path))
        await ds.invoke_startup()
        return await ds.client.get(path)

    return asyncio.run(fetch())
