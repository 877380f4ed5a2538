"""The README starts with the commands; docs/configuration.md lists exactly the settings the code reads, with their defaults."""

import re
from pathlib import Path

from radar_api.config import ApiSettings
from radar_classifier.config import ClassifierSettings
from radar_feed_watcher.config import FeedWatcherSettings
from radar_notifier.config import NotifierSettings
from radar_shared.settings import FeedbackSettings, SharedSettings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def test_configuration_table_matches_the_settings() -> None:
    documented = dict(re.findall(r"^\| `([A-Z_]+)` \| `([^`]*)` \|", CONFIGURATION, flags=re.M))
    expected = {}
    for cls in (SharedSettings, FeedWatcherSettings, ClassifierSettings, NotifierSettings, ApiSettings, FeedbackSettings):
        prefix = cls.model_config.get("env_prefix", "")
        for name, field in cls.model_fields.items():
            default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
            expected[f"{prefix}{name.upper()}"] = (",".join(default) or "(none)") if isinstance(default, list) else str(default)
    assert documented == expected


def test_readme_starts_with_the_two_commands() -> None:
    head = README[:800]
    assert "make run" in head and "make test" in head
