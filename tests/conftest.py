"""Shared test fixtures.

The real recorded responses live in ../shared/samples beside the repository (or where
AGGREGATOR_SAMPLES points); tests that need them are skipped when they are absent.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Argos Translate reads its folders at import: point them at a private place before anything
# imports it, so the tests never see (or touch) models installed on this machine, and never
# download anything (MiniSBD's cache is there too).
_ARGOS_HOME = Path(tempfile.mkdtemp(prefix="aggregator-tests-argos-"))
atexit.register(shutil.rmtree, _ARGOS_HOME, ignore_errors=True)
# The nightly job installs missing models from the Argos package index: in tests that index is
# never the public one. A closed local port (the offline case) unless a test serves its own.
os.environ["ARGOS_PACKAGE_INDEX"] = "http://127.0.0.1:9/"
for _name, _sub in {
    "ARGOS_PACKAGES_DIR": "packages",
    "XDG_DATA_HOME": "data",
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_HOME": "config",
}.items():
    os.environ[_name] = str(_ARGOS_HOME / _sub)
    (_ARGOS_HOME / _sub).mkdir(parents=True, exist_ok=True)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = Path(os.environ.get("AGGREGATOR_SAMPLES", REPO.parent / "shared" / "samples"))


@pytest.fixture
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture
def mounted_tmpfs(tmp_path):
    """A function mounting a tmpfs of a given size (a small disk, or one to remount read-only);
    skips where mounting is not allowed (not root). Everything it mounted is unmounted after."""
    mounts = []

    def mount(size: str) -> Path:
        folder = tmp_path / f"disk{len(mounts)}"
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
        mounts.append(folder)
        return folder

    yield mount
    for folder in reversed(mounts):
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "aggregator.db")


def run_cli(
    *args: str, check: bool = True, timeout: float = 300, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the installed `aggregator` command the way a user does."""
    env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "INFO", **(env or {})}
    process = subprocess.run(
        [sys.executable, "-m", "aggregator.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=REPO,
    )
    if check and process.returncode != 0:
        raise AssertionError(
            f"aggregator {' '.join(args)} exited {process.returncode}:\n{process.stdout}\n{process.stderr[-4000:]}"
        )
    return process


def crawl_logs(process: subprocess.CompletedProcess) -> str:
    """The Scrapy logs of the spiders a job (`aggregator crawl` or `nightly`) ran: they go to a file
    per spider, named on the job's progress line "(log: <file>)"."""
    found = re.findall(r"\(log: (.+?)\)$", process.stdout + process.stderr, re.M)
    assert found, f"no spider log named in the output:\n{process.stdout}\n{process.stderr[-2000:]}"
    return "".join(Path(path).read_text("utf-8", "replace") for path in found)


def datasette_get(db_path: str, path: str):
    """GET a Datasette page in-process, with the project's metadata, as a user would see it."""
    from aggregator.publish import build_datasette

    async def fetch():
        ds = build_datasette(db_path)
        await ds.invoke_startup()
        return await ds.client.get(path)

    return asyncio.run(fetch())


@pytest.fixture(scope="session")
def tiny_packages(tmp_path_factory) -> dict[str, Path]:
    """Tiny sv->en and fi->en Argos packages (version 1.0), and an sv->en 1.1, built once."""
    from tests.tiny_argos import build_package

    folder = tmp_path_factory.mktemp("argosmodels")
    return {
        "sv": build_package(folder, "sv", "1.0"),
        "fi": build_package(folder, "fi", "1.0"),
        "sv-1.1": build_package(folder, "sv", "1.1", seed=11),
    }


@pytest.fixture
def argos_env(tmp_path) -> dict[str, str]:
    """Environment for a child process with its own, empty Argos package folder."""
    home = tmp_path / "argos"
    env = {
        "ARGOS_PACKAGES_DIR": str(home / "packages"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    for path in env.values():
        Path(path).mkdir(parents=True, exist_ok=True)
    return env


@pytest.fixture
def installed_in_process(tiny_packages):
    """Install tiny packages into this process's Argos folder; removed again afterwards."""
    from translate.argos import install_from_file

    installed = []

    def install(key: str):
        model = install_from_file(tiny_packages[key])
        installed.append(model.path)
        return model

    yield install
    for path in installed:
        shutil.rmtree(path, ignore_errors=True)


def stock_datasette_command(published: Path) -> list[str]:
    """Stock `datasette serve` of a published snapshot's folder (a configuration directory with the
    site's settings) with the metadata, as the README documents it; `served()` fills in {port}."""
    from aggregator.publish import METADATA

    command = [sys.executable, "-m", "datasette", "serve", str(published.parent), "-m", str(METADATA)]
    return command + ["--host", "127.0.0.1", "--port", "{port}"]
