"""deploy/helm/radar renders, with the default and the production values, into objects that the Kubernetes
schemas accept (kubernetes-validate ships them: offline), and into the shape the runbook promises: one Deployment
per service with its probes and resources, a migration Job as a pre-install/pre-upgrade hook, a
PodDisruptionBudget each, Prometheus objects from deploy/prometheus, and KEDA capped at the partition count.

Helm is built from its Go module by deploy/helm.sh (make test and .ci/run call it); without it this test fails
saying so.
"""

import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from radar_shared.settings import FeedbackSettings, SharedSettings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "radar"
KUBE_VERSION = "1.33.0"
SERVICES = {"feed-watcher", "classifier", "notifier", "api"}
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule", "ScaledObject", "TriggerAuthentication"}  # CRDs: no schema shipped


def helm() -> str:
    path = subprocess.run([str(ROOT / "deploy" / "helm.sh"), "path"], capture_output=True, text=True, check=True).stdout.strip()
    if not Path(path).is_file():
        pytest.fail(f"helm is missing at {path}: run `deploy/helm.sh ensure` (make test and .ci/run do; it needs Go on PATH and the Go module proxy)")
    return path


def render(*args: str) -> list[dict[str, Any]]:
    result = subprocess.run([helm(), "template", "radar", str(CHART), "--kube-version", KUBE_VERSION, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


VALUES = {
    "default": ["--set", "database.url=postgresql://radar:secret@postgres/radar"],
    "production": ["-f", str(CHART / "values-production.yaml")],
}


@pytest.fixture(scope="module", params=list(VALUES))
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(*VALUES[request.param])


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_every_builtin_object_matches_the_kubernetes_schema(objects: list[dict[str, Any]]) -> None:
    checked = 0
    for obj in objects:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
        checked += 1
    assert checked >= 14


def test_the_validator_rejects_a_broken_deployment(objects: list[dict[str, Any]]) -> None:
    deployment = next(iter(by_kind(objects, "Deployment").values()))
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "two", "surplus": True}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBE_VERSION, strict=True)


def test_one_deployment_per_service_with_probes_and_resources(objects: list[dict[str, Any]]) -> None:
    deployments = by_kind(objects, "Deployment")
    assert {d["metadata"]["labels"]["app.kubernetes.io/component"] for d in deployments.values()} == SERVICES
    for deployment in deployments.values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]) and "memory" in container["resources"]["limits"]
        env = {e["name"] for e in container["env"]}
        assert "DATABASE_URL" in env
    pdbs = by_kind(objects, "PodDisruptionBudget")
    assert {p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for p in pdbs.values()} == SERVICES


def test_migrations_run_as_a_hook_before_install_and_upgrade(objects: list[dict[str, Any]]) -> None:
    (job,) = by_kind(objects, "Job").values()
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["radar", "db", "upgrade"]
    config = next(o for o in objects if o["kind"] == "ConfigMap")  # the Job reads it, so it is created before the Job
    assert int(config["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])


def test_every_setting_the_chart_passes_is_one_the_services_read(objects: list[dict[str, Any]]) -> None:
    known = {name.upper() for name in SharedSettings.model_fields} | {f"{s.upper().replace('-', '_')}_HTTP_PORT" for s in SERVICES}
    known |= {f"FEEDBACK_{name.upper()}" for name in FeedbackSettings.model_fields}
    config = next(o for o in objects if o["kind"] == "ConfigMap")
    names = set(config["data"])
    for deployment in by_kind(objects, "Deployment").values():
        names |= {e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"] if not e["name"].startswith("NOTIFIER_")}
    assert names <= known, names - known


def test_each_pod_is_a_replica_named_after_itself(objects: list[dict[str, Any]]) -> None:
    """SERVICE_INSTANCE = the pod's name: its row in the heartbeat table and its radar_replica_up{replica} (its
    /readyz answers 503 until that row is written: tests/unit/shared/test_heartbeat.py)."""
    for deployment in by_kind(objects, "Deployment").values():
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["SERVICE_INSTANCE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name", deployment["metadata"]["name"]


def test_production_values_pass_tls_and_sasl_through_to_the_services() -> None:
    objects = render(*VALUES["production"])
    config = next(o for o in objects if o["kind"] == "ConfigMap")["data"]
    assert config["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL" and config["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    container = by_kind(objects, "Deployment")["radar-notifier"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "radar-kafka-user", "key": "password"}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "radar-postgresql", "key": "DATABASE_URL"}
    mount = next(m for m in container["volumeMounts"] if m["name"] == "kafka-ca")
    assert env["KAFKA_SSL_CAFILE"]["value"] == f"{mount['mountPath']}/ca.crt"
    assert not by_kind(objects, "Secret").get("radar-database"), "an existing Secret is used; the chart stores no database URL"
    assert env["FEEDBACK_SECRET"]["valueFrom"]["secretKeyRef"] == {"name": "radar-feedback", "key": "FEEDBACK_SECRET"}
    assert by_kind(objects, "Secret")["radar-feedback"]["data"]["FEEDBACK_SECRET"], "a random key when none is given"


def test_keda_scales_on_lag_no_further_than_the_partitions() -> None:
    objects = render(*VALUES["production"])  # asks for 24 classifiers on 12 partitions
    scaled = by_kind(objects, "ScaledObject")
    assert set(scaled) == {"radar-classifier", "radar-notifier"}
    for name, obj in scaled.items():
        assert obj["spec"]["maxReplicaCount"] == 12
        trigger = obj["spec"]["triggers"][0]
        assert trigger["type"] == "kafka" and trigger["metadata"]["consumerGroup"] == name.removeprefix("radar-")
    deployments = by_kind(objects, "Deployment")
    assert "replicas" not in deployments["radar-classifier"]["spec"], "KEDA owns the replica count"
    assert deployments["radar-api"]["spec"]["replicas"] == 2


def test_prometheus_objects_come_from_deploy_prometheus() -> None:
    alerts = (ROOT / "deploy" / "prometheus" / "alerts.yml").read_text()
    assert (CHART / "files" / "alerts.yml").read_text() == alerts, "copy deploy/prometheus/alerts.yml to deploy/helm/radar/files/"
    objects = render(*VALUES["production"])
    (rule,) = by_kind(objects, "PrometheusRule").values()
    assert rule["spec"] == yaml.safe_load(alerts)
    (monitor,) = by_kind(objects, "ServiceMonitor").values()
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"


def test_a_missing_database_is_named() -> None:
    result = subprocess.run([helm(), "template", "radar", str(CHART), "--kube-version", KUBE_VERSION], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "database.url or database.existingSecret.name is required" in result.stderr
