"""Classifier benchmark: articles per second on one core with 0, 1,000 and 10,000 watches. Prints figures; not a test.

    .venv/bin/python bench/classify.py

Articles are ~2 KB, the size the pipeline carries: the dev corpus's texts (../shared/corpus/dev.jsonl) joined in
order until each reaches 2,000 characters, or generated text of that length without the corpus. Long articles
(64 KB and 1 MB, on topic) are timed too: scoring is linear, and the input cap bounds the rest.
Watches are generated from a vocabulary of vessel, company and place names and news words, in the language's
shapes (phrases, OR, exclusions, NEAR, title:, site:). The baseline is the naive loop: every watch compiled to
its own regular expressions and evaluated one after another.
"""

import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"

from radar_classifier.classify import Classifier, compile_watches  # noqa: E402
from radar_classifier.query import And, Lang, Near, Not, Or, Site, TermNode, parse_query  # noqa: E402

NAMES = ["Sky Morning", "Rich Glory", "Petrel 8", "Hao Fan 6", "Tong San 2", "Ji Song", "Angara", "Lady R", "Maia-1", "Sparta IV", "Yuk Tung", "Chon Ma San",
         "Bogatyr", "Yangzhou", "Ocean Star", "Kwang Chon", "Rye Song Gang", "Unica", "Xin Yuan", "Asia Bright"]
WORDS = ["coal", "tanker", "fuel", "diesel", "refined", "petroleum", "sanctions", "designation", "Nampo", "Vostochny", "Nakhodka", "Rajin", "Khasan", "ferry",
         "ship-to-ship", "treasury", "OFAC", "laundering", "front company", "shell company", "munitions", "artillery", "shells", "workers", "bank", "crypto",
         "КНДР", "санкции", "уголь", "танкер", "북한", "제재", "석탄", "유조선", "Pyongyang", "Moscow", "Vladivostok", "Kim", "Putin", "Shoigu", "satellite"]


def vocabulary(rng: random.Random, n: int) -> list[str]:
    """Distinct watch terms: real names and words, plus made-up entity names as users' lists have them."""
    out = list(NAMES) + list(WORDS)
    while len(out) < n:
        out.append(f"{rng.choice(['Ocean', 'Star', 'Golden', 'North', 'Pacific', 'Trade', 'Global', 'Silver'])} {rng.choice(['Line', 'Way', 'Hope', 'Sun', 'Sea', 'Link'])} {rng.randint(1, 999)}")
    return out


def make_watches(n: int, rng: random.Random) -> list[str]:
    terms = vocabulary(rng, 3 * n)

    def t() -> str:
        w = rng.choice(terms)
        return f'"{w}"' if " " in w else w

    shapes = [lambda: t(), lambda: f"{t()} OR {t()}", lambda: f"{t()} {t()}", lambda: f"({t()} OR {t()}) -{t()}", lambda: f"{t()} NEAR/5 {t()}",
              lambda: f"title:{t()}", lambda: f"{t()} site:nknews.org"]
    return [rng.choice(shapes)() for _ in range(n)]


ARTICLE_CHARS = 2000


def articles() -> list[tuple[str, str, str | None]]:
    """(title, text, language) of ~2 KB articles; the language as a feed declares it (None where the corpus has none)."""
    if CORPUS.exists():
        rows = [r for r in map(json.loads, CORPUS.read_text(encoding="utf-8").splitlines()) if r]
        out, title, text = [], "", ""
        for r in rows:
            title = title or r["title"]
            text = f"{text}\n{r['text']}" if text else r["text"]
            if len(text) >= ARTICLE_CHARS:
                out.append((title, text, r.get("lang")))
                title, text = "", ""
        return out
    rng = random.Random(1)
    return [(" ".join(rng.choices(WORDS, k=8)), " ".join(rng.choices(WORDS + ["the", "and", "of", "in"], k=300)), "en") for _ in range(100)]


def long_article(chars: int) -> tuple[str, str]:
    """An on-topic article of about `chars` characters: dense in hits, the worst case for scoring."""
    paragraph = ("Russian tankers delivered refined oil to North Korea in ship-to-ship transfers that violate UN sanctions, "
                 "and North Korea shipped artillery shells to Russia by rail through Khasan. ")
    return "Russia ships oil to North Korea", paragraph * (chars // len(paragraph) + 1)


def cpu_seconds(fn, *args) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - started)
    return best


def naive_matcher(queries: list[str]):  # type: ignore[no-untyped-def]
    """The baseline: each watch as its own regular expressions, evaluated one by one."""

    def rx(term) -> re.Pattern[str]:  # type: ignore[no-untyped-def]
        words = [re.escape(w) + (r"\w*" if p else "") for w, p in zip(term.words, term.prefix, strict=True)]
        return re.compile(r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)", re.IGNORECASE)

    def build(node):  # type: ignore[no-untyped-def]
        if isinstance(node, TermNode):
            pattern = rx(node.term)
            return (lambda title, text, site: bool(pattern.search(title))) if node.field == "title" else (lambda title, text, site: bool(pattern.search(title) or pattern.search(text)))
        if isinstance(node, Near):
            a, b, d = rx(node.left.term), rx(node.right.term), node.distance
            gap = rf"(?:\W+\w+){{0,{max(d - 1, 0)}}}?\W+"
            pattern = re.compile(a.pattern + gap + b.pattern + "|" + b.pattern + gap + a.pattern, re.I)
            return lambda title, text, site: bool(pattern.search(text) or pattern.search(title))
        if isinstance(node, Not):
            inner = build(node.node)
            return lambda title, text, site: not inner(title, text, site)
        if isinstance(node, And):
            parts = [build(n) for n in node.nodes]
            return lambda title, text, site: all(p(title, text, site) for p in parts)
        if isinstance(node, Or):
            parts = [build(n) for n in node.nodes]
            return lambda title, text, site: any(p(title, text, site) for p in parts)
        if isinstance(node, Site):
            return lambda title, text, site: site.endswith(node.domain)
        if isinstance(node, Lang):
            return lambda title, text, site: False
        raise TypeError(node)

    compiled = [build(parse_query(q)) for q in queries]
    return lambda title, text, lang: [i for i, f in enumerate(compiled) if f(title, text, "nknews.org")]


def rate(fn, items: list[tuple[str, str]], min_seconds: float = 1.0, samples: int = 5) -> float:  # type: ignore[no-untyped-def]
    """Articles per CPU second, the best of `samples` runs: this is a shared VM whose wall clock includes other
    tenants' time, and the best run is the one least disturbed (the same rule for both matchers)."""
    for title, text, lang in items:  # warm-up: caches and allocations, not measured
        fn(title, text, lang)
    best = 0.0
    for _ in range(samples):
        done, started = 0, time.process_time()
        while time.process_time() - started < min_seconds:
            for title, text, lang in items:
                fn(title, text, lang)
            done += len(items)
        best = max(best, done / (time.process_time() - started))
    return best


def main() -> None:
    rng = random.Random(42)
    items = articles()
    source = "dev corpus" if CORPUS.exists() else "generated"
    print(f"{len(items)} articles of ~{sum(len(t) for _, t, _ in items) // len(items)} characters ({source}), one core, "
          f"Python {sys.version.split()[0]}; best of several CPU-time samples")
    print(f"{'watches':>8} {'articles/s':>11} {'naive regex /s':>15} {'speed-up':>9}")
    results = {}
    for n in (0, 1_000, 10_000):
        queries = make_watches(n, rng)
        classifier = Classifier.default(compile_watches(list(enumerate(queries)))[0])
        ours = rate(lambda title, text, lang, c=classifier: c.classify(title, text, "https://nknews.org/x", lang), items)
        if n:
            naive = naive_matcher(queries)
            baseline = rate(lambda title, text, lang, c=classifier, match=naive: (c.topics, match(title, text, lang)), items, 1.0 if n <= 1000 else 3.0, 3)
            print(f"{n:>8} {ours:>11.0f} {baseline:>15.1f} {ours / baseline:>8.0f}×")
        else:
            print(f"{n:>8} {ours:>11.0f} {'-':>15} {'-':>9}")
        results[n] = ours
    print("targets: ≥ 2,000 articles/s with 10,000 watches; ≥ 50× the naive loop at 10,000 watches")
    unknown = rate(lambda title, text, lang: classifier.classify(title, text, "https://nknews.org/x"), items)
    print(f"10000 watches, no language from the feed (identified by py3langid): {unknown:.0f} articles/s")
    classifier = Classifier.default()
    small, large = long_article(64_000), long_article(1_000_000)
    a, b = cpu_seconds(classifier.classify, *small), cpu_seconds(classifier.classify, *large)
    capped = Classifier(classifier.topics, [], None, classifier.languages, max_chars=10_000_000)
    c = cpu_seconds(capped.classify, *large)
    print(f"long articles: 64 KB {a:.3f} s, 1 MB {b:.3f} s ({b / a:.1f}× 64 KB) with the default {classifier.max_chars:,}-character cap; 1 MB uncapped {c:.3f} s")
    print("targets: 1 MB under 3 s of CPU and at most 20× 64 KB")


if __name__ == "__main__":
    main()
