"""The committed contracts: JSON schemas of the wire models and each service's AsyncAPI document.

    python -m radar_shared.contracts --write    regenerate deploy/asyncapi/ and tests/contract/schemas/
"""

import argparse
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from radar_shared import messages

ROOT = Path(__file__).resolve().parents[1].parent
ASYNCAPI_DIR = ROOT / "deploy" / "asyncapi"
SCHEMAS_DIR = ROOT / "tests" / "contract" / "schemas"
# module:expression that gives the service's app (a module that builds its app on demand names its factory)
SERVICES = {"feed-watcher": "radar_feed_watcher.app:app", "classifier": "radar_classifier.app:app_from_environment()", "notifier": "radar_notifier.app:app_from_environment()"}
EVENTS = (messages.ArticleDiscovered, messages.ArticleClassified, messages.AlertDelivered, messages.AlertFailed)


def message_schemas() -> dict[str, dict[str, Any]]:
    return {model.__name__: model.model_json_schema(mode="serialization") for model in EVENTS}


@functools.cache
def _asyncapi_json(service: str) -> str:
    return json.dumps(_build_asyncapi(service))


def asyncapi_document(service: str) -> dict[str, Any]:
    return json.loads(_asyncapi_json(service))


def _build_asyncapi(service: str) -> dict[str, Any]:
    """The service's AsyncAPI document, built in a fresh interpreter from the service as shipped."""
    module, _, app = SERVICES[service].partition(":")
    code = f"import {module} as m; print(m.{app}.schema.to_specification().to_json())"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "DATABASE_URL"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, timeout=120).stdout
    doc = json.loads(out)
    for server in doc.get("servers", {}).values():
        server["host"] = "${KAFKA_BOOTSTRAP_SERVERS}"  # environment-specific; not part of the contract
    return doc


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write() -> None:
    ASYNCAPI_DIR.mkdir(parents=True, exist_ok=True)
    SCHEMAS_DIR.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        (ASYNCAPI_DIR / f"{service}.json").write_text(dump(asyncapi_document(service)), encoding="utf-8")
    for name, schema in message_schemas().items():
        (SCHEMAS_DIR / f"{name}.json").write_text(dump(schema), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", required=True)
    parser.parse_args()
    write()
    print(f"wrote {ASYNCAPI_DIR} and {SCHEMAS_DIR}")
