"""Topic rules (pure): versioned YAML files under topics/, over the concepts of lexicon/, compiled once.

A rule names concepts, never one article's wording. It fires where all of its elements occur together in
one scope; an element is a concept (`dprk`) or a list of concepts of which any will do (`[fuel, coal, arms]`):
- `title`: the title; `lead`: one of the first two sentences of the text; `sentence`: any one sentence;
- `window`: within `words` words of the first element (across sentence ends; a CJK character is 0.4 words).
`also` lists elements that must occur somewhere in the article, and `unless` elements that, in the same
sentence, stop the rule there (a summit, not a shipment).

The score is 1 − Π(1 − w) over sentences, where w is the weight of the strongest rule that fired in that
sentence (a window counts for the sentence of its first element). One passing mention stays under the
threshold; the title, or evidence in several sentences, lifts the score over it.

Scoring is linear in the article: hits are grouped by sentence once, sentence rules intersect those groups,
and window rules find the nearest hit of each element by bisection over positions.
"""

import bisect
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from radar_classifier.lexicon import SAFE_LOADER, Lexicon, load_lexicon
from radar_classifier.termindex import TermIndex
from radar_classifier.text import WORD_REACH, Document, Term, compile_term
from radar_shared.messages import Match, Snippet, Span, Tag

TOPICS_DIR = Path(__file__).parent / "topics"
LEAD_SENTENCES = 2
MAX_SNIPPETS = 3
MAX_MATCHES = 24
SCOPES = ("title", "lead", "sentence", "window")


class TopicRulesError(Exception):
    """A rule file is invalid. The message names the file and the field."""


Element = tuple[str, ...]  # any of these concepts


@dataclass(frozen=True)
class Rule:
    name: str
    elements: tuple[Element, ...]
    scope: str
    weight: float
    words: int = 0
    also: tuple[Element, ...] = ()
    unless: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for e in (*self.elements, *self.also) for c in e).keys()) + self.unless


@dataclass(frozen=True)
class TopicRules:
    topic: str
    version: int
    threshold: float
    groups: dict[str, tuple[Term, ...]]
    rules: tuple[Rule, ...]
    exclude: tuple[Term, ...] = ()
    concepts_of: dict[Term, tuple[str, ...]] = field(compare=False, repr=False, default=None)  # type: ignore[arg-type]

    @functools.cached_property
    def index(self) -> TermIndex:
        """The topic's own index, built when first asked for: the classifier scans with one index of all terms."""
        return TermIndex(self.all_terms())

    def __post_init__(self) -> None:
        concepts_of: dict[Term, list[str]] = {}
        for concept, terms in self.groups.items():
            for term in terms:
                concepts_of.setdefault(term, []).append(concept)
        object.__setattr__(self, "concepts_of", {t: tuple(cs) for t, cs in concepts_of.items()})

    def all_terms(self) -> list[Term]:
        return [t for terms in self.groups.values() for t in terms] + list(self.exclude)


def _element(path: Path, where: str, value: Any, known: set[str]) -> Element:
    names = tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise TopicRulesError(f"{path.name}: {where}: unknown or empty concepts {unknown or names}")
    return names


def _compile(path: Path, data: dict[str, Any], lexicon: Lexicon) -> TopicRules:
    def need(key: str) -> Any:
        if key not in data:
            raise TopicRulesError(f"{path.name}: missing field {key!r}")
        return data[key]

    groups = dict(lexicon.concepts)
    for name, terms in (data.get("groups") or {}).items():
        try:
            groups[name] = tuple(compile_term(str(t)) for t in terms)
        except ValueError as error:
            raise TopicRulesError(f"{path.name}: groups.{name}: {error}") from None
    known = set(groups)
    rules = []
    for i, r in enumerate(need("rules")):
        scope = r.get("scope", "sentence")
        if scope not in SCOPES:
            raise TopicRulesError(f"{path.name}: rules[{i}].scope: {scope!r} is not title, lead, sentence or window")
        if not r.get("all"):
            raise TopicRulesError(f"{path.name}: rules[{i}].all: at least one concept is needed")
        if scope == "window" and int(r.get("words", 0)) <= 0:
            raise TopicRulesError(f"{path.name}: rules[{i}].words: a window needs a positive number of words")
        elements = tuple(_element(path, f"rules[{i}].all", e, known) for e in r["all"])
        also = tuple(_element(path, f"rules[{i}].also", e, known) for e in r.get("also", []) or [])
        unless = tuple(c for e in r.get("unless", []) or [] for c in _element(path, f"rules[{i}].unless", e, known))
        rules.append(Rule(r.get("name", f"rule-{i}"), elements, scope, float(r.get("weight", 0.3)), int(r.get("words", 0)), also, unless))
    try:
        exclude = tuple(compile_term(str(t)) for t in data.get("exclude", []) or [])
    except ValueError as error:
        raise TopicRulesError(f"{path.name}: exclude: {error}") from None
    used = {c for rule in rules for c in rule.groups}
    return TopicRules(str(need("topic")), int(need("version")), float(data.get("threshold", 0.5)), {g: groups[g] for g in groups if g in used}, tuple(rules), exclude)


def load_topics(directory: Path = TOPICS_DIR, lexicon: Lexicon | None = None) -> list[TopicRules]:
    lexicon = lexicon or load_lexicon()
    return [_compile(p, yaml.load(p.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}, lexicon) for p in sorted(directory.glob("*.yaml"))]


def classifier_version(topics: list[TopicRules]) -> str:
    return "rules:" + ",".join(f"{t.topic}@{t.version}" for t in topics)


Hit = tuple[int, int, str]  # token start, token end, concept


class _Hits:
    """One topic's hits in one article, grouped by concept and by sentence, with positions for windows."""

    def __init__(self, doc: Document, rules: TopicRules, found: dict[Term, list[tuple[int, int]]], present: list[tuple[Term, tuple[str, ...]]]) -> None:
        sentence_of = doc.sentence_of
        vetoed = {sentence_of[i] for term in rules.exclude for i, _ in found.get(term, ())}
        self.by_concept: dict[str, list[Hit]] = {}
        self.sentences: dict[str, dict[int, list[Hit]]] = {}
        collected: dict[str, list[list[tuple[int, int]]]] = {}
        for term, concepts in present:
            spans = found[term]  # in token order, one a token
            for concept in concepts:
                collected.setdefault(concept, []).append(spans)
        for concept, lists in collected.items():
            spans = lists[0] if len(lists) == 1 else sorted(set().union(*lists))  # a span two terms found (a stem and its word) once
            ordered = [(i, j, concept) for i, j in spans if not vetoed or sentence_of[i] not in vetoed]
            self.by_concept[concept] = ordered
            per_sentence: dict[int, list[Hit]] = {}
            for hit in ordered:
                per_sentence.setdefault(sentence_of[hit[0]], []).append(hit)
            self.sentences[concept] = per_sentence
        self.doc = doc
        self._by_sentence: dict[Element, dict[int, list[Hit]]] = {}  # rules share elements
        self._present: dict[Element, bool] = {}

    def present(self, element: Element) -> bool:
        known = self._present.get(element)
        if known is None:
            known = self._present[element] = any(c in self.by_concept for c in element)
        return known

    def by_sentence(self, element: Element) -> dict[int, list[Hit]]:
        """The element's hits by sentence, its concepts' in turn; shared by the rules that ask, not to be changed."""
        known = self._by_sentence.get(element)
        if known is None:
            if len(element) == 1:
                known = self.sentences.get(element[0], {})
            else:
                known = {}
                for concept in element:
                    for sentence, found in self.sentences.get(concept, {}).items():
                        known.setdefault(sentence, []).extend(found)
            self._by_sentence[element] = known
        return known

    def by_reach(self, element: Element) -> tuple[list[int], list[Hit]]:
        hits = sorted((h for c in element for h in self.by_concept.get(c, ())), key=lambda h: h[0])
        reach = self.doc.reach
        return [reach[h[0]] for h in hits], hits


def _firings(doc: Document, rule: Rule, hits: _Hits) -> list[list[Hit]]:
    """Each firing of the rule, as the hits that made it; at most one per sentence."""
    if not all(hits.present(e) for e in (*rule.elements, *rule.also)):
        return []
    blocked = {s for c in rule.unless for s in hits.sentences.get(c, {})}
    firings: list[list[Hit]] = []
    if rule.scope == "window":
        reach = rule.words * WORD_REACH
        others = [hits.by_reach(e) for e in rule.elements[1:]]
        seen: set[int] = set()
        for anchor in hits.by_reach(rule.elements[0])[1]:
            sentence = doc.sentence_of[anchor[0]]
            if sentence in seen or sentence in blocked:
                continue
            at = doc.reach[anchor[0]]
            firing = [anchor]
            for positions, other in others:
                k = bisect.bisect_left(positions, at - reach)
                if k < len(positions) and positions[k] <= at + reach:
                    firing.append(other[k])
                else:
                    break
            else:
                seen.add(sentence)
                firings.append(firing)
        return firings
    candidates = {"title": {0}, "lead": set(range(1, 1 + LEAD_SENTENCES))}.get(rule.scope)
    found = [hits.by_sentence(e) for e in rule.elements]
    common = set(found[0]).intersection(*found[1:])
    if candidates is not None:
        common &= candidates
    for s in sorted(common - blocked):
        firings.append([h for in_sentence in found for h in in_sentence[s]] if len(found) > 1 else found[0][s])
    return firings


def _snippet_text(doc: Document, firing: list[Hit]) -> tuple[int, str]:
    """Where the firing's snippet starts, and its text: its sentences, from the first to the last."""
    sentences = sorted({doc.sentence_of[h[0]] for h in firing})
    start, end = doc.sentences[sentences[0]].start, doc.sentences[sentences[-1]].end
    return start, doc.text[start:end].strip()


def _snippet(doc: Document, firing: list[Hit], start: int, text: str) -> Snippet:
    spans = sorted({doc.span(i, j) for i, j, _ in firing})
    return Snippet(text=text, highlights=[Span(start=a - start, end=b - start) for a, b in spans])


def score_topic(doc: Document, rules: TopicRules, found: dict[Term, list[tuple[int, int]]] | None = None) -> Tag | None:
    """The topic's tag with its evidence, or None when the score stays under the threshold.

    `found`: term occurrences already found by a combined index (the classifier's); else found here.
    A sentence with one of the topic's false friends (`exclude`) is no evidence for it.
    """
    found = rules.index.occurrences(doc) if found is None else found
    concepts_of = rules.concepts_of
    present = [(term, concepts) for term in found if (concepts := concepts_of.get(term)) is not None]  # the terms found, not every term
    named = {c for _, concepts in present for c in concepts}
    if not any(all(any(c in named for c in e) for e in (*rule.elements, *rule.also)) for rule in rules.rules):
        return None  # no rule can fire: most articles stop here
    hits = _Hits(doc, rules, found, present)
    strongest: dict[int, float] = {}
    matched: dict[tuple[int, int, str, str], None] = {}
    firings: list[tuple[float, int, list[Hit]]] = []
    for rule in rules.rules:
        for firing in _firings(doc, rule, hits):
            sentence = doc.sentence_of[firing[0][0]]
            strongest[sentence] = max(strongest.get(sentence, 0.0), rule.weight)
            for i, j, group in firing:
                matched[(i, j, group, rule.name)] = None
            firings.append((-rule.weight, sentence, firing))
    miss = 1.0
    for weight in strongest.values():
        miss *= 1.0 - weight
    score = round(1.0 - miss, 4)
    if score < rules.threshold:
        return None
    best: list[Snippet] = []
    texts: set[str] = set()
    for _, _, firing in sorted(firings, key=lambda f: (f[0], f[1])):
        start, text = _snippet_text(doc, firing)
        if text not in texts:  # a sentence already shown is not built again
            texts.add(text)
            best.append(_snippet(doc, firing, start, text))
            if len(best) == MAX_SNIPPETS:
                break
    terms: dict[tuple[str, str], Match] = {}  # each term of each concept once, with the first rule it served
    surfaces: dict[tuple[int, int], tuple[str, str]] = {}  # a span's text and its folded form, once
    for i, j, group, rule_name in matched:
        if len(terms) == MAX_MATCHES:
            break
        surface = surfaces.get((i, j))
        if surface is None:
            text = doc.surface(i, j)
            surface = surfaces[(i, j)] = (text, text.casefold())
        key = (surface[1], group)
        if key not in terms:
            terms[key] = Match(term=surface[0], group=group, rule=rule_name)
    return Tag(tag=rules.topic, kind="topic", score=score, matched=list(terms.values()), snippets=best, truncated_at=doc.truncated_at)
