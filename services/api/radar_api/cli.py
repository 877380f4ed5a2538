"""`radar`: the command line of Radar's control plane.

Start-up is lazy: `radar --help` imports only click, and each command imports what it uses (the service layer,
SQLAlchemy, Apprise, the classifier) when it runs, so that a simple command answers in well under a second.
"""

import importlib.util
import json
import sys
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.exc import SQLAlchemyError

    from radar_shared.channel_urls import ChannelRules


def _lazy_module(name: str) -> ModuleType:
    """`name`, imported on first use of one of its attributes (the recipe of importlib's documentation)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


service = _lazy_module("radar_api.service")


def _shared() -> Any:
    from radar_shared.settings import SharedSettings

    return SharedSettings()


def _db() -> str:
    return _shared().database_url


def _channel_rules() -> "ChannelRules":
    from radar_shared.channel_urls import ChannelRules
    from radar_shared.settings import ChannelSettings

    return ChannelRules.from_settings(ChannelSettings())


def _fail(error: Exception | str) -> None:
    click.echo(f"radar: {error}", err=True)
    sys.exit(2)


def _duration(seconds: float) -> str:
    """A poll interval as people say it: 45 s, 15 min, 2 h 30 min."""
    if round(seconds) < 60:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def database_problem(error: "SQLAlchemyError") -> str:
    """What is wrong with DATABASE_URL, in one line, without the URL itself (it may hold a password)."""
    from sqlalchemy.exc import ArgumentError

    if isinstance(error, ArgumentError):
        return "not a database URL Radar can use (sqlite:///PATH or postgresql://USER:PASSWORD@HOST/NAME)"
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    hint = "; run `radar db upgrade`" if "no such table" in reason or "does not exist" in reason else ""
    return f"cannot use the database: {reason}{hint}"


class RadarCommands(click.Group):
    """The command line never shows a traceback for a database or broker it cannot use: one line naming the
    setting, and exit status 2, like any other bad input."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            # SQLAlchemy and aiokafka are imported only if the command used them, and only then can they fail
            if "sqlalchemy" in sys.modules:
                from sqlalchemy.exc import SQLAlchemyError

                if isinstance(error, SQLAlchemyError):
                    _fail(f"DATABASE_URL: {database_problem(error)}")
            if "aiokafka" in sys.modules:
                from aiokafka.errors import KafkaError

                from radar_shared.settings import SharedSettings

                if isinstance(error, KafkaError):
                    _fail(f"KAFKA_BOOTSTRAP_SERVERS: cannot use Kafka at {SharedSettings().kafka_bootstrap_servers}: {error}")
            raise


@click.group(cls=RadarCommands)
def main() -> None:
    """Radar: news alerts for DPRK sanctions and Russia–DPRK smuggling."""


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (safe to run twice)."""
    from radar_shared.db import upgrade

    upgrade(_db())
    click.echo("database is up to date")


@main.command()
def seed() -> None:
    """Add the default feeds (the built-in topics need no seeding: they are rule files)."""
    added = service.seed_feeds(_db())
    click.echo(f"{added} default feed(s) added; topics: {', '.join(service.topic_names())}")


# ---- feeds --------------------------------------------------------------------------------------------

@main.group()
def feeds() -> None:
    """Feeds the feed-watcher polls."""


@feeds.command("add")
@click.argument("url")
@click.option("--title", default="")
@click.option("--interval", type=click.IntRange(min=30), default=None, help="Seconds between polls, at least 30 (default: FEED_WATCHER_POLL_INTERVAL_SECONDS).")
@click.option("--full-text-below", "full_text_below", type=int, default=None, metavar="CHARS",
              help="For summary-only feeds: fetch the article page and use its main text when an entry has fewer characters than this.")
def feeds_add(url: str, title: str, interval: int | None, full_text_below: int | None) -> None:
    from radar_feed_watcher.config import FeedWatcherSettings

    try:
        feed = service.add_feed(_db(), url, title, interval, FeedWatcherSettings().allowed_networks, full_text_below)
    except service.ConfigError as error:
        _fail(error)
    click.echo(f"feed {feed.id} added: {feed.url}")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True)
def feeds_list(as_json: bool) -> None:
    rows = service.list_feeds(_db())
    if as_json:
        for f, st in rows:
            click.echo(json.dumps({"id": f.id, "url": f.url, "title": f.title, "enabled": f.enabled, "last_poll_at": _when(st.last_poll_at if st else None),
                                   "error_streak": st.error_streak if st else 0, "full_text_below": f.full_text_below_chars,
                                   "pages_fetched": st.pages_fetched if st else 0, "pages_failed": st.pages_failed if st else 0,
                                   "last_page_error": st.last_page_error if st else None}))
        return
    for f, st in rows:
        state = "disabled" if not f.enabled else (f"errors x{st.error_streak}" if st and st.error_streak else "ok")
        pages = f"  full text < {f.full_text_below_chars}: {st.pages_fetched if st else 0} pages, {st.pages_failed if st else 0} failed" if f.full_text_below_chars else ""
        click.echo(f"{f.id:>4}  {state:<12} {_when(st.last_poll_at if st else None):<19}  {f.url}  {f.title}{pages}")


@feeds.command("preview")
@click.argument("source")
def feeds_preview(source: str) -> None:
    """Show what the watcher would publish from a feed URL or a local file, as JSON lines; exit 1 on an error."""
    import asyncio
    from pathlib import Path

    from radar_api.preview import preview_file, preview_url
    from radar_feed_watcher.config import FeedWatcherSettings
    from radar_feed_watcher.fetcher import FeedFetchError
    from radar_feed_watcher.parser import FeedParseError

    settings = FeedWatcherSettings()
    try:
        if Path(source).exists():
            entries = asyncio.run(preview_file(Path(source), settings))
        else:
            entries = asyncio.run(preview_url(source, settings))
    except (FeedFetchError, FeedParseError, OSError) as error:
        click.echo(f"radar: {error}", err=True)
        sys.exit(1)
    for entry in entries:
        click.echo(json.dumps(entry, ensure_ascii=False))


@feeds.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def feeds_import(path: str) -> None:
    """Add the feeds of an OPML file (each checked like `feeds add`)."""
    from pathlib import Path

    from radar_api.opml import OPMLError, parse_opml
    from radar_feed_watcher.config import FeedWatcherSettings

    try:
        items = parse_opml(Path(path).read_bytes(), path)
    except OPMLError as error:
        _fail(error)
    report = service.import_feeds(_db(), [(f.url, f.title) for f in items], FeedWatcherSettings().allowed_networks)
    click.echo(f"{len(report.added)} added, {len(report.existing)} already present, {len(report.refused)} refused")
    for line in report.refused:
        click.echo(f"  refused {line}", err=True)
    if report.refused:
        sys.exit(1)


@feeds.command("export")
def feeds_export() -> None:
    """Write the enabled feeds as OPML to standard output."""
    from radar_api.opml import OPMLFeed, render_opml

    sys.stdout.buffer.write(render_opml([OPMLFeed(url, title) for url, title in service.export_feeds(_db())]))


@feeds.command("remove")
@click.argument("feed_id", type=int)
def feeds_remove(feed_id: int) -> None:
    try:
        service.remove_feed(_db(), feed_id)
    except service.NotFoundError as error:
        _fail(error)
    click.echo(f"feed {feed_id} removed")


# ---- watches ------------------------------------------------------------------------------------------

@main.group()
def watches() -> None:
    """Your own keyword queries, e.g. '"Sky Morning" OR "Rich Glory"'."""


@watches.command("add")
@click.argument("query")
@click.option("--name", default="")
def watches_add(query: str, name: str) -> None:
    try:
        watch = service.add_watch(_db(), query, name)
    except service.ConfigError as error:
        _fail(error)
    click.echo(f"watch {watch.id} added: {watch.query}")


@watches.command("test")
@click.argument("query")
@click.option("--file", "source", type=click.File("r", encoding="utf-8"), default=None, help="JSON Lines of articles instead of Kafka.")
@click.option("--recent", type=int, default=2000, show_default=True, help="How many recent articles to read from Kafka.")
def watches_test(query: str, source: Any, recent: int) -> None:
    """Show which recent articles QUERY would have matched, and why, without saving it."""
    import asyncio

    from radar_api.watchtest import articles_from_lines, recent_articles, match_query
    from radar_classifier.query import QuerySyntaxError

    try:
        from radar_classifier.query import parse_query

        parse_query(query)
    except QuerySyntaxError as error:
        _fail(ValueError(f"query: {error}"))
    try:
        articles = articles_from_lines(source) if source else asyncio.run(recent_articles(_shared().kafka_bootstrap_servers, recent))
    except ValueError as error:  # a line of --file that is not an article
        _fail(error)
    matches = match_query(query, articles)
    for match in matches:
        click.echo(json.dumps(match, ensure_ascii=False))
    click.echo(f"{len(matches)} of {len(articles)} recent articles match", err=True)


@watches.command("list")
def watches_list() -> None:
    for w in service.list_watches(_db()):
        click.echo(f"{w.id:>4}  {w.query}  {w.name}")


@watches.command("remove")
@click.argument("watch_id", type=int)
def watches_remove(watch_id: int) -> None:
    try:
        service.remove_watch(_db(), watch_id)
    except service.NotFoundError as error:
        _fail(error)
    click.echo(f"watch {watch_id} removed")


# ---- watchlists ---------------------------------------------------------------------------------------

@main.group()
def watchlists() -> None:
    """Sanctions lists whose names and vessel IMO numbers are tagged as `watchlist:<list>`."""


@watchlists.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--format", "fmt", type=click.Choice(["ofac", "opensanctions"]), default=None, help="Default: from the file (a header means OpenSanctions).")
@click.option("--list", "list_name", default=None, help="The list's name (default: from the file name).")
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False), default=None, help="OFAC ALT.CSV with the aliases of SDN.CSV.")
@click.option("--sample", is_flag=True, help="Import the sample list shipped with Radar.")
def watchlists_import(path: str | None, fmt: str | None, list_name: str | None, aliases: str | None, sample: bool) -> None:
    """Import (or replace) a list from OFAC's SDN CSV or OpenSanctions' targets.simple.csv."""
    from pathlib import Path

    from radar_classifier.watchlist import WatchlistError, parse_ofac_sdn, parse_opensanctions

    if sample:
        path, fmt, list_name = str(service.SAMPLE_WATCHLIST), "opensanctions", list_name or "sample"
    if not path:
        _fail(ValueError("path: give a CSV file, or --sample"))
    data = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    fmt = fmt or ("opensanctions" if data.lstrip().lower().startswith("id,") else "ofac")
    name = list_name or Path(path).stem.lower().replace(" ", "-")
    try:
        if fmt == "ofac":
            alt = Path(aliases).read_text(encoding="utf-8-sig", errors="replace") if aliases else None
            entities = parse_ofac_sdn(data, name, alt, Path(path).name)
        else:
            entities = parse_opensanctions(data, name, Path(path).name)
        count = service.import_watchlist(_db(), entities, name)
    except (WatchlistError, service.ConfigError) as error:
        _fail(error)
    imos = sum(1 for e in entities if e.imo)
    click.echo(f"watchlist {name}: {count} entities ({imos} with an IMO number) imported; tags appear as watchlist:{name}")


@watchlists.command("list")
def watchlists_list() -> None:
    for name, count in sorted(service.list_watchlists(_db()).items()):
        click.echo(f"{name:<30} {count} entities")


# ---- subscriptions ------------------------------------------------------------------------------------

@main.group()
def subscriptions() -> None:
    """Channels (Apprise URLs) that receive alerts for topics and watches."""


@subscriptions.command("add")
@click.option("--channel", required=True, help="An Apprise URL: mailto://…, slack://…, https://hooks.slack.com/services/…")
@click.option("--topic", "topics", multiple=True, help="A built-in topic (repeatable).")
@click.option("--watch", "watch_ids", multiple=True, type=int, help="A watch id (repeatable).")
@click.option("--min-score", type=float, default=0.0)
@click.option("--digest", type=click.Choice(["hourly", "daily"]), help="Group alerts into one message per hour or per day instead of sending each at once.")
@click.option("--digest-time", default="08:00", show_default=True, help="Local HH:MM of a daily digest.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA zone of the digest time and quiet hours, e.g. Asia/Seoul.")
@click.option("--quiet", metavar="HH:MM-HH:MM", help="Quiet hours: alerts are held until they end, e.g. 22:00-07:00.")
@click.option("--max-per-hour", type=int, help="Rate limit; alerts beyond it are delivered later, not dropped.")
def subscriptions_add(
    channel: str, topics: tuple[str, ...], watch_ids: tuple[int, ...], min_score: float, digest: str | None, digest_time: str, timezone: str,
    quiet: str | None, max_per_hour: int | None,
) -> None:
    from radar_notifier.policy import Policy

    quiet_start, _, quiet_end = (quiet or "").partition("-")
    policy = Policy("digest" if digest else "immediate", digest or "daily", digest_time, timezone, quiet_start or None, quiet_end or None, max_per_hour)
    if quiet and not quiet_end:
        _fail("quiet: give quiet hours as HH:MM-HH:MM, e.g. 22:00-07:00")
    try:
        sub = service.add_subscription(_db(), channel, list(topics), list(watch_ids), min_score, _channel_rules(), policy)
    except service.ConfigError as error:
        _fail(error)
    click.echo(f"subscription {sub.id} added")


@subscriptions.command("test")
@click.argument("subscription_id", type=int)
def subscriptions_test(subscription_id: int) -> None:
    """Send a sample alert to the subscription's channel and show Apprise's result per service."""
    import asyncio

    try:
        result = asyncio.run(service.send_test_alert(_db(), subscription_id, _channel_rules()))
    except service.NotFoundError as error:
        _fail(error)
    click.echo(json.dumps(result.as_dict()))
    if not result.ok:
        sys.exit(1)


@subscriptions.command("list")
def subscriptions_list() -> None:
    for s in service.list_subscriptions(_db()):
        what = ", ".join([*s.topics, *(f"watch:{w}" for w in s.watch_ids)])
        click.echo(f"{s.id:>4}  {s.channel}  [{what}]  min_score={s.min_score}  {s.schedule}")


@subscriptions.command("remove")
@click.argument("subscription_id", type=int)
def subscriptions_remove(subscription_id: int) -> None:
    try:
        service.remove_subscription(_db(), subscription_id)
    except service.NotFoundError as error:
        _fail(error)
    click.echo(f"subscription {subscription_id} removed")


# ---- deliveries ---------------------------------------------------------------------------------------

@main.group()
def deliveries() -> None:
    """The delivery log: what was sent, what is being retried, what failed."""


@deliveries.command("list")
@click.option("--failed", "failed_only", is_flag=True, help="Only deliveries that failed (budget spent or permanent).")
@click.option("--limit", type=int, default=50, show_default=True)
def deliveries_list(failed_only: bool, limit: int) -> None:
    try:
        rows = service.list_deliveries(_db(), failed_only=failed_only, limit=limit)
    except service.ConfigError as error:
        _fail(error)
    for d in rows:
        retry = f" retry {_when(d.next_attempt_at)}" if d.status == "pending" else ""
        click.echo(f"{d.id:>5}  {d.status:<8} sub {d.subscription_id:<4} attempts {d.attempts:<2}{retry}  {d.title[:70]}")
        if d.last_error and d.status != "sent":
            click.echo(f"       last error: {d.last_error[:200]}")


@deliveries.command("resend")
@click.argument("delivery_ids", type=int, nargs=-1)
@click.option("--all-failed", is_flag=True)
def deliveries_resend(delivery_ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed deliveries for sending again (the notifier picks them up within a second)."""
    from radar_notifier.store import resend

    if not delivery_ids and not all_failed:
        _fail(ValueError("give delivery ids, or --all-failed"))
    queued = resend(_db(), None if all_failed else list(delivery_ids))
    missing = [] if all_failed else sorted(set(delivery_ids) - set(queued))
    if queued or not missing:
        click.echo(f"{len(queued)} delivery(ies) queued for sending")
    if missing:
        _fail(f"delivery_ids: no failed delivery {', '.join(map(str, missing))}")


# ---- dead letters -------------------------------------------------------------------------------------

@main.group()
def dlq() -> None:
    """Messages a service could not process, with the error."""


@dlq.command("list")
@click.option("--topic", default=None, help="articles.discovered.v1 or articles.classified.v1 (default: both).")
def dlq_list(topic: str | None) -> None:
    import asyncio

    from radar_api.dlq import UnknownTopicError, list_dead_letters

    try:
        letters = asyncio.run(list_dead_letters(_shared().kafka_bootstrap_servers, topic))
    except UnknownTopicError as error:
        _fail(error)
    for d in letters:
        click.echo(f"{d.topic} [{d.partition}:{d.offset}] from {d.headers.get('x-radar-service', '?')} after {d.headers.get('x-radar-attempts', '?')} attempt(s)")
        click.echo(f"    error: {d.headers.get('x-radar-error', '?')[:300]}")
        click.echo(f"    value: {d.value[:160].decode('utf-8', 'replace')}")
    click.echo(f"{len(letters)} dead letter(s)", err=True)


@dlq.command("replay")
@click.option("--topic", default=None)
@click.option("--dry-run", is_flag=True, help="Show what would be replayed.")
def dlq_replay(topic: str | None, dry_run: bool) -> None:
    """Re-publish dead letters to their source topic, each once (progress is kept in group radar-dlq-replay)."""
    import asyncio

    from radar_api.dlq import UnknownTopicError, replay

    try:
        letters = asyncio.run(replay(_shared().kafka_bootstrap_servers, topic, dry_run))
    except UnknownTopicError as error:
        _fail(error)
    for d in letters:
        click.echo(f"{'would replay' if dry_run else 'replayed'} {d.topic} [{d.partition}:{d.offset}] → {d.source_topic}")
    click.echo(f"{len(letters)} dead letter(s) {'to replay' if dry_run else 'replayed'}", err=True)


# ---- status -------------------------------------------------------------------------------------------

@main.command()
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool) -> None:
    """Each service: up or down, last activity. Each feed: last poll, last error."""
    from radar_feed_watcher.config import FeedWatcherSettings

    settings, fw = _shared(), FeedWatcherSettings()
    st = service.status(settings.database_url, settings.heartbeat_seconds, stale_factor=fw.stale_factor, stale_min_seconds=fw.stale_min_seconds)
    if as_json:
        def enc(o: Any) -> Any:
            return o.isoformat() if isinstance(o, datetime) else str(o)

        from dataclasses import asdict

        data = asdict(st)
        for feed, row in zip(st.feeds, data["feeds"], strict=True):
            row["health"], row["notes"] = feed.health, feed.notes
        click.echo(json.dumps(data, default=enc))
        return
    click.echo("SERVICES")
    for s in st.services:
        click.echo(f"  {s.service:<13} {'up' if s.up else 'DOWN':<5} seen {_when(s.last_seen_at)}  last activity {_when(s.last_activity_at)} {s.last_activity or ''}")
    click.echo("FEEDS")
    for f in st.feeds:
        every = f"every {_duration(f.interval_seconds)}" if f.interval_seconds else ""
        click.echo(f"  {f.id:>4} {f.health:<13} polled {_when(f.last_poll_at)}  next {_when(f.next_poll_at)}  {every:<14} {f.url}")
        if f.error_streak and f.last_error:
            click.echo(f"       last error: {f.last_error}")
        if f.moved_to:
            click.echo(f"       moved permanently to {f.moved_to} (fetched there; update the feed to make it official)")
        if f.stale:
            click.echo(f"       stale: newest entry {_when(f.latest_entry_at)}, much longer ago than its usual rhythm")
        for note in f.notes:
            click.echo(f"       {note}")
    click.echo("DELIVERIES  " + ("  ".join(f"{k}={v}" for k, v in sorted(st.deliveries.items())) or "none yet"))
    import asyncio

    from radar_api.kafka_status import kafka_status

    kafka = asyncio.run(kafka_status(settings.kafka_bootstrap_servers))
    if kafka.error:
        click.echo(f"KAFKA  unreachable: {kafka.error}")
        return
    lag: dict[str, int] = {}
    for row in kafka.lags:
        lag[row.group] = lag.get(row.group, 0) + row.lag
    click.echo("KAFKA  lag " + "  ".join(f"{g}={n}" for g, n in lag.items()) + "  dead letters " + "  ".join(f"{t}={n}" for t, n in kafka.dead_letters.items()))
    click.echo("       last hour " + "  ".join(f"{t}={n}" for t, n in kafka.last_hour.items()))


# ---- classify -----------------------------------------------------------------------------------------

@main.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
def classify(source: Any) -> None:
    """Tag JSON Lines ({"title", "text", optional "id", "url", "lang"}) with the classifier service's own code."""
    from radar_classifier.classify import Classifier, compile_watches
    from radar_classifier.store import load_watches

    from radar_classifier.store import load_watchlists

    try:
        rows, entities = load_watches(_db()), load_watchlists(_db())
    except Exception:
        rows, entities = [], []  # no database here: built-in topics only
    classifier = Classifier.default(compile_watches(rows)[0], entities)
    bad = 0
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            title, text = item.get("title", ""), item.get("text", "")
            if not isinstance(title, str) or not isinstance(text, str):
                raise ValueError("fields 'title' and 'text' must be strings")
        except (json.JSONDecodeError, ValueError, AttributeError) as error:
            click.echo(f"radar classify: line {number}: {error}", err=True)
            bad += 1
            continue
        tags = classifier.classify(title, text, item.get("url", ""), item.get("lang"))
        click.echo(json.dumps({"id": item.get("id", number), "tags": [t.model_dump(mode="json") for t in tags]}, ensure_ascii=False))
    if bad:
        sys.exit(1)


@main.command("eval")
@click.option(
    "--corpus", "corpora", multiple=True, required=True, metavar="PATH[:tune|:holdout]",
    help="Labelled JSON Lines; repeat for several files. ':holdout' scores only the frozen held-out half (decision 008), ':tune' the rest.",
)
@click.option("--json", "as_json", is_flag=True)
def eval_command(corpora: tuple[str, ...], as_json: bool) -> None:
    """Precision, recall and F1 of the built-in topics, per file, topic and language, with misses and false alarms."""
    from radar_classifier.classify import Classifier
    from radar_classifier.evaluate import CorpusError, Report, evaluate, read_corpus, split_holdout

    parts: dict[str, list[dict]] = {}
    for spec in corpora:
        path, _, part = spec.rpartition(":") if spec.endswith((":tune", ":holdout")) else (spec, "", "")
        try:
            with open(path, encoding="utf-8") as handle:
                items = read_corpus(handle)
        except OSError as error:
            _fail(f"--corpus {path}: {error.strerror}")
        except CorpusError as error:
            _fail(f"--corpus {path}: {error}")
        if part:
            items = dict(zip(("tune", "holdout"), split_holdout(items), strict=True))[part]
        parts[spec.rsplit("/", 1)[-1]] = items
    classifier = Classifier.default()
    reports: dict[str, Report] = {name: evaluate(classifier, items) for name, items in parts.items()}
    if len(reports) > 1:
        reports["all files"] = evaluate(classifier, [item for items in parts.values() for item in items])
    if as_json:
        out = {name: report.as_dict() for name, report in reports.items()}
        click.echo(json.dumps(out if len(out) > 1 else next(iter(out.values())), ensure_ascii=False))
        return
    for name, report in reports.items():
        _print_report(name, report)


def _print_report(name: str, report: Any) -> None:
    click.echo(f"== {name}: {report.items} items, {report.debatable} DEBATABLE (listed, not counted)\n")
    click.echo(f"{'topic':<24}{'scope':<10}{'precision':>10}{'recall':>8}{'F1':>8}   tp  fp  fn")
    for topic, c in report.topics.items():
        click.echo(f"{topic:<24}{'all':<10}{c.precision:>10.3f}{c.recall:>8.3f}{c.f1:>8.3f}  {c.tp:>3} {c.fp:>3} {c.fn:>3}")
        ne = report.non_english.get(topic)
        if ne:
            click.echo(f"{'':<24}{'non-en':<10}{ne.precision:>10.3f}{ne.recall:>8.3f}{ne.f1:>8.3f}  {ne.tp:>3} {ne.fp:>3} {ne.fn:>3}")
        for (t, lang), lc in sorted(report.by_lang.items()):
            if t == topic:
                click.echo(f"{'':<24}{lang:<10}{lc.precision:>10.3f}{lc.recall:>8.3f}{lc.f1:>8.3f}  {lc.tp:>3} {lc.fp:>3} {lc.fn:>3}")
    for kind in ("miss", "false-alarm", "debatable"):
        found = [f for f in report.findings if f.kind == kind]
        if found:
            click.echo(f"\n{kind.upper()} ({len(found)})")
        for f in found:
            click.echo(f"  {f.id} [{f.lang}] {f.topic} score={f.score:.2f}  {f.title[:90]}")
            for e in f.evidence[:2]:
                click.echo(f"      {e[:160]}")
    click.echo("")




@main.group()
def users() -> None:
    """People who use the API and the web page."""


@users.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="An operator: sees everything, manages feeds.")
def users_add(name: str, admin: bool) -> None:
    from radar_api.auth import AuthError, add_user

    try:
        user = add_user(_db(), name, "admin" if admin else "user")
    except AuthError as error:
        _fail(error)
    click.echo(f"user {user.id} {user.name} ({user.role}) added")


@users.command("list")
def users_list() -> None:
    from radar_api.auth import list_users

    for u in list_users(_db()):
        click.echo(f"{u.id:>4}  {u.name}  {u.role}")


@main.group()
def tokens() -> None:
    """API tokens (stored hashed; shown once)."""


@tokens.command("create")
@click.argument("user")
@click.option("--name", default="", help="What the token is for.")
def tokens_create(user: str, name: str) -> None:
    """Print a new token for USER. It is not stored and cannot be shown again."""
    from radar_api.auth import AuthError, create_token

    try:
        token_id, token = create_token(_db(), user, name)
    except AuthError as error:
        _fail(error)
    click.echo(f"token {token_id} for {user}: {token}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    from radar_api.auth import AuthError, revoke_token

    try:
        revoke_token(_db(), token_id)
    except AuthError as error:
        _fail(error)
    click.echo(f"token {token_id} revoked")


@main.command("api")
@click.option("--host", default=None, help="Default: HTTP_HOST.")
@click.option("--port", type=int, default=None, help="Default: API_HTTP_PORT.")
def api(host: str | None, port: int | None) -> None:
    """Serve the REST API (OpenAPI at /docs)."""
    import uvicorn

    from radar_api.app import create_app
    from radar_api.config import ApiSettings
    from radar_shared.settings import SharedSettings

    uvicorn.run(create_app(), host=host or SharedSettings().http_host, port=port or ApiSettings().http_port, log_level="info")


@main.group()
def topics() -> None:
    """Built-in topics and watches, and how analysts rate their alerts."""


@topics.command("stats")
@click.option("--json", "as_json", is_flag=True)
def topics_stats(as_json: bool) -> None:
    """Per topic and watch: alerts sent, alerts voted on, and precision from the votes, over 7 and 30 days."""
    from radar_api.feedback import precision_by_tag

    rows = precision_by_tag(_db())
    if as_json:
        for r in rows:
            click.echo(json.dumps({"tag": r.tag, "days": r.days, "alerts": r.alerts, "voted": r.voted, "relevant": r.relevant, "precision": r.precision}))
        return
    if not rows:
        click.echo("no alerts sent in the last 30 days")
    click.echo(f"{'topic or watch':<28}{'days':>5}{'alerts':>8}{'voted':>7}{'relevant':>9}{'precision':>10}")
    for r in rows:
        precision = f"{r.precision:.2f}" if r.precision is not None else "–"
        click.echo(f"{r.tag:<28}{r.days:>5}{r.alerts:>8}{r.voted:>7}{r.relevant:>9}{precision:>10}")


@main.group()
def feedback() -> None:
    """Analysts' votes on alerts."""


@feedback.command("export")
def feedback_export() -> None:
    """The voted articles as JSON Lines in the corpus's format (for `radar eval`), on standard output."""
    from radar_api.feedback import export_votes

    for row in export_votes(_db()):
        click.echo(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
