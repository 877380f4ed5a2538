"""KAFKA_SECURITY_PROTOCOL and friends become the aiokafka keyword arguments every client of a service gets."""

import ssl

import pytest
from faststream.kafka.security import parse_security

from radar_shared.broker import kafka_security
from radar_shared.settings import SharedSettings


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {}),
        ({"KAFKA_SECURITY_PROTOCOL": "SSL"}, {"security_protocol": "SSL"}),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "radar", "KAFKA_SASL_PASSWORD": "pw"},
         {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", "sasl_plain_username": "radar", "sasl_plain_password": "pw", "ssl_context": None}),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "radar", "KAFKA_SASL_PASSWORD": "pw"},
         {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "radar", "sasl_plain_password": "pw"}),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256"}, {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-256"}),
    ],
)
def test_security_settings_reach_aiokafka(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: dict) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    options = parse_security(kafka_security(SharedSettings(_env_file=None)))  # type: ignore[call-arg]
    assert {k: v for k, v in options.items() if k in expected} == expected
    tls = options.get("security_protocol", "PLAINTEXT").endswith("SSL")
    assert isinstance(options.get("ssl_context"), ssl.SSLContext) == tls


def test_a_missing_ca_file_fails_at_start_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("KAFKA_SSL_CAFILE", str(tmp_path / "absent-ca.pem"))
    with pytest.raises(FileNotFoundError):
        kafka_security(SharedSettings(_env_file=None))  # type: ignore[call-arg]


def test_the_control_planes_own_clients_get_the_same_options(monkeypatch: pytest.MonkeyPatch) -> None:
    from radar_shared.broker import kafka_client_options

    assert kafka_client_options(SharedSettings(_env_file=None)) == {}  # type: ignore[call-arg]
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "radar")
    options = kafka_client_options(SharedSettings(_env_file=None))  # type: ignore[call-arg]
    assert options["security_protocol"] == "SASL_PLAINTEXT" and options["sasl_plain_username"] == "radar"


def test_the_sasl_password_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """A settings object that is logged, printed or put in an error keeps the password masked (SecretStr)."""
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "hunter2-kafka-password")
    settings = SharedSettings(_env_file=None)  # type: ignore[call-arg]
    assert "hunter2-kafka-password" not in repr(settings) and "hunter2-kafka-password" not in str(settings.model_dump())
    assert settings.kafka_sasl_password.get_secret_value() == "hunter2-kafka-password"
