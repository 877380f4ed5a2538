"""`make demo`'s configuration: the demo feeds, a demo user (an admin, so every page is open) with a watch and
two subscriptions, one by email to the local SMTP catcher and one to the local Slack stand-in. Idempotent.

Run by deploy/run.sh (RADAR_SEED_COMMAND) after the migrations, with DEMO_* ports in the environment.
"""

import os
from pathlib import Path

import yaml

from radar_api import auth, service
from radar_shared.channel_urls import ChannelRules
from radar_shared.settings import ChannelSettings, FeedSettings, SharedSettings

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    db = SharedSettings().database_url
    feeds_port, smtp_port = int(os.environ["DEMO_FEEDS_PORT"]), int(os.environ["DEMO_SMTP_PORT"])
    names = sorted({a["feed"] for a in yaml.safe_load((ROOT / "deploy" / "demo" / "articles.yaml").read_text(encoding="utf-8"))})
    known = {f.url for f, _ in service.list_feeds(db)}
    for name in names:
        url = f"http://127.0.0.1:{feeds_port}/feeds/{name}.xml"
        if url not in known:
            service.add_feed(db, url, f"Demo wire ({name})", 30, FeedSettings().allowed_networks)  # demo.sh lets the demo's ports through
    token_file = Path(os.environ.get("DEMO_TOKEN_FILE", ROOT / ".run" / "demo-token"))
    if not any(u.name == "demo" for u in auth.list_users(db)):
        auth.add_user(db, "demo", "admin")
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(auth.create_token(db, "demo", "make-demo")[1] + "\n", encoding="utf-8")
        token_file.chmod(0o600)
        actor = auth.Actor(next(u.id for u in auth.list_users(db) if u.name == "demo"), "demo", True)  # type: ignore[arg-type]
        rules = ChannelRules.of(["mailto", "slack"], ChannelSettings().allowed_networks)
        watch = service.add_watch(db, '"Rich Glory" OR "Sky Morning"', "Tankers", actor=actor)
        service.add_subscription(db, f"mailto://127.0.0.1:{smtp_port}?to=analyst@demo.invalid&from=radar@demo.invalid",
                                 ["dprk-sanctions", "russia-dprk-smuggling"], [], 0.0, rules, actor=actor)
        service.add_subscription(db, "slack://T0DEMO0000/B0DEMO0000/demowebhooktoken0000000", [], [watch.id], 0.0, rules, actor=actor)
    print(f"""
Radar demo: {len(names)} demo feeds, a user 'demo' (its token is in {token_file}), a watch and two subscriptions.
  1. open http://127.0.0.1:{os.environ.get("API_HTTP_PORT", "8080")}/signin and paste the token
  2. "My alerts" fills as the feeds release articles (a few a minute); "Demo inbox" shows the emails and Slack posts
""", flush=True)


if __name__ == "__main__":
    main()
