"""The project's own rules: where its packages come from, naming, documentation of every column
and every command."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import click
import pytest
import yaml

from aggregator.cli import main
from store.files import open_db
from store.indexes import defer_course_indexes, restore_deferred_indexes
from tests.conftest import REPO


@pytest.mark.parametrize("package", ["store", "spiders", "pipelines", "translate", "aggregator"])
def test_packages_are_imported_from_this_repository(package):
    # PyPI has unrelated packages named spiders, pipelines and translate.
    module = importlib.import_module(package)
    assert Path(module.__file__).resolve().parent == REPO / package


def test_spider_file_name_equals_spider_name_and_names_the_country():
    """A source's file is named after its spider, and the name ends in its country; the one
    spider of any country is the generic schema.org reader, which takes the country as an
    argument."""
    from aggregator.crawl import spider_names
    from tests.harness import spider_class

    for name in spider_names():
        cls = spider_class(name)
        assert Path(inspect.getfile(cls)).stem == name
        if name == "schemaorg_courses":
            assert cls.country == ""
            continue
        source, _, country = name.rpartition("_")
        assert source and country in {"se", "fi"} and cls.country == country.upper()


# Each layer imports only the ones below it: aggregator (job, CLI, site) on top, then the crawl
# (spiders, pipelines), then translate, then store at the ground.
FORBIDDEN_IMPORTS = {
    "store": {"spiders", "pipelines", "translate", "aggregator", "scrapy"},
    "translate": {"spiders", "pipelines", "aggregator", "scrapy"},
    "spiders": {"pipelines", "aggregator"},
    "pipelines": {"aggregator"},
}


def _imported_packages(file: Path) -> set[str]:
    import ast

    found = set()
    for node in ast.walk(ast.parse(file.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN_IMPORTS))
def test_layers_import_only_the_layers_below_them(layer):
    wrong = {
        str(f.relative_to(REPO)): sorted(_imported_packages(f) & FORBIDDEN_IMPORTS[layer])
        for f in (REPO / layer).rglob("*.py")
    }
    assert not {f: names for f, names in wrong.items() if names}


def test_translate_package_has_no_scrapy_imports():
    for file in (REPO / "translate").rglob("*.py"):
        text = file.read_text("utf-8")
        assert "import scrapy" not in text and "from scrapy" not in text, file


def test_every_column_of_every_table_has_a_description(db_path):
    metadata = yaml.safe_load((REPO / "datasette_metadata.yml").read_text("utf-8"))
    tables = metadata["databases"]["aggregator"]["tables"]
    db = open_db(db_path)
    assert defer_course_indexes(db) and restore_deferred_indexes(db)  # makes the table a bulk load uses
    assert "_deferred_indexes" in db.table_names()
    missing = []
    for table in db.table_names():
        if table.startswith("courses_fts"):
            continue  # FTS shadow tables, hidden by Datasette
        columns = (tables.get(table) or {}).get("columns") or {}
        for column in db[table].columns_dict:
            if not str(columns.get(column) or "").strip():
                missing.append(f"{table}.{column}")
        assert (tables.get(table) or {}).get("description"), f"table {table} has no description"
    for view in db.view_names():
        assert (tables.get(view) or {}).get("description"), f"view {view} has no description"
    assert not missing, f"columns without a description: {missing}"


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


def test_every_command_has_help():
    for path, command in _commands(main):
        assert (command.help or "").strip(), f"aggregator {' '.join(path)} has no help"
        for param in command.params:
            if isinstance(param, click.Option):
                assert (param.help or "").strip() or param.name in {"help"}, f"{path} --{param.name}"
