"""`radar classify` and `radar eval`: the classifier service's own code run on JSON Lines, without Kafka."""

import json
import sys
from typing import Any

import click

from radar_api.cli.context import shared_settings
from radar_api.cli.output import fail


@click.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
def classify(source: Any) -> None:
    """Tag JSON Lines ({"title", "text", optional "id", "url", "lang"}) with the classifier service's own code."""
    from radar_classifier.operator import classifier_for, stored_classifier

    settings = shared_settings()
    sqlite = settings.sqlite_path()
    # a SQLite file that is not there has no watches: SQLAlchemy is not even imported
    classifier = stored_classifier(settings.database_url) if sqlite is None or sqlite.exists() else classifier_for()
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


@click.command("eval")
@click.option(
    "--corpus", "corpora", multiple=True, required=True, metavar="PATH[:tune|:holdout]",
    help="Labelled JSON Lines; repeat for several files. ':holdout' scores only the frozen held-out half (decisions 008, 019), ':tune' the rest.",
)
@click.option(
    "--entities", "entity_labels", metavar="LABELS[:tune|:holdout]",
    help="Score watchlist screening instead: entity labels (entities-dev.jsonl) for the corpus's articles; ':holdout' only the frozen held-out half (decision 017).",
)
@click.option("--list", "list_file", type=click.Path(dir_okay=False), help="The list file the labels refer to (with --entities), in any format `radar watchlists import` reads.")
@click.option("--json", "as_json", is_flag=True)
def eval_command(corpora: tuple[str, ...], entity_labels: str | None, list_file: str | None, as_json: bool) -> None:
    """Precision, recall and F1 of the built-in topics, per file, topic and language, with misses and false alarms;
    with --entities, precision and recall of watchlist screening per entry type, with misses and false matches."""
    from radar_classifier.operator import CorpusError, Report, classifier_for, evaluate, read_corpus, split_for

    parts: dict[str, list[dict]] = {}
    for spec in corpora:
        path, _, part = spec.rpartition(":") if spec.endswith((":tune", ":holdout")) else (spec, "", "")
        try:
            with open(path, encoding="utf-8") as handle:
                items = read_corpus(handle)
        except OSError as error:
            fail(f"--corpus {path}: {error.strerror}")
        except CorpusError as error:
            fail(f"--corpus {path}: {error}")
        if part:
            items = dict(zip(("tune", "holdout"), split_for(path, items), strict=True))[part]
        parts[spec.rsplit("/", 1)[-1]] = items
    if entity_labels is not None:
        _eval_entities([item for items in parts.values() for item in items], entity_labels, list_file, as_json)
        return
    if list_file is not None:
        fail("--list: only with --entities (topics are scored without a list)")
    classifier = classifier_for()
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


def _eval_entities(items: list[dict], spec: str, list_file: str | None, as_json: bool) -> None:
    """`radar eval --entities`: the list's matcher over the labelled articles, scored per entry type."""
    from radar_classifier.operator import CorpusError, WatchlistError, classifier_for, entity_items, evaluate_entities, read_entity_labels, read_list

    if list_file is None:
        fail("--entities: give the list file its labels refer to with --list (e.g. the OFAC SDN.CSV)")
    path, _, half = spec.rpartition(":") if spec.endswith((":tune", ":holdout")) else (spec, "", "")
    try:
        with open(path, encoding="utf-8") as handle:
            labels = read_entity_labels(handle, source=path)
    except OSError as error:
        fail(f"--entities {path}: {error.strerror}")
    except CorpusError as error:
        fail(f"--entities {error}")
    try:
        with open(list_file, "rb") as handle:
            entities = read_list(handle.read(), "eval", source=list_file).entities
    except OSError as error:
        fail(f"--list {list_file}: {error.strerror}")
    except WatchlistError as error:
        fail(f"--list {list_file}: {error}")
    chosen = entity_items(items, labels, half or None)
    if not chosen:
        fail(f"--entities {spec}: none of the --corpus articles has a label there")
    report = evaluate_entities(classifier_for(entities=entities), chosen, labels, {e.entity_id: e.kind or "entity" for e in entities})
    scopes = {**dict(sorted(report.types.items())), "all": report.total}
    if as_json:
        click.echo(json.dumps({
            "articles": len(chosen), "half": half or "all",
            "types": {name: {"precision": c.precision, "recall": c.recall, "tp": c.tp, "fp": c.fp, "fn": c.fn} for name, c in scopes.items()},
            "misses": [dict(zip(("article", "entry", "listed_name", "text"), m, strict=True)) for m in report.misses],
            "false_matches": [dict(zip(("article", "entry", "listed_name", "text"), m, strict=True)) for m in report.false_matches],
        }, ensure_ascii=False))
        return
    click.echo(f"== watchlist screening: {len(chosen)} labelled articles ({half or 'all'}), {len(entities)} list entries\n")
    click.echo(f"{'type':<14}{'precision':>10}{'recall':>8}   tp  fp  fn")
    for name, c in scopes.items():
        click.echo(f"{name:<14}{c.precision:>10.3f}{c.recall:>8.3f}  {c.tp:>3} {c.fp:>3} {c.fn:>3}")
    for title, rows in (("MISSES", report.misses), ("FALSE MATCHES", report.false_matches)):
        if rows:
            click.echo(f"\n{title} ({len(rows)})")
        for article, entry, listed, text in rows:
            click.echo(f"  {article} entry {entry} {listed[:60]!r} <- {text[:60]!r}")
    click.echo("")
