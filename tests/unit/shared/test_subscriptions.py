"""The seven subscription options are defined once (SubscriptionOptions) and serve the table, the API's bodies
and answers, the web page's forms and the notifier's Policy; their rules name the field."""

import pytest

from radar_api.routes import SubscriptionCreate, SubscriptionFields, SubscriptionPublic, SubscriptionUpdate
from radar_notifier.policy import Policy, policy_of
from radar_shared.models import Subscription
from radar_shared.subscriptions import OPTION_NAMES, PolicyError, SubscriptionOptions, describe, options_of, validate_options

NIGHT = {"mode": "digest", "digest_schedule": "daily", "digest_time": "07:30", "timezone": "Asia/Seoul", "quiet_start": "22:00", "quiet_end": "06:00",
         "max_per_hour": 5}


def test_one_definition_serves_the_table_the_api_and_the_notifier() -> None:
    assert OPTION_NAMES == ("mode", "digest_schedule", "digest_time", "timezone", "quiet_start", "quiet_end", "max_per_hour")
    for model in (Subscription, SubscriptionFields, SubscriptionCreate, SubscriptionUpdate, SubscriptionPublic):
        assert issubclass(model, SubscriptionOptions), model
        assert {name: model.model_fields[name].default for name in OPTION_NAMES} == SubscriptionOptions().model_dump(), model
    assert SubscriptionOptions().model_dump() == Policy().__dict__


def test_a_row_becomes_a_policy_and_back_without_positional_copies() -> None:
    row = Subscription(channel_id=1, topics=["t"], **NIGHT)
    policy = policy_of(row)
    assert policy == Policy(**NIGHT)
    assert options_of(policy) == options_of(row) == SubscriptionOptions(**NIGHT)


def test_the_options_in_words() -> None:
    assert describe(SubscriptionOptions()) == "immediate"
    assert describe(SubscriptionOptions(**NIGHT)) == "digest daily at 07:30 Asia/Seoul, quiet 22:00–06:00 Asia/Seoul, at most 5/hour"
    assert describe(Policy(mode="digest", digest_schedule="hourly")) == "digest hourly"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"mode": "weekly"}, "mode"),
        ({"digest_schedule": "weekly"}, "digest_schedule"),
        ({"digest_time": "8am"}, "digest_time"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"quiet_start": "22:00"}, "quiet_start/quiet_end"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end"),
        ({"max_per_hour": 0}, "max_per_hour"),
    ],
)
def test_an_unusable_option_is_named(options: dict, field: str) -> None:
    with pytest.raises(PolicyError) as refused:
        validate_options(SubscriptionOptions(**options))
    assert str(refused.value).startswith(f"{field}: ")


def test_an_empty_form_field_means_not_set() -> None:
    form = SubscriptionFields(topics=["t"], timezone="", quiet_start=" ", quiet_end="", max_per_hour="")
    assert (form.timezone, form.quiet_start, form.quiet_end, form.max_per_hour) == ("UTC", None, None, None)
    assert validate_options(form) is form
