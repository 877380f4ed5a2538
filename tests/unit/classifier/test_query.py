import pytest

from radar_classifier.query import Article, QuerySyntaxError, evaluate, parse_query
from radar_classifier.text import Document

ARTICLE = Article(
    Document("Tanker Sky Morning seized off Nampo", "The vessel carried North Korean coal to Nampo. Officials in Seoul said nothing. Северная Корея молчит."),
    "nknews.org",
    "en",
)


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ('"Sky Morning" OR "Rich Glory"', True),
        ('"Rich Glory"', False),
        ("coal Nampo", True),
        ("coal AND Nampo", True),
        ("coal -Seoul", False),
        ('coal -"South Korea"', True),
        ("(diesel OR coal) tanker", True),
        ("(diesel OR petrol) tanker", False),
        ("coal NEAR/3 Nampo", True),
        ("vessel NEAR/1 Nampo", False),
        ("title:Nampo", True),
        ("title:coal", False),
        ('title:"Sky Morning"', True),
        ("site:nknews.org coal", True),
        ("site:example.org coal", False),
        ("lang:en coal", True),
        ("lang:ko coal", False),
        ("SKY MORNING", True),
        ("seiz*", True),
        ("северн* коре*", True),
        ("Korea", False),
    ],
)
def test_evaluate(query: str, matches: bool) -> None:
    assert evaluate(parse_query(query), ARTICLE, []) is matches


def test_evidence_lists_positive_terms_only() -> None:
    hits: list = []
    assert evaluate(parse_query('"Sky Morning" coal -Seoulx'), ARTICLE, hits)
    assert {h[2] for h in hits} == {"Sky Morning", "coal"}


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ("", 0, "empty query"),
        ("coal OR", 7, "expected a term"),
        ("(coal fuel", 10, "missing ')'"),
        ("coal )", 5, "unexpected ')'"),
        ('"Sky Morning', 0, "unclosed quote"),
        ("-coal", 1, "not excluded"),
        ("NEAR/3 coal", 0, "term on its left"),
        ("coal NEAR/ fuel", 5, "distance"),
        ("(a OR b) NEAR/3 c", 9, "NEAR joins two terms"),
        ("site:", 5, "needs a value"),
        ("OR coal", 0, "expected a term"),
        ("(" * 300, 32, "nested deeper than 32 levels"),  # not a RecursionError
        ("(" * 40 + "coal" + ")" * 40, 32, "nested deeper than 32 levels"),
        ("coal " + "-" * 1500 + "fuel", 37, "nested deeper than 32 levels"),
        ("coal " + "- " * 900 + "fuel", 69, "nested deeper than 32 levels"),
    ],
)
def test_invalid_queries_point_at_the_position(query: str, position: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert info.value.position == position, str(info.value)
    assert reason in str(info.value)


def test_nesting_up_to_the_limit_is_fine() -> None:
    assert evaluate(parse_query("(" * 32 + "coal" + ")" * 32), ARTICLE, []) is True


def test_no_regular_expressions_from_users() -> None:
    # Regex metacharacters are just text: no ReDoS, no pattern injection.
    with pytest.raises(QuerySyntaxError, match="letters or digits"):
        parse_query("(a+)+$")
    assert evaluate(parse_query("coal.*Nampo"), ARTICLE, []) is False
