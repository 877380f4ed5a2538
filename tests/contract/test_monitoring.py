"""deploy/prometheus and deploy/grafana use only metrics that the code exports."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFINED = re.compile(r"(?:Counter|Gauge|Histogram)\(\s*\"(radar_[a-z_]+)\"")
USED = re.compile(r"\b(radar_[a-z_]+?)(?:_bucket|_sum|_count)?\b")


def exported() -> set[str]:
    names = set()
    for path in [*ROOT.glob("services/*/radar_*/**/*.py"), *ROOT.glob("shared/radar_shared/**/*.py")]:
        names |= set(DEFINED.findall(path.read_text(encoding="utf-8")))
    return names


def test_alert_rules_and_dashboard_use_exported_metrics() -> None:
    names = exported()
    assert {"radar_consumer_lag", "radar_dlq_messages", "radar_end_to_end_seconds", "radar_deliveries_failed_total"} <= names
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    dashboard = json.loads((ROOT / "deploy/grafana/radar-dashboard.json").read_text())
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in USED.findall(e)}
    assert used and used <= names, f"not exported: {sorted(used - names)}"
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    assert {"RadarServiceDown", "RadarFeedStale", "RadarDeliveriesFailing", "RadarConsumerLagGrowing", "RadarReplicaSilent", "RadarNoLiveReplica"} <= alerts
    per_replica = next(r for g in rules["groups"] for r in g["rules"] if r["alert"] == "RadarReplicaSilent")
    assert "radar_replica_up" in per_replica["expr"] and "$labels.replica" in per_replica["annotations"]["summary"], "one alert per silent replica, named"
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
