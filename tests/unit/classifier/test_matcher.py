"""The compiled matcher gives exactly what evaluating each watch on its own gives."""

import random

from radar_classifier.matcher import IndexedWatch, WatchMatcher, requires_a_term
from radar_classifier.query import Article, evaluate, parse_query
from radar_classifier.text import Document

WORDS = ["coal", "tanker", "Nampo", "sanctions", "North Korea", "refin*", "Rich Glory", "Sky Morning", "ship-to-ship", "Vostochny", "fuel", "Russia",
         "Северная Корея", "санкци*", "북한", "제재", "Kim", "diesel", "port", "ferry"]
ARTICLES = [
    ("Tanker Rich Glory seen off Nampo", "The vessel carried coal and refined fuel. Russia denied ship-to-ship transfers.", "nknews.org", "en"),
    ("Северная Корея получила топливо", "Танкер прибыл из Владивостока, несмотря на санкции.", "tass.ru", "ru"),
    ("북한, 제재 위반 선박 운항", "북한 선박이 환적을 통해 석탄을 수출했다.", "yna.co.kr", "ko"),
    ("Djokovic wins Wimbledon", "A five-set final on Centre Court.", "bbc.co.uk", "en"),
]


def random_query(rng: random.Random) -> str:
    def term() -> str:
        w = rng.choice(WORDS)
        return f'"{w}"' if " " in w else w

    shapes = [
        lambda: term(),
        lambda: f"{term()} {term()}",
        lambda: f"{term()} OR {term()}",
        lambda: f"({term()} OR {term()}) -{term()}",
        lambda: f"{term()} NEAR/{rng.randint(1, 8)} {term()}",
        lambda: f"title:{term()} {term()}",
        lambda: f"{term()} site:{rng.choice(['nknews.org', 'tass.ru', 'yna.co.kr'])}",
        lambda: f"lang:{rng.choice(['en', 'ru', 'ko'])} ({term()} OR {term()})",
        lambda: f"site:{rng.choice(['nknews.org', 'bbc.co.uk'])} OR {term()}",
    ]
    return rng.choice(shapes)()


def test_matcher_equals_one_by_one_evaluation() -> None:
    rng = random.Random(7)
    watches = [IndexedWatch(i, q, parse_query(q)) for i, q in enumerate(random_query(rng) for _ in range(400))]
    matcher = WatchMatcher(watches)
    for title, text, site, lang in ARTICLES:
        article = Article(Document(title, text), site, lang)
        expected = {w.id for w in watches if evaluate(w.node, article, [])}
        assert {w.id for w, _ in matcher.match(article)} == expected, title
    assert any(not requires_a_term(w.node) for w in watches), "queries without a required term are covered too"
