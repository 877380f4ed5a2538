"""The code and the committed contracts must not drift apart. Regenerate with `python -m radar_shared.contracts --write`
after a deliberate, backwards-compatible change (a breaking change needs a new `…v2` topic)."""

import json

import pytest

from radar_shared.contracts import ASYNCAPI_DIR, SCHEMAS_DIR, SERVICES, asyncapi_document, message_schemas
from radar_shared.topics import ALL_TOPICS

HINT = "the code and the committed contract differ; regenerate with `python -m radar_shared.contracts --write` if the change is intended"


@pytest.mark.parametrize("name", sorted(message_schemas()))
def test_message_schema_snapshot(name: str) -> None:
    committed = json.loads((SCHEMAS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert message_schemas()[name] == committed, HINT


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_asyncapi_document(service: str) -> None:
    committed = json.loads((ASYNCAPI_DIR / f"{service}.json").read_text(encoding="utf-8"))
    assert asyncapi_document(service) == committed, HINT


def test_every_channel_is_a_known_topic() -> None:
    for service in SERVICES:
        for channel in asyncapi_document(service)["channels"].values():
            assert channel["address"] in ALL_TOPICS
