"""A snapshot's folder is a Datasette configuration directory: the site's settings and the
snapshot's table counts beside it, never written over a file a snapshot did not write."""

from __future__ import annotations

import json
import sqlite3

from aggregator.snapshot import snapshot
from aggregator.web.settings import IMMUTABLE_CACHE_TTL, SITE_SETTINGS


def test_the_snapshots_folder_has_the_sites_settings_and_counts_and_keeps_foreign_files(tmp_path, capsys):
    from store.files import open_db

    source = tmp_path / "aggregator.db"
    open_db(str(source)).close()
    with sqlite3.connect(source) as conn:
        conn.executemany("insert into sources (name) values (?)", [("a",), ("b",), ("c",)])
    public = tmp_path / "public"
    published = snapshot(source, public / "aggregator.db")
    settings = json.loads((public / "settings.json").read_text())
    assert settings == {**SITE_SETTINGS, "default_cache_ttl": IMMUTABLE_CACHE_TTL}
    inspect = json.loads((public / "inspect-data.json").read_text())
    assert inspect["aggregator"]["file"] == "aggregator.db"
    assert inspect["aggregator"]["tables"]["sources"] == {"count": 3}
    assert inspect["aggregator"]["size"] == published.stat().st_size
    # another folder whose settings.json someone else wrote: kept, and said so
    other = tmp_path / "theirs"
    other.mkdir()
    (other / "settings.json").write_text('{"num_sql_threads": 5}')
    snapshot(source, other / "aggregator.db")
    assert (other / "settings.json").read_text() == '{"num_sql_threads": 5}'
    assert "settings.json was not written by a snapshot" in capsys.readouterr().err
    # an earlier snapshot's files are replaced
    snapshot(source, public / "aggregator.db")
    assert json.loads((public / "settings.json").read_text()) == settings
