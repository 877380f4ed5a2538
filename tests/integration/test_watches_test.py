"""`radar watches test` reads recent articles from the real articles.discovered.v1 and explains its matches."""

import asyncio
import json
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from click.testing import CliRunner

from radar_api.cli import main
from radar_api.watchtest import recent_articles
from radar_classifier.operator import match_query
from radar_shared.messages import Article, ArticleDiscovered
from radar_shared.topics import ARTICLES_DISCOVERED


def article(n: int, title: str, text: str) -> ArticleDiscovered:
    return ArticleDiscovered(article=Article(article_id=f"a{n}", story_id=f"s{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                                             url=f"https://news.example/{n}", title=title, text=text, source="news.example"))


@pytest.mark.kafka
def test_recent_articles_from_kafka(kafka) -> None:  # type: ignore[no-untyped-def]
    async def publish() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
        await producer.start()
        try:
            for n, (title, text) in enumerate([("Tanker Sky Morning seized", "Officials boarded the Sky Morning."), ("Weather", "Sunny."), ("Rich Glory at Nampo", "Coal.")]):
                await producer.send_and_wait(ARTICLES_DISCOVERED, article(n, title, text).model_dump_json().encode(), key=f"a{n}".encode())
            await producer.send_and_wait(ARTICLES_DISCOVERED, b"poison", key=b"x")
        finally:
            await producer.stop()

    asyncio.run(publish())
    articles = asyncio.run(recent_articles(kafka.bootstrap, 100))
    assert {"a0", "a1", "a2"} <= {a.article_id for a in articles}, "the poison message is skipped, the rest read"
    matches = match_query('"Sky Morning" OR "Rich Glory"', articles)
    assert {m["id"] for m in matches} == {"a0", "a2"}
    assert "Tanker «Sky Morning» seized" in matches[0]["snippets"] or "Tanker «Sky Morning» seized" in matches[1]["snippets"]


def test_cli_with_a_file_and_an_invalid_query(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "x", "title": "Rich Glory spotted", "text": ""}) + "\n" + json.dumps({"id": "y", "title": "Other", "text": ""}) + "\n")
    ok = CliRunner().invoke(main, ["watches", "test", '"Rich Glory"', "--file", str(path)])
    assert ok.exit_code == 0 and json.loads(ok.stdout.splitlines()[0])["id"] == "x"
    bad = CliRunner().invoke(main, ["watches", "test", "(Rich", "--file", str(path)])
    assert bad.exit_code == 2 and "position 5" in bad.output
