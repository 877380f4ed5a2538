"""The web page: server-rendered HTML (Jinja2) over the same service layer as the API and the CLI.

Sign-in stores the API token in an HttpOnly, SameSite=Strict cookie; every form posts and redirects back
(post/redirect/get), so the page works without JavaScript. A little script adds inline query validation.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import Field

from radar_api import service
from radar_api.auth import Actor
from radar_api.highlight import highlight
from radar_api.routes import SubscriptionFields, address_bucket, client_address, get_context
from radar_classifier.operator import match_query, parse_query
from radar_feed_watcher.preview import preview_url
from radar_shared.xml_chars import xml_safe

COOKIE = "radar_token"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


templates.env.globals["highlight"] = highlight


def _printable(value: Any) -> Any:
    """Every value a page prints, without what XML 1.0 forbids: a stored lone surrogate cannot be encoded (a 500),
    and U+FFFE or a control character is never content."""
    if isinstance(value, Markup):
        return Markup(xml_safe(value))
    return xml_safe(value) if isinstance(value, str) else value


templates.env.finalize = _printable


def rate_limit(request: Request) -> None:
    """Every page and form counts against the same per-minute limit as the API: per token once signed in (the
    API's own bucket), per client address before. A cookie that is not a valid token counts as a failed
    authentication of the address (routes.Context.authenticate), so rotating cookies earns no fresh bucket."""
    ctx = get_context(request)
    token = request.cookies.get(COOKIE)
    request.state.actor = ctx.authenticate(token, client_address(request)) if token else None
    if request.state.actor is None:
        ctx.enforce_rate_limit(address_bucket(request))


router = APIRouter(include_in_schema=False, dependencies=[Depends(rate_limit)])


class SignInRequired(Exception):
    pass


def _actor(request: Request) -> Actor:
    actor = request.state.actor  # the sign-in cookie's, checked once by rate_limit
    if actor is None:
        raise SignInRequired
    return actor


def _page(request: Request, name: str, actor: Actor | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"actor": actor, "flash": request.query_params.get("flash"),
                                                      "error": request.query_params.get("error"), **context}, status_code=status_code)


def _back(path: str, flash: str | None = None, error: str | None = None) -> RedirectResponse:
    query = urlencode({k: v for k, v in (("flash", flash), ("error", error)) if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def channel_url(kind: str, value: str, email_base: str) -> str:
    """An Apprise URL from what a user knows: an email address, a Slack webhook URL, or any Apprise URL."""
    value = value.strip()
    if kind == "email":
        if "@" not in value or any(c in value for c in " \r\n<>&?"):
            raise service.ConfigError("channel: give one email address, such as analyst@example.org")
        return f"{email_base}{'&' if '?' in email_base else '?'}to={quote(value, safe='@')}"
    if kind == "slack":
        if not value.startswith("https://hooks.slack.com/services/"):
            raise service.ConfigError("channel: a Slack incoming webhook URL starts with https://hooks.slack.com/services/")
        return value
    return value


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return RedirectResponse("/alerts" if request.cookies.get(COOKIE) else "/signin", status_code=303)


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> HTMLResponse:
    return _page(request, "signin.html", None)


@router.post("/signin")
def signin(request: Request, token: Annotated[str, Form()]) -> Response:
    actor = get_context(request).authenticate(token.strip(), client_address(request))
    if actor is None:
        return _page(request, "signin.html", None, error_now="token: unknown or revoked token")
    response = RedirectResponse("/alerts", status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", secure=get_context(request).settings.cookie_secure, max_age=30 * 86400)
    return response


@router.post("/signout")
def signout() -> Response:
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request) -> HTMLResponse:
    actor = _actor(request)
    db = get_context(request).db
    from radar_api.feedback import votes_of

    rows = service.list_deliveries(db, actor, limit=100)
    votes = votes_of(db, actor, [d.id for d in rows if d.id is not None])
    records = {d.id: service.alert_record(d) for d in rows}
    return _page(request, "alerts.html", actor, deliveries=rows, records=records, chart=alerts_chart(db, actor), votes=votes)


def alerts_chart(db: str, actor: Actor, days: int = 30) -> Markup:
    """Alerts per day over `days` days, a row per topic and per watch (named by its query)."""
    from radar_api.charts import bars_svg, day_labels

    labels = day_labels(datetime.now(UTC), days)
    counts = service.alerts_per_day(db, actor, days)
    queries = {f"watch:{w.id}": f"watch {w.id}: {w.name or w.query}" for w in service.list_watches(db, actor)}
    series = {queries.get(tag, tag): [per_day.get(day, 0) for day in labels] for tag, per_day in sorted(counts.items())}
    return bars_svg(series, labels, f"Alerts per day over {days} days, by topic and watch")


def read_inbox(path: str, limit: int = 50) -> list[dict[str, Any]]:
    """The newest `limit` messages of the demo's inbox (JSON Lines; a torn last line is skipped)."""
    import json

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    messages = []
    for line in reversed(lines):
        try:
            messages.append(json.loads(line))
        except ValueError:
            continue
        if len(messages) == limit:
            break
    return messages


@router.get("/demo", response_class=HTMLResponse)
def demo_inbox(request: Request) -> HTMLResponse:
    """`make demo`: what the local SMTP catcher and Slack stand-in received."""
    actor = _actor(request)
    path = get_context(request).settings.demo_inbox
    if not path:
        return HTMLResponse("Not a demo: set API_DEMO_INBOX (make demo does).", status_code=404)
    return _page(request, "demo.html", actor, messages=read_inbox(path))


@router.post("/alerts/{delivery_id}/vote")
def vote_on_alert(request: Request, delivery_id: int, vote: Annotated[str, Form()]) -> Response:
    """Relevant or not, from My alerts (signed in)."""
    from radar_api import feedback

    actor = _actor(request)
    try:
        feedback.vote(get_context(request).db, delivery_id, vote, actor)
    except (service.ConfigError, service.NotFoundError) as error:
        return _back("/alerts", error=str(error))
    return _back("/alerts", flash=f"alert {delivery_id}: thank you, noted as {vote.replace('_', ' ')}")


@router.post("/alerts/clear")
def clear_watchlist_entry(
    request: Request, list_name: Annotated[str, Form(alias="list")], entity_id: Annotated[str, Form()], alias: Annotated[str, Form()] = ""
) -> Response:
    """From My alerts: this list entry (or this alias of it) is noise for me, until the list changes it."""
    actor = _actor(request)
    try:
        row = service.clear_entry(get_context(request).db, actor.user_id, list_name, entity_id, alias)
    except (service.ConfigError, service.NotFoundError) as error:
        return _back("/alerts", error=str(error))
    what = f"{row.alias!r} ({list_name}/{entity_id})" if row.alias else f"{row.name} ({list_name}/{entity_id})"
    return _back("/alerts", flash=f"cleared {what}: it no longer alerts you until the list changes the entry")


@router.get("/feedback/{token}", response_class=HTMLResponse)
def feedback_link(request: Request, token: str) -> HTMLResponse:
    """A signed link from an email or Slack: no sign-in; the vote is taken by the button, so that a mail
    scanner or a link preview that opens the link does not vote."""
    from radar_api import feedback

    try:
        delivery_id, choice, title = feedback.vote_by_link(get_context(request).db, get_context(request).feedback_secret, token)
    except feedback.FeedbackError as error:
        return _page(request, "feedback.html", None, error=str(error), status_code=400)
    return _page(request, "feedback.html", None, token=token, choice=choice, title=title, delivery_id=delivery_id)


@router.post("/feedback/{token}", response_class=HTMLResponse)
def feedback_confirm(request: Request, token: str) -> HTMLResponse:
    from radar_api import feedback

    try:
        delivery_id, choice, title = feedback.vote_by_link(get_context(request).db, get_context(request).feedback_secret, token, choice="confirm")
    except feedback.FeedbackError as error:
        return _page(request, "feedback.html", None, error=str(error), status_code=400)
    return _page(request, "feedback.html", None, done=True, choice=choice, title=title, delivery_id=delivery_id)


@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions(request: Request) -> HTMLResponse:
    actor = _actor(request)
    ctx = get_context(request)
    return _page(request, "subscriptions.html", actor, subscriptions=service.list_subscriptions(ctx.db, actor, include_paused=True), topics=service.topic_names(),
                 watches=service.list_watches(ctx.db, actor), result=request.query_params.get("result"))


class NewSubscriptionForm(SubscriptionFields):
    channel_kind: str = "email"
    channel: str = Field("", max_length=4096)


@router.post("/subscriptions")
def add_subscription(request: Request, form: Annotated[NewSubscriptionForm, Form()]) -> Response:
    actor = _actor(request)
    ctx = get_context(request)
    try:
        url = channel_url(form.channel_kind, form.channel, ctx.settings.email_channel_url)
        sub = service.add_subscription(ctx.db, url, form.topics, form.watch_ids, form.min_score, ctx.channel_rules, form, actor,
                                       ctx.settings.max_subscriptions_per_user)
    except service.ConfigError as error:
        return _back("/subscriptions", error=str(error))
    return _back("/subscriptions", flash=f"subscription {sub.id} added")


@router.post("/subscriptions/{subscription_id}/pause")
def pause_subscription(request: Request, subscription_id: int) -> Response:
    return _set_enabled(request, subscription_id, False)


@router.post("/subscriptions/{subscription_id}/resume")
def resume_subscription(request: Request, subscription_id: int) -> Response:
    return _set_enabled(request, subscription_id, True)


def _set_enabled(request: Request, subscription_id: int, enabled: bool) -> Response:
    actor = _actor(request)
    try:
        service.set_subscription_enabled(get_context(request).db, subscription_id, enabled, actor)
    except service.NotFoundError as error:
        return _back("/subscriptions", error=str(error))
    return _back("/subscriptions", flash=f"subscription {subscription_id} {'resumed' if enabled else 'paused'}")


@router.get("/subscriptions/{subscription_id}/edit", response_class=HTMLResponse)
def edit_subscription_page(request: Request, subscription_id: int) -> Response:
    actor = _actor(request)
    ctx = get_context(request)
    try:
        sub = service.get_subscription(ctx.db, subscription_id, actor)
    except service.NotFoundError as error:
        return _back("/subscriptions", error=str(error))
    return _page(request, "subscription_edit.html", actor, sub=sub, topics=service.topic_names(), watches=service.list_watches(ctx.db, actor))


@router.post("/subscriptions/{subscription_id}/edit")
def edit_subscription(request: Request, subscription_id: int, form: Annotated[SubscriptionFields, Form()]) -> Response:
    actor = _actor(request)
    try:
        service.update_subscription(get_context(request).db, subscription_id, form.topics, form.watch_ids, form.min_score, form, actor)
    except service.ConfigError as error:
        return _back(f"/subscriptions/{subscription_id}/edit", error=str(error))
    except service.NotFoundError as error:
        return _back("/subscriptions", error=str(error))
    return _back("/subscriptions", flash=f"subscription {subscription_id} saved")


@router.post("/subscriptions/{subscription_id}/test")
async def test_subscription(request: Request, subscription_id: int) -> Response:
    actor = _actor(request)
    try:
        ctx = get_context(request)
        result = await service.send_test_alert(ctx.db, subscription_id, ctx.channel_rules, actor)
    except service.NotFoundError as error:
        return _back("/subscriptions", error=str(error))
    if result.ok:
        return _back("/subscriptions", flash=f"test alert sent to {result.service}")
    return _back("/subscriptions", error=f"test alert to {result.service} failed: {'; '.join(result.errors) or 'no reason given'}")


@router.get("/watches", response_class=HTMLResponse)
async def watches(request: Request, preview: str = "") -> HTMLResponse:
    actor = _actor(request)
    ctx = get_context(request)
    matches, preview_error, scanned = None, None, 0
    if preview:
        from radar_api.watchtest import recent_articles

        try:
            parse_query(preview)  # an invalid query is named before Kafka is read
            articles = await recent_articles(ctx.kafka_bootstrap, 500)
            scanned = len(articles)
            matches = match_query(preview, articles)
        except ValueError as error:
            preview_error = f"query: {error}"
        except Exception as error:  # noqa: BLE001 - Kafka down: say so on the page
            preview_error = f"recent articles could not be read from Kafka: {type(error).__name__}: {error}"
    return _page(request, "watches.html", actor, watches=service.list_watches(ctx.db, actor), preview=preview, matches=matches,
                 preview_error=preview_error, scanned=scanned)


@router.get("/watches/check")
def check_query(request: Request, query: str = "") -> JSONResponse:
    _actor(request)
    try:
        parse_query(query)
    except ValueError as error:
        return JSONResponse({"ok": False, "error": f"query: {error}"})
    return JSONResponse({"ok": True})


@router.post("/watches")
def add_watch(request: Request, query: Annotated[str, Form()], name: Annotated[str, Form()] = "") -> Response:
    actor = _actor(request)
    ctx = get_context(request)
    try:
        watch = service.add_watch(ctx.db, query, name, actor, ctx.settings.max_watches_per_user)
    except service.ConfigError as error:
        return _back("/watches", error=str(error))
    return _back("/watches", flash=f"watch {watch.id} added")


@router.post("/watches/{watch_id}/delete")
def delete_watch(request: Request, watch_id: int) -> Response:
    actor = _actor(request)
    try:
        service.remove_watch(get_context(request).db, watch_id, actor)
    except service.NotFoundError as error:
        return _back("/watches", error=str(error))
    return _back("/watches", flash=f"watch {watch_id} removed")


def _admin(request: Request) -> Actor:
    actor = _actor(request)
    if not actor.admin:
        raise SignInRequired
    return actor


@router.get("/feeds", response_class=HTMLResponse)
async def feeds(request: Request, preview: str = "") -> HTMLResponse:
    actor = _admin(request)
    status = get_context(request).status()
    entries, preview_error = None, None
    if preview:
        try:
            entries = await preview_url(preview.strip())
        except Exception as error:  # noqa: BLE001 - the page shows why the feed cannot be used
            preview_error = str(error) or type(error).__name__
    return _page(request, "feeds.html", actor, feeds=status.feeds, preview=preview, entries=entries, preview_error=preview_error)


@router.get("/feeds/export.opml")
def export_opml(request: Request) -> Response:
    """The feed list as OPML 2.0, for another reader (admins, as the feed list is)."""
    from radar_api.opml import OPMLFeed, render_opml

    _admin(request)
    body = render_opml([OPMLFeed(url, title) for url, title in service.export_feeds(get_context(request).db)])
    return Response(body, media_type="text/x-opml", headers={"Content-Disposition": 'attachment; filename="radar-feeds.opml"'})


@router.post("/feeds/import")
async def import_opml(request: Request) -> Response:
    _admin(request)
    from radar_api.opml import OPMLError, parse_opml

    form = await request.form()
    upload = form.get("opml")
    if upload is None or isinstance(upload, str):
        return _back("/feeds", error="opml: choose an OPML file")
    try:
        items = parse_opml(await upload.read(), upload.filename or "OPML file")
    except OPMLError as error:
        return _back("/feeds", error=f"opml: {error}")
    report = service.import_feeds(get_context(request).db, [(f.url, f.title) for f in items], get_context(request).feeds.allowed_networks)
    message = f"{len(report.added)} feed(s) added, {len(report.existing)} already there, {len(report.refused)} refused"
    return _back("/feeds", flash=message, error="; ".join(report.refused)[:1000] or None)


@router.post("/feeds")
def add_feed(request: Request, url: Annotated[str, Form()], title: Annotated[str, Form()] = "", full_text_below: Annotated[str, Form()] = "") -> Response:
    _admin(request)
    ctx = get_context(request)
    try:
        if full_text_below.strip() and not full_text_below.strip().isdigit():
            raise service.ConfigError("full_text_below: a number of characters, or empty for off")
        threshold = int(full_text_below) if full_text_below.strip() else None
        feed = service.add_feed(ctx.db, url.strip(), title, None, ctx.feeds.allowed_networks, threshold)
    except service.ConfigError as error:
        return _back("/feeds", error=str(error))
    return _back("/feeds", flash=f"feed {feed.id} added")


@router.get("/status", response_class=HTMLResponse)
async def status_page(request: Request) -> HTMLResponse:
    actor = _admin(request)
    from radar_api.kafka_status import kafka_status

    ctx = get_context(request)
    status = ctx.status()
    kafka = await kafka_status(ctx.kafka_bootstrap)
    failed = service.list_deliveries(ctx.db, actor, failed_only=True, limit=50)
    from radar_api.feedback import precision_by_tag

    return _page(request, "status.html", actor, status=status, kafka=kafka, failed=failed, chart=messages_chart(kafka), precision=precision_by_tag(ctx.db))


def messages_chart(kafka: Any) -> Markup:
    """Messages per hour over the last 24 hours, a row per Kafka topic."""
    from radar_api.charts import bars_svg, hour_labels
    from radar_api.kafka_status import HOURS

    if not kafka.per_hour:
        return Markup("")
    labels = hour_labels(datetime.fromtimestamp(kafka.hours_from, UTC) + timedelta(hours=HOURS - 1), HOURS)
    return bars_svg(kafka.per_hour, labels, f"Messages per hour over {HOURS} hours, by topic (UTC)")


@router.post("/deliveries/{delivery_id}/resend")
def resend(request: Request, delivery_id: int) -> Response:
    _admin(request)
    queued = service.resend(get_context(request).db, [delivery_id])
    return _back("/status", flash=f"delivery {delivery_id} queued to send again" if queued else None,
                 error=None if queued else f"delivery {delivery_id} is not failed")


@router.post("/dlq/replay")
async def replay(request: Request) -> Response:
    _admin(request)
    from radar_api.dlq import replay as replay_dead_letters

    replayed = await replay_dead_letters(get_context(request).kafka_bootstrap)
    return _back("/status", flash=f"{len(replayed)} dead letter(s) replayed")


def install(app: Any) -> None:
    app.include_router(router)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, _: SignInRequired) -> Response:
        response = RedirectResponse("/signin", status_code=303)
        if request.state.actor is None and request.cookies.get(COOKIE):  # a stale cookie: not sent (and counted as a failure) again
            response.delete_cookie(COOKIE)
        return response
