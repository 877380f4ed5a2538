"""Topic rules (pure): versioned YAML files under topics/, compiled once, evaluated per article.

A rule fires when all of its term groups occur together in one scope:
- `title`: the title; `lead`: one of the first two sentences of the text; `sentence`: any one sentence;
- `window`: within `words` words of each other (across sentence ends).
The score is 1 − Π(1 − w) over sentences, where w is the weight of the strongest rule that fired in that
sentence (a window counts for the sentence it starts in). One passing mention stays under the threshold;
the title, or evidence in several sentences, lifts the score over it.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from radar_classifier.termindex import TermIndex
from radar_classifier.text import Document, Term, compile_term
from radar_shared.messages import Match, Snippet, Span, Tag

TOPICS_DIR = Path(__file__).parent / "topics"
LEAD_SENTENCES = 2
MAX_SNIPPETS = 3


class TopicRulesError(Exception):
    """A rule file is invalid. The message names the file and the field."""


@dataclass(frozen=True)
class Rule:
    name: str
    groups: tuple[str, ...]
    scope: str
    weight: float
    words: int = 0


@dataclass(frozen=True)
class TopicRules:
    topic: str
    version: int
    threshold: float
    groups: dict[str, tuple[Term, ...]]
    rules: tuple[Rule, ...]
    exclude: tuple[Term, ...] = ()
    index: TermIndex = field(compare=False, repr=False, default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", TermIndex([t for terms in self.groups.values() for t in terms] + list(self.exclude)))

    def all_terms(self) -> list[Term]:
        return [t for terms in self.groups.values() for t in terms] + list(self.exclude)


def _compile(path: Path, data: dict[str, Any], inherited: dict[str, tuple[Term, ...]]) -> TopicRules:
    def need(key: str) -> Any:
        if key not in data:
            raise TopicRulesError(f"{path.name}: missing field {key!r}")
        return data[key]

    groups = dict(inherited)
    for name, terms in (need("groups") or {}).items():
        try:
            groups[name] = tuple(compile_term(str(t)) for t in terms)
        except ValueError as error:
            raise TopicRulesError(f"{path.name}: groups.{name}: {error}") from None
    rules = []
    for i, r in enumerate(need("rules")):
        scope = r.get("scope", "sentence")
        if scope not in ("title", "lead", "sentence", "window"):
            raise TopicRulesError(f"{path.name}: rules[{i}].scope: {scope!r} is not title, lead, sentence or window")
        missing = [g for g in r.get("all", []) if g not in groups]
        if missing or not r.get("all"):
            raise TopicRulesError(f"{path.name}: rules[{i}].all: unknown or empty groups {missing}")
        rules.append(Rule(r.get("name", f"rule-{i}"), tuple(r["all"]), scope, float(r.get("weight", 0.3)), int(r.get("words", 0))))
    try:
        exclude = tuple(compile_term(str(t)) for t in data.get("exclude", []) or [])
    except ValueError as error:
        raise TopicRulesError(f"{path.name}: exclude: {error}") from None
    return TopicRules(str(need("topic")), int(need("version")), float(data.get("threshold", 0.5)), groups, tuple(rules), exclude)


def load_topics(directory: Path = TOPICS_DIR) -> list[TopicRules]:
    raw = {p: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.yaml"))}
    by_topic: dict[str, TopicRules] = {}
    # Files without `include_groups_from` first, so that includes can resolve.
    for path, data in sorted(raw.items(), key=lambda kv: bool(kv[1].get("include_groups_from"))):
        base = data.get("include_groups_from")
        if base and base not in by_topic:
            raise TopicRulesError(f"{path.name}: include_groups_from: unknown topic {base!r}")
        by_topic[data["topic"]] = _compile(path, data, by_topic[base].groups if base else {})
    return list(by_topic.values())


def classifier_version(topics: list[TopicRules]) -> str:
    return "rules:" + ",".join(f"{t.topic}@{t.version}" for t in topics)


Hit = tuple[int, int, str, str]  # token start, token end, group, term source


def _hits(doc: Document, rules: TopicRules, found: dict[Term, list[tuple[int, int]]] | None = None) -> dict[str, list[Hit]]:
    found = rules.index.occurrences(doc) if found is None else found
    out: dict[str, list[Hit]] = {}
    for group, terms in rules.groups.items():
        hits = [(i, j, group, term.source) for term in terms for i, j in found.get(term, ())]
        if hits:
            out[group] = sorted(set(hits))
    return out


def _in_scope(doc: Document, rule: Rule, hits: dict[str, list[Hit]]) -> list[list[Hit]]:
    """Each firing of the rule, as the hits that made it."""
    if any(g not in hits for g in rule.groups):
        return []
    firings: list[list[Hit]] = []
    if rule.scope == "window":
        anchor = rule.groups[0]
        for a in hits[anchor]:
            near = [[h for h in hits[g] if abs(h[0] - a[0]) <= rule.words] for g in rule.groups[1:]]
            if all(near):
                firings.append([a] + [n[0] for n in near])
        # One firing per sentence of the anchor, so a long list of hits does not count many times.
        seen, unique = set(), []
        for f in firings:
            s = doc.tokens[f[0][0]].sentence
            if s not in seen:
                seen.add(s)
                unique.append(f)
        return unique
    sentences = {"title": [0], "lead": list(range(1, 1 + LEAD_SENTENCES))}.get(rule.scope, range(len(doc.sentences)))
    for s in sentences:
        per_group = [[h for h in hits[g] if doc.tokens[h[0]].sentence == s] for g in rule.groups]
        if all(per_group):
            firings.append([h for group_hits in per_group for h in group_hits])
    return firings


def _snippet(doc: Document, firing: list[Hit]) -> Snippet:
    sentences = sorted({doc.tokens[h[0]].sentence for h in firing})
    start, end = doc.sentences[sentences[0]].start, doc.sentences[sentences[-1]].end
    spans = sorted({doc.span(i, j) for i, j, _, _ in firing})
    return Snippet.model_construct(text=doc.text[start:end].strip(), highlights=[Span.model_construct(start=a - start, end=b - start) for a, b in spans])


def score_topic(doc: Document, rules: TopicRules, found: dict[Term, list[tuple[int, int]]] | None = None) -> Tag | None:
    """The topic's tag with its evidence, or None when the score stays under the threshold.

    `found`: term occurrences already found by a combined index (the classifier's); else found here.
    A sentence with one of the topic's false friends (`exclude`) is no evidence for it.
    """
    found = rules.index.occurrences(doc) if found is None else found
    vetoed = {doc.tokens[i].sentence for term in rules.exclude for i, _ in found.get(term, ())}
    hits = {g: [h for h in hs if doc.tokens[h[0]].sentence not in vetoed] for g, hs in _hits(doc, rules, found).items()}
    hits = {g: hs for g, hs in hits.items() if hs}
    strongest: dict[int, float] = {}
    matched: dict[tuple[str, str, str], Match] = {}
    snippets: list[Snippet] = []
    for rule in rules.rules:
        for firing in _in_scope(doc, rule, hits):
            sentence = doc.tokens[firing[0][0]].sentence
            strongest[sentence] = max(strongest.get(sentence, 0.0), rule.weight)
            for i, j, group, _term in firing:
                surface = doc.surface(i, j)
                matched.setdefault((surface.casefold(), group, rule.name), Match.model_construct(term=surface, group=group, rule=rule.name))
            snippet = _snippet(doc, firing)
            if len(snippets) < MAX_SNIPPETS and snippet.text not in {s.text for s in snippets}:
                snippets.append(snippet)
    miss = 1.0
    for weight in strongest.values():
        miss *= 1.0 - weight
    score = round(1.0 - miss, 4)
    if score < rules.threshold:
        return None
    return Tag.model_construct(tag=rules.topic, kind="topic", score=score, matched=list(matched.values()), snippets=snippets)
