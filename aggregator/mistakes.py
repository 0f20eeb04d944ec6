"""The command line's checks of what a user typed, made before anything runs or is written: each
returns one sentence saying what is wrong and what to do, or None when the input is fine.

Spider arguments (``-a NAME=VALUE``) are checked against the keyword parameters the spider class
and its bases declare (Scrapy itself sets any name given as an attribute and goes on crawling);
yes/no arguments against the words the spiders read; Scrapy settings (``-s NAME=VALUE``) against
the type of Scrapy's or the project's default (Scrapy reads them in the crawl process and
answered ``DOWNLOAD_TIMEOUT=abc`` with a traceback)."""

from __future__ import annotations

import inspect
import json
import os
import socket
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

YES = {"1", "true", "yes", "on"}
NO = {"0", "false", "no", "off", ""}


def spider_parameters(cls: type) -> dict[str, str]:
    """The keyword arguments ``cls`` and its bases accept: name -> annotation (as written)."""
    parameters: dict[str, str] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass.__module__.startswith("scrapy"):
            continue
        for name, parameter in inspect.signature(init).parameters.items():
            if name != "self" and parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD):
                annotation = parameter.annotation
                parameters.setdefault(name, annotation if isinstance(annotation, str) else str(annotation))
    return parameters


def project_settings():
    """Scrapy's settings with the project's settings module, as a crawl process reads them."""
    from scrapy.settings import Settings

    from aggregator.crawl import SETTINGS_MODULE

    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    return settings


def spider_class(spider: str) -> type:
    from scrapy.spiderloader import SpiderLoader

    return SpiderLoader.from_settings(project_settings()).load(spider)


def spider_argument_problem(spiders: dict[str, type], arguments: Iterable[str]) -> str | None:
    """``spiders``: name -> class of the spiders a crawl runs with ``arguments``. A name is
    unknown when none of them takes it (each spider gets every argument; Scrapy sets a name its
    spider does not declare as an attribute)."""
    accepted: dict[str, str] = {}
    for cls in spiders.values():
        for name, annotation in spider_parameters(cls).items():
            accepted.setdefault(name, annotation)
    for argument in arguments:
        name, _, value = argument.partition("=")
        if name not in accepted:
            return f"{' and '.join(spiders)} {'takes' if len(spiders) == 1 else 'take'} no argument {name!r}; " + (
                "arguments: " + ", ".join(sorted(accepted)) if accepted else "no arguments"
            )
        if "bool" in accepted[name] and value.strip().lower() not in YES | NO:
            return f"-a {name}={value}: {name} is yes or no; give {name}=1 or {name}=0"
    return None


def setting_problem(settings: Iterable[str]) -> str | None:
    defaults = project_settings()
    for setting in settings:
        name, equals, value = setting.partition("=")
        if not equals or not name:
            return f"Scrapy settings are NAME=VALUE, got {setting!r}"
        default = defaults.get(name)
        if hasattr(default, "copy_to_dict"):  # a BaseSettings of components
            default = default.copy_to_dict()
        kind = type(default)
        try:
            if kind is bool:
                if value.strip().lower() not in YES | NO | {"true", "false"}:
                    raise ValueError
            elif kind in (int, float):  # Scrapy reads some integer defaults as floats (DOWNLOAD_TIMEOUT)
                float(value)
            elif isinstance(default, dict | list):
                json.loads(value)
        except ValueError:
            what = {bool: "yes or no (1 or 0)", int: "a number", float: "a number"}.get(kind, "JSON")
            return f"-s {name}={value}: {name} is {what}, e.g. {name}={_example(default)}"
    return None


def _example(default) -> str:
    if isinstance(default, bool):
        return "1" if default else "0"
    if isinstance(default, int | float):
        return str(default)
    return "{}"


def base_url_problem(base_url: str | None) -> str | None:
    """Whether anything answers at the host and port of ``--base-url`` (one connection, no request)."""
    if not base_url:
        return None
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"--base-url {base_url}: give an address like http://127.0.0.1:8765/"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"--base-url {base_url}: the port is not a number from 1 to 65535"
    try:
        with socket.create_connection((parts.hostname, port), timeout=10):
            return None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        return (
            f"nothing answers at {parts.hostname}:{port} ({reason}): "
            "start the server (e.g. `aggregator replay DIR`) or correct --base-url"
        )


def same_file(one: str | os.PathLike[str], other: str | os.PathLike[str]) -> bool:
    one, other = Path(one), Path(other)
    if one.exists() and other.exists():
        return os.path.samefile(one, other)
    return one.resolve() == other.resolve()


def snapshot_target_problem(db_path: str, target: str | None) -> str | None:
    if not target:
        return None
    for own in (db_path, f"{db_path}-wal", f"{db_path}-shm", f"{db_path}-journal"):
        if same_file(own, target):
            return (
                f"{target} is the database itself ({db_path}): a snapshot goes to another file, "
                "e.g. published/aggregator.db"
            )
    if Path(target).is_dir():
        return f"{target} is a folder: give the snapshot's file path, e.g. {Path(target) / 'aggregator.db'}"
    return None
