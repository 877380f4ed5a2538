"""One story_id for one story seen through several feeds or URLs."""

from datetime import UTC, datetime, timedelta

from radar_feed_watcher.fingerprint import distance, is_near_duplicate, simhash
from radar_feed_watcher.store import assign_story
from radar_shared.db import session_scope

TEXT = ("Russian tankers delivered refined petroleum to North Korea through ship-to-ship transfers near Nakhodka, "
        "according to satellite imagery reviewed by analysts. The transfers breach the cap set by the UN Security "
        "Council, the analysts said, and involved vessels previously designated by the US Treasury.")


def test_copies_are_near_and_other_stories_far() -> None:
    base = simhash("Russian tankers feed North Korea", TEXT)
    assert is_near_duplicate(base, simhash("Russian tankers feed North Korea — report", TEXT + " Officials declined to comment."))
    assert not is_near_duplicate(base, simhash("Djokovic wins Wimbledon", "The Serbian beat his rival in five sets on Centre Court."))
    assert distance(base, base) == 0


def test_assign_story_groups_copies_across_feeds(database_url: str) -> None:
    now = datetime.now(UTC)
    with session_scope(database_url) as s:
        first = assign_story(s, "a1", "story-from-url-1", "Russian tankers feed North Korea", TEXT, now)
        copy = assign_story(s, "a2", "story-from-url-2", "Russian tankers feed North Korea (Reuters)", TEXT + " Reporting by staff.", now)
        other = assign_story(s, "a3", "story-from-url-3", "Djokovic wins Wimbledon", "The Serbian beat his rival in five sets.", now)
        same_title = assign_story(s, "a4", "story-from-url-4", "North Korea fires ballistic missile toward Sea of Japan", "Version one of the launch story.", now)
        rewrite = assign_story(s, "a5", "story-from-url-5", "North Korea fires ballistic missile toward Sea of Japan", "A wholly different text by another outlet about it.", now)
        later = assign_story(s, "a6", "story-from-url-6", "North Korea fires ballistic missile toward Sea of Japan", "Another launch, days later.", now + timedelta(days=3))
    assert first == "story-from-url-1" and copy == first
    assert other == "story-from-url-3"
    assert rewrite == same_title == "story-from-url-4", "the same long title within 36 hours"
    assert later == "story-from-url-6", "the same title days later is another story"


def test_the_story_decision_is_pure_near_duplicate_then_title_then_own() -> None:
    from radar_feed_watcher.stories import SeenArticle, StoryPrint, decide_story, near_duplicate_story

    fp = StoryPrint.of("Russian tankers feed North Korea", TEXT)
    copy = SeenArticle("s-copy", "a-copy", simhash("Russian tankers feed North Korea (Reuters)", TEXT + " Reporting by staff."))
    other = SeenArticle("s-other", "a-other", simhash("Djokovic wins Wimbledon", "The Serbian beat his rival in five sets."))
    itself = SeenArticle("s-itself", "a1", simhash("Djokovic wins Wimbledon", "An edit that changed every word."))
    assert near_duplicate_story("a1", fp, [other, copy]) == "s-copy"
    assert near_duplicate_story("a1", fp, [itself, copy]) == "s-itself", "the same article keeps its story, whatever its edits"
    assert near_duplicate_story("a1", fp, [other]) is None
    assert [decide_story(*case) for case in [("near", "title", "own"), (None, "title", "own"), (None, None, "own")]] == ["near", "title", "own"]
