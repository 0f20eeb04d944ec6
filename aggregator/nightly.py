"""The nightly job: crawl every source (each in its own process, with a time limit), fill in
English, export, and report per source. The per-spider loop (lock, open, run, judge, summary
line) is ``aggregator.job``'s, shared with `aggregator crawl`. A source that fails, yields
nothing, drops below the plausible share of its last successful run or shows a jump in errors is reported and makes the
job fail; a provider web
site in that state is reported, keeps its listings as they were, and the job goes on (a site's
redesign must not stop the registers' nightly data)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aggregator.crawl import enabled_spider_names, spider_facts, spider_names
from aggregator.job import JobLocked, SourceResult, acquire_job_lock, crawl_spiders, log_folder, open_job_db
from aggregator.snapshot import snapshot

__all__ = ["JobLocked", "NightlyReport", "run_nightly"]

DEFAULT_TIMEOUT = 4 * 3600


@dataclass
class NightlyReport:
    sources: list[SourceResult] = field(default_factory=list)
    translated: int | None = None
    pending: int = 0
    exported: dict[str, int] | None = None
    export_dir: str | None = None
    seconds: float = 0.0
    models_installed: list = field(default_factory=list)
    model_advice: str | None = None

    @property
    def ok(self) -> bool:
        """Every register clean; provider sites are reported (``reported_sites``), not fatal."""
        return all(s.ok for s in self.sources if s.kind != "provider_site")

    def _not_clean(self, sites: bool) -> list[str]:
        return [
            f"{s.spider}: {s.status}{' — ' + s.note if s.note else ''}"
            for s in self.sources
            if not s.ok and (s.kind == "provider_site") == sites
        ]

    def problems(self) -> list[str]:
        """The registers that were not clean: they fail the job."""
        return self._not_clean(sites=False)

    def reported_sites(self) -> list[str]:
        """The provider sites that were not clean: reported, their listings kept."""
        return self._not_clean(sites=True)

    def table(self) -> str:
        headers = ["source", "items", "new", "changed", "removed", "errors", "duration", "status"]
        rows = [
            [
                s.spider,
                str(s.items),
                str(s.new),
                str(s.changed),
                str(s.removed),
                str(s.errors),
                f"{s.seconds:.0f}s",
                s.status,
            ]
            for s in self.sources
        ]
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

        def line(cells):
            return "  ".join(
                c.rjust(w) if 0 < i < 7 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))
            )

        return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def run_nightly(
    db_path: str,
    only: list[str] | None = None,
    replay_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    export_dir: str | None = "exports",
    log_dir: str | None = None,
    echo: Callable[[str], None] = print,
    translate: bool = True,
    incremental: bool = False,
    snapshot_to: str | None = None,
    models: bool = True,
    model_progress: Callable[[str], Callable[[int, int], None]] | None = None,
) -> NightlyReport:
    lock = acquire_job_lock(db_path)
    started = time.monotonic()
    report = NightlyReport()
    try:
        db = open_job_db(db_path, echo)
        if models and translate:
            # before the crawl, so that the spiders translate as they go
            from translate.argos import ensure_models

            report.models_installed, report.model_advice = ensure_models(echo=echo, progress_for=model_progress)
            if report.model_advice:
                echo(report.model_advice)
        logs = log_folder(db_path, log_dir, "nightly")
        facts = {name: spider_facts(name) for name in spider_names()}
        waiting = [name for name, fact in facts.items() if fact["kind"] == "provider_site" and not fact["enabled"]]
        if waiting and not only:
            echo(
                f"Not crawled: {len(waiting)} provider site(s) not yet reviewed (enabled = False): {', '.join(waiting)}"
            )
        report.sources = crawl_spiders(
            db,
            db_path,
            only or enabled_spider_names(),
            logs,
            echo,
            replay_url=replay_url,
            timeout=timeout,
            incremental=incremental,
        )
        if translate:
            report.translated, report.pending = _backfill(db, echo)
        # fresh planner statistics: which index answers a filtered facet depends on them
        db.execute("analyze")
        from aggregator.labels import write_value_labels
        from aggregator.supply_counts import write_supply_counts

        with db.conn:
            write_value_labels(db.conn)  # again: the labels of the fields and occupations the crawl brought
            write_supply_counts(db.conn)  # what /supply shows (aggregator/web/supply.py), counted once per job
        if export_dir:
            from aggregator.export import export

            echo(f"Exporting every public table to {export_dir}/ (CSV, JSON Lines, Parquet)")
            report.exported = export(db_path, export_dir)
            report.export_dir = str(export_dir)
        db.close()
        if snapshot_to and report.ok:
            echo(f"Publishing a snapshot for `aggregator serve --immutable`: {snapshot(db_path, snapshot_to)}")
        elif snapshot_to:
            echo(f"Snapshot not published (a source's run was not clean); {snapshot_to} keeps the previous one.")
    finally:
        lock.release()
    report.seconds = time.monotonic() - started
    return report


def _pending(db) -> int:
    """Current listings with English still pending."""
    return db.execute(
        "select count(*) from courses where removed_at is null and (title_en_method = 'pending' or "
        "description_en_method = 'pending')"
    ).fetchone()[0]


def _backfill(db, echo: Callable[[str], None]) -> tuple[int | None, int]:
    pending = _pending(db)
    from translate.argos import installed_models

    if not installed_models():
        if pending:
            echo(
                f"Translation: no model installed; {pending} listings keep pending English (`aggregator models "
                f"install`)."
            )
        return None, pending
    from translate.backfill import backfill
    from translate.english import english_service

    service = english_service(db)
    counts = backfill(db, service)
    echo(f"Translation backfill: {counts['translated']} fields translated ({service.translator.calls} model calls).")
    return counts["translated"], _pending(db)
