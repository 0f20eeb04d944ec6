"""The ``aggregator`` command: a thin click layer over the aggregator package."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import click

from aggregator import __version__
from store.files import open_db, resolve_db_path
from store.schema import SchemaProblem


class AggregatorGroup(click.Group):
    """Turns the mistakes a user can make (a damaged or foreign database, a folder that cannot
    be written, a full disk) into one clear line and exit code 1 instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SchemaProblem as exc:
            raise click.ClickException(f"{_db_of(ctx)}: {exc}") from None
        except sqlite3.Error as exc:
            raise click.ClickException(_database_problem(_db_of(ctx), exc)) from None
        except OSError as exc:
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            raise click.ClickException(
                f"{exc.strerror or exc}{where}: check that the folder exists, is writable and has free space"
            ) from None


def _db_of(ctx: click.Context) -> str:
    return (ctx.obj or {}).get("db") or resolve_db_path(None)


def _database_problem(path: str, exc: sqlite3.Error) -> str:
    message = str(exc)
    if "not a database" in message or "malformed" in message:
        return (
            f"{path} is not a usable SQLite database ({message}): "
            "restore it from a backup or a snapshot, or start a new one with another --db"
        )
    if "readonly" in message or "read-only" in message:
        return f"{path} cannot be written ({message}): check the file's and its folder's permissions, or the mount"
    if "disk is full" in message or "disk I/O" in message:
        return f"{path}: {message}; free some space and run again (nothing was marked removed)"
    if "unable to open" in message and Path(path).exists() and _read_only_mount(path):
        return (
            f"{path} is on a read-only mount ({message}): SQLite needs to write beside the database even to read it; "
            "copy it to a writable folder, or serve it with `aggregator serve --immutable`"
        )
    if "unable to open" in message:
        return f"cannot open {path} ({message}): is the path a file in an existing folder?"
    if "no such column" in message or "no such table" in message:
        return f"{path} does not have the tables and columns this version expects ({message}): was it changed by hand?"
    return f"{path}: database error: {message}"


def _not_a_folder(path: str) -> None:
    if Path(path).is_dir():
        raise click.ClickException(
            f"{path} is a folder, not a database file: set --db (or AGGREGATOR_DB) to a file path"
        )


def _read_only_mount(path: str) -> bool:
    try:
        return bool(os.statvfs(Path(path).resolve().parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def download_progress(label: str):
    """A progress bar on standard error for one model download: call it with (bytes, total)."""
    bar = None

    def update(received: int, total: int) -> None:
        nonlocal bar
        if not total:
            return  # no Content-Length: nothing to measure the download against
        if bar is None:
            bar = click.progressbar(length=total, label=f"Downloading the {label}->en model", file=sys.stderr)
            bar.__enter__()
        bar.update(received - bar.pos)
        if received >= total:
            bar.__exit__(None, None, None)

    return update


def require_db(path: str) -> str:
    """A database that must already exist (commands that only read or publish never create one)."""
    _not_a_folder(path)
    if not Path(path).exists():
        raise click.ClickException(
            f"no database at {path}: run `aggregator nightly` (or `aggregator crawl`) first, or pass --db"
        )
    return path


def writable_db(path: str) -> str:
    """A database a command may create: its folder must exist (no command makes folders for it)."""
    _not_a_folder(path)
    if not Path(path).resolve().parent.is_dir():
        raise click.ClickException(f"the folder of {path} does not exist: create it first or pick another --db")
    return path


@click.group(cls=AggregatorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aggregator")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite database to write/read (default: $AGGREGATOR_DB or aggregator.db).",
)
@click.pass_context
def main(ctx: click.Context, db_path: str | None) -> None:
    """Courses and programmes in Sweden and Finland, in one database, in English."""
    ctx.obj = {"db": resolve_db_path(db_path)}


def _db_option(func):
    """`--db` accepted after the subcommand too: `aggregator crawl --db x.db`."""
    return click.option(
        "--db",
        "sub_db",
        type=click.Path(dir_okay=False),
        default=None,
        help="SQLite database (same as the global --db).",
    )(func)


def _db(ctx: click.Context, sub_db: str | None) -> str:
    return resolve_db_path(sub_db or ctx.obj["db"])


@main.command("spiders")
def list_spiders() -> None:
    """List the spiders (sources) this installation can crawl: name, kind, and whether the
    nightly job crawls it (provider sites only once someone has reviewed them)."""
    from aggregator.crawl import spider_facts, spider_names

    for name in spider_names():
        facts = spider_facts(name)
        click.echo(
            f"{name:28} {facts['kind']:14} {'enabled' if facts['enabled'] else 'not enabled (crawled only when named)'}"
        )


@main.command()
@click.argument("spiders", nargs=-1)
@_db_option
@click.option("--base-url", help="Point the spiders at another API root (e.g. a replay server).")
@click.option(
    "--replay",
    type=click.Path(file_okay=False, exists=True),
    help="Serve recorded responses from this folder on 127.0.0.1 and crawl them.",
)
@click.option("-a", "arguments", multiple=True, metavar="NAME=VALUE", help="Spider argument, repeatable.")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting, repeatable.")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds each spider may run."
)
@click.option("--log-dir", default=None, help="Where the spiders' logs go (default: logs/ beside the database).")
@click.pass_context
def crawl(ctx, spiders, sub_db, base_url, replay, arguments, settings, timeout, log_dir) -> None:
    """Crawl SPIDERS (default: every enabled one), each in its own process, into the database.

    Prints each spider's progress and a summary line; Scrapy's full log goes to a file per
    spider (named on the progress line)."""
    from aggregator.crawl import enabled_spider_names, spider_names
    from aggregator.replay import ReplayServer

    db_path = writable_db(_db(ctx, sub_db))
    available = spider_names()
    unknown = [s for s in spiders if s not in available]
    if unknown:
        raise click.UsageError(f"unknown spider(s) {', '.join(unknown)}; available: {', '.join(available)}")
    from aggregator.crawl import argument_problem, stop_on_termination

    for name in spiders:
        problem = argument_problem(name, arguments, base_url)
        if problem:
            raise click.UsageError(problem)
    _check_crawl_input(spiders or enabled_spider_names(), arguments, settings, None if replay else base_url)
    from aggregator.job import JobLocked, acquire_job_lock, crawl_spiders, log_folder, open_job_db

    try:
        lock = acquire_job_lock(db_path)
    except JobLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(3)
    stop_on_termination()
    server = None
    try:
        db = open_job_db(db_path, click.echo)  # create and migrate once, before the spiders' processes write
        server = ReplayServer(replay).start() if replay else None
        if server:
            click.echo(f"Replaying {replay} on {server.base_url}")
        results = crawl_spiders(
            db,
            db_path,
            list(spiders) or enabled_spider_names(),
            log_folder(db_path, log_dir, "crawl"),
            click.echo,
            replay_url=server.base_url if server else None,
            base_url=base_url,
            arguments=arguments,
            settings=settings,
            timeout=timeout,
        )
        failed = [f"{s.spider} ({s.status})" for s in results if not s.ok]
        db.close()
    finally:
        if server:
            server.stop()
        lock.release()
    if failed:
        raise click.ClickException(f"crawl not clean for {', '.join(failed)}; see the lines above and crawl_runs.note")


def _check_crawl_input(spiders, arguments, settings, base_url) -> None:
    """Unknown spider arguments, yes/no arguments that are neither, Scrapy settings of the wrong
    type and a --base-url nothing answers at: one line each (aggregator.mistakes), before a crawl."""
    from aggregator import mistakes

    problem = (
        mistakes.spider_argument_problem({name: mistakes.spider_class(name) for name in spiders}, arguments)
        if arguments
        else None
    )
    problem = problem or (mistakes.setting_problem(settings) if settings else None)
    if problem:
        raise click.UsageError(problem)
    problem = mistakes.base_url_problem(base_url)
    if problem:
        raise click.ClickException(problem)


@main.command()
@_db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--workers",
    type=int,
    default=min(os.cpu_count() or 1, 4),
    show_default="one per core, at most 4",
    help="Worker processes (each renders pages on its own core).",
)
@click.option(
    "--immutable",
    is_flag=True,
    help="Serve the file as immutable (read without locks, table counts computed once): only for a published copy "
    "nobody writes while it is served, see `aggregator snapshot`.",
)
@click.pass_context
def serve(ctx, sub_db, host, port, workers, immutable) -> None:
    """Publish the database with Datasette (browse, facets, search, CSV/JSON)."""
    db_path = require_db(_db(ctx, sub_db))
    if not immutable:
        open_db(db_path).close()  # brings an older database's schema up to date
    from aggregator.publish import serve as serve_datasette

    click.echo(f"Datasette on http://{host}:{port}/ with {workers} worker process(es) (Ctrl+C to stop)")
    serve_datasette(db_path, host, port, workers=max(1, workers), immutable=immutable)


@main.command()
@_db_option
@click.argument("target", type=click.Path(dir_okay=False))
@click.pass_context
def snapshot(ctx, sub_db, target) -> None:
    """Copy the database to TARGET for publishing with `aggregator serve --immutable`.

    The copy replaces TARGET atomically; restart the server to serve it."""
    from aggregator.mistakes import snapshot_target_problem
    from aggregator.snapshot import snapshot as take_snapshot

    db_path = require_db(_db(ctx, sub_db))
    problem = snapshot_target_problem(db_path, target)
    if problem:
        raise click.UsageError(problem)
    open_db(db_path).close()
    click.echo(f"Published {take_snapshot(db_path, target)}")


@main.command()
@_db_option
@click.pass_context
def coverage(ctx, sub_db) -> None:
    """Per source: listings, and the share (%) with provider, place, credits, start, English title."""
    from aggregator.report import coverage as measure
    from aggregator.report import format_table

    db = open_db(require_db(_db(ctx, sub_db)))
    click.echo(format_table(measure(db)))


@main.command()
@_db_option
@click.option(
    "--only", "only", multiple=True, metavar="SPIDER", help="Crawl only this spider (repeatable); default every spider."
)
@click.option(
    "--replay",
    type=click.Path(file_okay=False, exists=True),
    help="Serve recorded responses from this folder on 127.0.0.1 and point every spider at it.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=4 * 3600,
    show_default=True,
    help="Seconds each spider may crawl before it is stopped.",
)
@click.option("--export-dir", default=None, help="Where the full exports go (default: exports/ beside the database).")
@click.option("--no-export", is_flag=True, help="Skip the exports.")
@click.option("--log-dir", default=None, help="Where the spiders' logs go (default: logs/ beside the database).")
@click.option(
    "--incremental",
    is_flag=True,
    help="Sources with a change feed (Susa-navet updatedSince, Opintopolku modified times) fetch only what changed "
    "since their "
    "last clean run; removals then come only from the sources' deletion records. Run a full job now and then (e.g. "
    "weekly).",
)
@click.option(
    "--snapshot",
    "snapshot_to",
    default=None,
    metavar="PATH",
    help="At the end, publish a copy of the database here for `aggregator serve --immutable` (replaced atomically).",
)
@click.option(
    "--no-models",
    is_flag=True,
    envvar="AGGREGATOR_NO_MODELS",
    help="Do not install missing translation models from the Argos package index before crawling "
    "(also $AGGREGATOR_NO_MODELS=1); English stays pending where no model is installed.",
)
@click.pass_context
def nightly(
    ctx, sub_db, only, replay, timeout, export_dir, no_export, log_dir, incremental, snapshot_to, no_models
) -> None:
    """The nightly job: crawl every source, fill in English, export, report per source.

    Exit code 0 only when every register finished cleanly; otherwise 1, naming each source and why.
    A provider web site that fails is reported and keeps its listings, and the job goes on.
    Exit code 3 when another nightly job holds the database's lock.
    """
    from aggregator.crawl import spider_names, stop_on_termination
    from aggregator.export import export_target_problem
    from aggregator.job import JobLocked
    from aggregator.mistakes import snapshot_target_problem
    from aggregator.nightly import run_nightly
    from aggregator.replay import ReplayServer
    from store.files import beside_db

    db_path = writable_db(_db(ctx, sub_db))
    unknown = [s for s in only if s not in spider_names()]
    if unknown:
        raise click.UsageError(f"unknown spider(s) {', '.join(unknown)}; available: {', '.join(spider_names())}")
    export_dir = None if no_export else (export_dir or str(beside_db(db_path, "exports")))
    # refused before the crawl, not after hours of it
    problem = (export_target_problem(export_dir) if export_dir else None) or snapshot_target_problem(
        db_path, snapshot_to
    )
    if problem:
        raise click.UsageError(problem.replace("for --out", "for --export-dir"))
    stop_on_termination()
    server = ReplayServer(replay).start() if replay else None
    try:
        if server:
            click.echo(f"Replaying {replay} on {server.base_url}")
        report = run_nightly(
            db_path,
            list(only) or None,
            server.base_url if server else None,
            timeout,
            export_dir,
            log_dir,
            echo=lambda m: click.echo(m, err=True),
            incremental=incremental,
            snapshot_to=snapshot_to,
            models=not no_models,
            model_progress=download_progress,
        )
    except JobLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(3)
    finally:
        if server:
            server.stop()
    click.echo(report.table())
    if report.exported is not None:
        click.echo(f"Exported to {report.export_dir}/: " + ", ".join(f"{t} {n}" for t, n in report.exported.items()))
    if report.pending:
        click.echo(f"English pending for {report.pending} listings (no model for their language).")
    click.echo(f"Took {report.seconds:.0f}s.")
    reported = report.reported_sites()
    if reported:
        click.echo("Provider sites not clean (their listings are kept as they were): " + "; ".join(reported), err=True)
    if not report.ok:
        click.echo("FAILED: " + "; ".join(report.problems()), err=True)
        sys.exit(1)


@main.command("export")
@_db_option
@click.option(
    "--out",
    "out",
    default=None,
    help="Folder for the export files, replaced as a whole (default: exports/ beside the database).",
)
@click.pass_context
def export_command(ctx, sub_db, out) -> None:
    """Export every public table as CSV, JSON Lines and Parquet, with datapackage.json."""
    from aggregator.export import export, export_target_problem
    from store.files import beside_db

    db_path = require_db(_db(ctx, sub_db))
    out = out or str(beside_db(db_path, "exports"))
    problem = export_target_problem(out)
    if problem:
        raise click.UsageError(problem)
    open_db(db_path).close()  # a damaged or foreign database is named before anything is written
    counts = export(db_path, out)
    click.echo(f"Exported to {out}/: " + ", ".join(f"{t} {n} rows" for t, n in counts.items()))


@main.command("translate")
@_db_option
@click.option("--batch-size", default=64, show_default=True, help="Fields translated per transaction.")
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda"]),
    default=None,
    help="Where the model runs (default cpu, or $AGGREGATOR_TRANSLATE_DEVICE).",
)
@click.pass_context
def translate_command(ctx, sub_db, batch_size, device) -> None:
    """Fill in English for stored listings: every "pending" field, and machine translations made
    by another model version than the installed one. No crawling."""
    from translate.argos import installed_models
    from translate.backfill import backfill, work
    from translate.english import english_service

    if not installed_models():
        raise click.ClickException("no translation model is installed: run `aggregator models install` first")
    db = open_db(require_db(_db(ctx, sub_db)))
    service = english_service(db, device)
    todo = work(db, service)
    total = len(todo)
    if not total:
        click.echo("Nothing to translate: every field has its English from the installed models.")
        return
    with click.progressbar(length=total, label=f"Translating {total} fields", file=sys.stderr) as bar:
        counts = backfill(db, service, batch_size, progress=bar.update, todo=todo)
    cache = service.cache
    click.echo(
        f"Translated {counts['translated']} fields; {service.translator.calls} texts sent to the model, {cache.hits} "
        f"from the cache."
    )


@main.group()
def models() -> None:
    """List and install translation models (Argos Translate packages)."""


@models.command("list")
def models_list() -> None:
    """List the installed translation models."""
    from translate.argos import installed_models

    found = installed_models()
    if not found:
        click.echo("No translation model installed. `aggregator models install` (needs internet) or --from-file.")
    for model in found:
        click.echo(f"{model.source}->{model.target}\t{model.model_id}\t{model.path}")


@models.command("install")
@click.argument("languages", nargs=-1)
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(dir_okay=False),
    help="Install a downloaded .argosmodel file instead of fetching from the index.",
)
def models_install(languages, from_file) -> None:
    """Install LANGUAGES->English models (default: sv fi) from the Argos package index, or one
    package from a local .argosmodel file."""
    from translate.argos import ModelError, install_from_file, install_from_index

    try:
        if from_file:
            model = install_from_file(from_file)
            click.echo(f"Installed {model.model_id} ({model.source}->{model.target})")
            return
        for lang in languages or ("sv", "fi"):
            model = install_from_index(lang, progress=download_progress(lang))
            click.echo(f"Installed {model.model_id} ({model.source}->{model.target})")
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option(
    "--declared",
    metavar="LANG",
    help="The language the source declared (ISO 639-1): print the effective language by the pipeline's rule.",
)
def detect(declared) -> None:
    """Detect the language of each line of standard input.

    Prints one line per input line, tab-separated: the language (ISO 639-1, "und" when too short
    or language-neutral) and the confidence. With --declared, the effective language (declared
    unless detection confidently disagrees), the confidence and the detected language.
    """
    from translate.language import detector

    d = detector()
    for line in sys.stdin:
        text = line.rstrip("\n")
        if declared:
            verdict = d.judge(text, declared)
            click.echo(f"{verdict.effective}\t{verdict.detected.confidence:.4f}\t{verdict.detected.language}")
        else:
            detection = d.detect(text)
            click.echo(f"{detection.language}\t{detection.confidence:.4f}")


@main.command("samples")
@click.argument("samples_dir", type=click.Path(file_okay=False, exists=True))
@click.argument("out_dir", type=click.Path(file_okay=False))
def samples_command(samples_dir, out_dir) -> None:
    """Lay out the recorded source responses in SAMPLES_DIR (e.g. ../shared/samples) as a replay
    folder OUT_DIR, for `nightly --replay OUT_DIR` demos and benchmarks."""
    from aggregator.sample_replay import build_all_replays

    laid_out = build_all_replays(samples_dir, out_dir)
    click.echo(
        f"Replay folder {out_dir}: Opintopolku {len(laid_out['opintopolku']['toteutus'])} implementations, "
        f"{len(laid_out['opintopolku']['koulutus'])} programmes; Skolverket "
        + ", ".join(f"{k} {v}" for k, v in laid_out["skolverket"].items())
    )


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, exists=True))
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
def replay(folder, port) -> None:
    """Serve recorded responses from FOLDER on 127.0.0.1 (for demos and offline crawls)."""
    from aggregator.replay import ReplayServer

    server = ReplayServer(folder, port=port)
    click.echo(f"Replaying {folder} on {server.base_url} (Ctrl+C to stop)")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
