"""Quality of the built-in topics on a labelled corpus (pure): precision, recall and F1 per topic and language.

The corpus is JSON Lines with `title`, `text`, `lang`, and booleans `dprk_sanctions` and `russia_dprk_smuggling`.
Items whose `note` says DEBATABLE are classified and listed, but not counted.
"""

import hashlib
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from radar_classifier.classify import Classifier
from radar_shared.messages import Tag

LABELS = {"dprk-sanctions": "dprk_sanctions", "russia-dprk-smuggling": "russia_dprk_smuggling"}


class CorpusError(ValueError):
    """A corpus line is unusable. The message names the line and the field."""


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, expected: bool, got: bool) -> None:
        if expected and got:
            self.tp += 1
        elif got:
            self.fp += 1
        elif expected:
            self.fn += 1
        else:
            self.tn += 1


@dataclass
class Finding:
    id: str
    lang: str
    topic: str
    kind: str  # miss, false-alarm, debatable
    title: str
    score: float
    evidence: list[str]


@dataclass
class Report:
    topics: dict[str, Counts] = field(default_factory=dict)
    by_lang: dict[tuple[str, str], Counts] = field(default_factory=dict)
    non_english: dict[str, Counts] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    items: int = 0
    debatable: int = 0

    def as_dict(self) -> dict[str, Any]:
        def c(x: Counts) -> dict[str, Any]:
            return {"precision": round(x.precision, 4), "recall": round(x.recall, 4), "f1": round(x.f1, 4), "tp": x.tp, "fp": x.fp, "fn": x.fn, "tn": x.tn}

        return {
            "items": self.items,
            "debatable": self.debatable,
            "topics": {t: c(x) for t, x in self.topics.items()},
            "non_english": {t: c(x) for t, x in self.non_english.items()},
            "by_language": {f"{t}/{lang}": c(x) for (t, lang), x in sorted(self.by_lang.items())},
            "findings": [f.__dict__ for f in self.findings],
        }


def read_corpus(lines: Iterable[str]) -> list[dict[str, Any]]:
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusError(f"line {number}: not JSON: {error}") from None
        for key in ("title", "text", *LABELS.values()):
            if key not in item:
                raise CorpusError(f"line {number} ({item.get('id', '?')}): missing field {key!r}")
        for key in LABELS.values():
            if not isinstance(item[key], bool):
                raise CorpusError(f"line {number} ({item.get('id', '?')}): field {key!r} must be true or false")
        items.append(item)
    return items


HOLDOUT_SEED = 20261201  # frozen before the concept lexicons were written; see docs/decisions/008


def split_holdout(items: list[dict[str, Any]], seed: int = HOLDOUT_SEED) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tune, holdout): a stratified half of the items, fixed by the seed.

    Items are ordered by stratum (language, then the two labels) and, within it, by a draw from the seeded
    generator; every second item, starting with the first, is held out. Each stratum is split in half (an odd
    one leaves its extra item to the next stratum), and the same file and seed always give the same halves.
    """
    rng = random.Random(seed)
    stratum = lambda i: (i.get("lang") or "?", bool(i["dprk_sanctions"]), bool(i["russia_dprk_smuggling"]))  # noqa: E731
    draws = {id(i): rng.random() for i in sorted(items, key=lambda i: (*stratum(i), str(i.get("id"))))}
    ordered = sorted(items, key=lambda i: (*stratum(i), draws[id(i)]))
    held = {id(i) for n, i in enumerate(ordered) if n % 2 == 0}
    return [i for i in items if id(i) not in held], [i for i in items if id(i) in held]


HASH_SALT = "radar-dev3"  # frozen before the 40-language lexicons were written; see docs/decisions/019


def split_by_id_hash(items: list[dict[str, Any]], salt: str = HASH_SALT) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tune, holdout) for dev3.jsonl: as `split_holdout`, but the order within a stratum is the SHA-256 of
    salt and article id, so an item's half depends on its own id and stratum, never on a generator's state."""
    stratum = lambda i: (i.get("lang") or "?", bool(i["dprk_sanctions"]), bool(i["russia_dprk_smuggling"]))  # noqa: E731
    digest = lambda i: hashlib.sha256(f"{salt}:{i.get('id')}".encode()).hexdigest()  # noqa: E731
    ordered = sorted(items, key=lambda i: (*stratum(i), digest(i)))
    held = {id(i) for n, i in enumerate(ordered) if n % 2 == 0}
    return [i for i in items if id(i) not in held], [i for i in items if id(i) in held]


SPLITS = {"dev3.jsonl": split_by_id_hash}  # a file's own frozen split; any other file uses split_holdout (decision 008)


def split_for(name: str, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tune, holdout) of the corpus file `name` (its base name picks the frozen split)."""
    return SPLITS.get(name.rsplit("/", 1)[-1], split_holdout)(items)


ENTITY_HOLDOUT_SALT = "entities-holdout:"  # frozen before the matcher was tuned; see docs/decisions/017


def is_entity_holdout(article_id: str) -> bool:
    """Whether an article of entities-dev.jsonl is in the held-out half of the watchlist labels.

    The first byte of SHA-256 over the salt and the article id, odd for held out: a fixed half that does not move
    when articles are added, reordered or relabelled, and that no tuning run can choose.
    """
    return hashlib.sha256(f"{ENTITY_HOLDOUT_SALT}{article_id}".encode()).digest()[0] % 2 == 1


def _evidence(tag: Tag | None) -> list[str]:
    if tag is None:
        return []
    return [s.marked for s in tag.snippets] or [m.term for m in tag.matched]


def evaluate(classifier: Classifier, items: list[dict[str, Any]]) -> Report:
    report = Report()
    for item in items:
        tags = {t.tag: t for t in classifier.classify(item["title"], item["text"], item.get("source", ""), item.get("lang"))}
        debatable = "DEBATABLE" in (item.get("note") or "").upper()
        lang = item.get("lang") or "?"
        report.items += 1
        report.debatable += debatable
        for topic, label in LABELS.items():
            expected, tag = item[label], tags.get(topic)
            got = tag is not None
            if debatable:
                if expected != got:
                    report.findings.append(Finding(item.get("id", "?"), lang, topic, "debatable", item["title"], tag.score if tag else 0.0, _evidence(tag)))
                continue
            report.topics.setdefault(topic, Counts()).add(expected, got)
            report.by_lang.setdefault((topic, lang), Counts()).add(expected, got)
            if lang != "en":
                report.non_english.setdefault(topic, Counts()).add(expected, got)
            if expected != got:
                kind = "miss" if expected else "false-alarm"
                report.findings.append(Finding(item.get("id", "?"), lang, topic, kind, item["title"], tag.score if tag else 0.0, _evidence(tag)))
    return report


@dataclass
class EntityReport:
    """Watchlist screening scored against entity labels (entities-dev.jsonl): counts per entry type, with the
    misses and false matches as (article id, entry id, listed name, matched text)."""

    types: dict[str, Counts] = field(default_factory=dict)
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)
    false_matches: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def total(self) -> Counts:
        return Counts(sum(c.tp for c in self.types.values()), sum(c.fp for c in self.types.values()), sum(c.fn for c in self.types.values()))


def read_entity_labels(lines: Iterable[str], source: str = "entities") -> dict[str, list[dict[str, Any]]]:
    """Article id → its labelled references, from entities-dev.jsonl lines."""
    labels: dict[str, list[dict[str, Any]]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            labels[str(row["id"])] = [dict(e) for e in row["entities"]]
        except (ValueError, KeyError, TypeError) as error:
            raise CorpusError(f"{source}: line {number}: not an entity label line with 'id' and 'entities' ({error})") from error
    return labels


def evaluate_entities(classifier: Classifier, items: list[dict[str, Any]], labels: dict[str, list[dict[str, Any]]], kinds: dict[str, str]) -> EntityReport:
    """Score the watchlist entries the classifier reports per article against `labels` (ENTITIES.md's rules: an
    ambiguous reference counts as found when any of its alternatives is reported). `kinds` maps entry id → type."""
    report = EntityReport()
    for item in items:
        article = str(item.get("id", "?"))
        matches = {m.entity_id: m for t in classifier.classify(item["title"], item["text"], item.get("source", ""), item.get("lang")) if t.kind == "watchlist" for m in t.matched}
        expected = labels.get(article, [])
        ambiguous = {e["ent_num"] for e in expected if e.get("ambiguous")}
        wanted = {e["ent_num"]: e for e in expected}
        for ent_num, e in wanted.items():
            if ent_num in ambiguous and ambiguous & matches.keys() and ent_num not in matches:
                continue  # an alternative of this ambiguous reference was reported
            counts = report.types.setdefault(kinds.get(ent_num, e.get("type", "?")), Counts())
            if ent_num in matches:
                counts.tp += 1
            else:
                counts.fn += 1
                report.misses.append((article, ent_num, e.get("sdn_name", ""), e.get("surface", "")))
        for ent_num, m in matches.items():
            if ent_num not in wanted:
                report.types.setdefault(kinds.get(ent_num, "?"), Counts()).fp += 1
                report.false_matches.append((article, ent_num, m.listed_name, m.term))
    return report


def entity_items(items: list[dict[str, Any]], labels: dict[str, list[dict[str, Any]]], half: str | None = None) -> list[dict[str, Any]]:
    """The labelled articles among `items`: all of them, or only the frozen held-out half ('holdout') or the rest
    ('tune'), by is_entity_holdout."""
    chosen = [i for i in items if str(i.get("id")) in labels]
    if half is None:
        return chosen
    return [i for i in chosen if is_entity_holdout(str(i.get("id"))) == (half == "holdout")]
