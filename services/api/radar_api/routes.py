"""The REST API (/v1): the same service layer as the CLI, with authentication, ownership, limits and quotas."""

import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from pydantic import BaseModel, Field, field_validator

from radar_api import service
from radar_api.auth import Actor, authenticate, hash_token
from radar_api.config import ApiSettings
from radar_api.ratelimit import RateLimiter, retry_after
from radar_shared.channel_urls import ChannelRules
from radar_shared.settings import FeedSettings
from radar_shared.subscriptions import SubscriptionOptions


class Context:
    """What the routes need: the database, settings, the channel and feed rules shared with the services, and the
    rate limiter (its counters in the database, shared by every API process)."""

    def __init__(self, db: str, settings: ApiSettings, channel_rules: ChannelRules, feeds: FeedSettings, kafka_bootstrap: str = "localhost:9092",
                 heartbeat_seconds: float = 10.0, feedback_secret: str = "") -> None:
        self.db = db
        self.feedback_secret = feedback_secret  # checks the signed "relevant / not relevant" links of alerts
        self.kafka_bootstrap = kafka_bootstrap
        self.heartbeat_seconds = heartbeat_seconds
        self.settings = settings
        self.channel_rules = channel_rules
        self.feeds = feeds  # allowed networks of feed URLs; stale thresholds of the status
        self.limiter = RateLimiter(db)

    def status(self) -> service.Status:
        """The status page's figures, with the stale thresholds of FEED_WATCHER_STALE_* (as `radar status`)."""
        return service.status(self.db, self.heartbeat_seconds, stale_factor=self.feeds.stale_factor, stale_min_seconds=self.feeds.stale_min_seconds)

    def enforce_rate_limit(self, bucket: str) -> None:
        """Count a request in `bucket` (token_bucket or address_bucket); HTTP 429 with Retry-After beyond
        API_RATE_LIMIT_PER_MINUTE (the API and the web page alike)."""
        now = time.time()
        if self.limiter.hit(bucket, now) > self.settings.rate_limit_per_minute:
            raise HTTPException(429, f"rate limit: {self.settings.rate_limit_per_minute} requests per minute", headers={"Retry-After": str(retry_after(now))})

    def refuse_if_failing(self, address: str) -> None:
        """HTTP 429 when `address` has had API_AUTH_FAILURES_PER_MINUTE failed authentications in this window:
        checked before a token is, so that a right guess looks like a wrong one."""
        now = time.time()
        if self.limiter.count(f"failed:{address}", now) >= self.settings.auth_failures_per_minute:
            raise HTTPException(429, f"authorization: {self.settings.auth_failures_per_minute} failed attempts per minute from this address",
                                headers={"Retry-After": str(retry_after(now))})

    def count_failure(self, address: str) -> None:
        self.limiter.hit(f"failed:{address}")

    def authenticate(self, token: str, address: str) -> Actor | None:
        """The token's actor, its request counted in its bucket; None (and a failure of `address` counted) for
        an unknown or revoked token; 429 when the address has failed too often or the token is over its limit."""
        self.refuse_if_failing(address)
        actor = authenticate(self.db, token)
        if actor is None:
            self.count_failure(address)
            return None
        self.enforce_rate_limit(token_bucket(token))
        return actor


def token_bucket(token: str) -> str:
    return f"token:{hash_token(token)}"


def client_address(request: Request) -> str:
    """The client's address (behind a reverse proxy, uvicorn takes it from X-Forwarded-For of FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "?"


def address_bucket(request: Request) -> str:
    return f"address:{client_address(request)}"


bearer = HTTPBearer(auto_error=False, description="An API token from `radar tokens create USER`.")


def get_context(request: Request) -> Context:
    return request.app.state.context  # type: ignore[no-any-return]


def current_actor(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Actor:
    ctx = get_context(request)
    if credentials is None:
        ctx.enforce_rate_limit(address_bucket(request))
        raise HTTPException(401, "authorization: send an API token as 'Authorization: Bearer …'", headers={"WWW-Authenticate": "Bearer"})
    actor = ctx.authenticate(credentials.credentials, client_address(request))
    if actor is None:
        raise HTTPException(401, "authorization: unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return actor


basic = HTTPBasic(auto_error=False, description="For feed readers: any user name, an API token as the password.")


def reader_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)], password: Annotated[HTTPBasicCredentials | None, Depends(basic)],
) -> Actor:
    """A bearer token, or HTTP Basic with the token as the password: feed readers can send the latter."""
    if credentials is None and password is not None:
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=password.password)
    if credentials is None:
        get_context(request).enforce_rate_limit(address_bucket(request))
        raise HTTPException(401, "authorization: send an API token (Bearer, or as the Basic password)", headers={"WWW-Authenticate": 'Basic realm="Radar"'})
    return current_actor(request, credentials)


def admin_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if not actor.admin:
        raise HTTPException(403, "role: this needs an admin token")
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
AdminDep = Annotated[Actor, Depends(admin_actor)]
ContextDep = Annotated[Context, Depends(get_context)]


# ---- bodies and answers ---------------------------------------------------------------------------------

def unicode_text(value: Any) -> Any:
    """The value, or ValueError when a string in it cannot be stored (service.text_refusal: a lone surrogate,
    which JSON can escape, or a NUL, which PostgreSQL refuses)."""
    if isinstance(value, str):
        if reason := service.text_refusal(value):
            raise ValueError(reason)
    elif isinstance(value, list | tuple):
        for item in value:
            unicode_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            unicode_text(key)
            unicode_text(item)
    return value


class Body(BaseModel):
    """Every request body and form: its strings are text every database holds, or the request gets 422 naming the field."""

    @field_validator("*", mode="before")
    @classmethod
    def _unicode(cls, value: Any) -> Any:
        return unicode_text(value)


class WatchIn(Body):
    query: str = Field(max_length=2000, examples=['"Sky Morning" OR "Rich Glory"'])
    name: str = Field("", max_length=200)


class WatchOut(BaseModel):
    id: int
    query: str
    name: str
    created_at: datetime


class SubscriptionFields(SubscriptionOptions, Body):
    """What a subscription matches and its seven options (the shared SubscriptionOptions), as the API's bodies
    and the web page's forms carry them."""

    topics: list[str] = Field(default_factory=list, max_length=20)
    watch_ids: list[int] = Field(default_factory=list, max_length=100)
    min_score: float = 0.0

    @field_validator("quiet_start", "quiet_end", "max_per_hour", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value  # an empty form field means "not set"

    @field_validator("timezone", mode="before")
    @classmethod
    def _empty_is_utc(cls, value: Any) -> Any:
        return "UTC" if value is None or (isinstance(value, str) and not value.strip()) else value


class SubscriptionCreate(SubscriptionFields):
    channel: str = Field(max_length=4096, description="An Apprise URL (mailto://…, slack://…, https://hooks.slack.com/services/…). Write-only: shown masked.")


class SubscriptionUpdate(SubscriptionFields):
    enabled: bool = Field(True, description="false pauses the subscription")


class SubscriptionPublic(SubscriptionOptions):
    """A subscription as the API shows it: its seven options, flat and (as before) under `policy`."""

    id: int
    channel: str = Field(description="Masked (Apprise's privacy form).")
    topics: list[str]
    watch_ids: list[int]
    min_score: float
    schedule: str
    policy: dict[str, Any] = Field(description="The seven options again, as one object (kept for clients of the first API).")
    enabled: bool = True


class FeedIn(Body):
    url: str = Field(max_length=2048)
    title: str = Field("", max_length=500)
    interval: int | None = None
    full_text_below: int | None = Field(None, description="Fetch the article page when an entry's text is shorter than this many characters.")
    allowed_networks: list[str] = Field(
        default_factory=list, max_length=100,
        description="Entries (ADDRESS:PORTS) its redirects and article pages may reach beyond public addresses, each within FEED_WATCHER_ALLOWED_NETWORKS.",
    )


class DeliveryOut(BaseModel):
    id: int
    subscription_id: int
    story_id: str
    article_id: str
    title: str
    tags: list[str]
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    url: str | None
    evidence: list[dict[str, Any]] = Field(description="Per tag: score and the snippets that matched.")


def _subscription_out(row: service.SubscriptionRow) -> SubscriptionPublic:
    options = row.policy.model_dump()
    return SubscriptionPublic(id=row.id, channel=row.channel, topics=row.topics, watch_ids=row.watch_ids, min_score=row.min_score, schedule=row.schedule,
                              policy=options, enabled=row.enabled, **options)


def _delivery_out(d: Any) -> DeliveryOut:
    alert = service.alert_record(d)
    evidence = [{"tag": t.tag, "score": t.score, "snippets": [s.marked for s in t.snippets]} for t in (alert.tags if alert else [])]
    return DeliveryOut(id=d.id, subscription_id=d.subscription_id, story_id=d.story_id, article_id=d.article_id, title=d.title, tags=d.tags,
                       status=d.status, attempts=d.attempts, last_error=d.last_error, created_at=d.created_at, sent_at=d.sent_at,
                       url=alert.article.url if alert else None, evidence=evidence)


# ---- routes ------------------------------------------------------------------------------------------

router = APIRouter(prefix="/v1")


@router.get("/me", tags=["auth"])
def me(actor: ActorDep) -> dict[str, Any]:
    return {"id": actor.user_id, "name": actor.name, "role": "admin" if actor.admin else "user"}


class ClearIn(Body):
    list: str = Field(max_length=100, description="The list's name, as in the tag watchlist:<list>.")
    entity_id: str = Field(max_length=200, description="The entry's id on that list.")
    alias: str = Field("", max_length=1000, description="Clear only this name of the entry; empty: the whole entry.")


class ClearOut(BaseModel):
    id: int
    list: str
    entity_id: str
    alias: str
    name: str
    active: bool = Field(description="False once the entry has changed on the list: it alerts again.")
    created_at: datetime


def _clear_out(row: Any) -> ClearOut:
    return ClearOut(id=row.id, list=row.list_name, entity_id=row.entity_id, alias=row.alias, name=row.name, active=row.active, created_at=row.created_at)


@router.get("/me/watchlist-clears", tags=["watchlists"])
def list_clears(actor: ActorDep, ctx: ContextDep) -> list[ClearOut]:
    """Your clears: watchlist entries (or aliases) that do not alert you while the list keeps them unchanged."""
    return [_clear_out(r) for r in service.list_clears(ctx.db, actor.user_id)]


@router.post("/me/watchlist-clears", status_code=201, tags=["watchlists"])
def add_clear(body: ClearIn, actor: ActorDep, ctx: ContextDep) -> ClearOut:
    """Clear an entry or one alias of it for yourself, until the entry changes on the list."""
    return _clear_out(service.clear_entry(ctx.db, actor.user_id, body.list, body.entity_id, body.alias))


@router.delete("/me/watchlist-clears/{clear_id}", status_code=204, tags=["watchlists"])
def remove_clear(clear_id: int, actor: ActorDep, ctx: ContextDep) -> None:
    service.remove_clear(ctx.db, actor.user_id, clear_id)


@router.get("/watches", tags=["watches"])
def list_watches(actor: ActorDep, ctx: ContextDep) -> list[WatchOut]:
    return [WatchOut(id=w.id, query=w.query, name=w.name, created_at=w.created_at) for w in service.list_watches(ctx.db, actor)]  # type: ignore[arg-type]


@router.post("/watches", status_code=201, tags=["watches"])
def add_watch(body: WatchIn, actor: ActorDep, ctx: ContextDep) -> WatchOut:
    w = service.add_watch(ctx.db, body.query, body.name, actor, ctx.settings.max_watches_per_user)
    return WatchOut(id=w.id, query=w.query, name=w.name, created_at=w.created_at)  # type: ignore[arg-type]


@router.delete("/watches/{watch_id}", status_code=204, tags=["watches"])
def remove_watch(watch_id: int, actor: ActorDep, ctx: ContextDep) -> None:
    service.remove_watch(ctx.db, watch_id, actor)


@router.get("/subscriptions", tags=["subscriptions"])
def list_subscriptions(actor: ActorDep, ctx: ContextDep) -> list[SubscriptionPublic]:
    return [_subscription_out(r) for r in service.list_subscriptions(ctx.db, actor, include_paused=True)]


@router.post("/subscriptions", status_code=201, tags=["subscriptions"])
def add_subscription(body: SubscriptionCreate, actor: ActorDep, ctx: ContextDep) -> SubscriptionPublic:
    sub = service.add_subscription(ctx.db, body.channel, body.topics, body.watch_ids, body.min_score, ctx.channel_rules, body, actor,
                                   ctx.settings.max_subscriptions_per_user)
    return _subscription_out(service.get_subscription(ctx.db, sub.id, actor))  # type: ignore[arg-type]


@router.put("/subscriptions/{subscription_id}", tags=["subscriptions"])
def update_subscription(subscription_id: int, body: SubscriptionUpdate, actor: ActorDep, ctx: ContextDep) -> SubscriptionPublic:
    """Change topics, watches, score, schedule, quiet hours and limit, or pause (`enabled: false`); the channel stays."""
    service.update_subscription(ctx.db, subscription_id, body.topics, body.watch_ids, body.min_score, body, actor)
    service.set_subscription_enabled(ctx.db, subscription_id, body.enabled, actor)
    return _subscription_out(service.get_subscription(ctx.db, subscription_id, actor))


@router.delete("/subscriptions/{subscription_id}", status_code=204, tags=["subscriptions"])
def remove_subscription(subscription_id: int, actor: ActorDep, ctx: ContextDep) -> None:
    service.remove_subscription(ctx.db, subscription_id, actor)


@router.post("/subscriptions/{subscription_id}/test", tags=["subscriptions"])
async def test_subscription(subscription_id: int, actor: ActorDep, ctx: ContextDep) -> dict[str, Any]:
    """Send a sample alert; the answer is Apprise's result for the channel (errors included)."""
    result = await service.send_test_alert(ctx.db, subscription_id, ctx.channel_rules, actor)
    return result.as_dict()  # type: ignore[no-any-return]


@router.get("/deliveries", tags=["deliveries"])
def list_deliveries(actor: ActorDep, ctx: ContextDep, failed: bool = False, limit: Annotated[int, Field(ge=1, le=service.MAX_LISTED)] = 100) -> list[DeliveryOut]:
    return [_delivery_out(d) for d in service.list_deliveries(ctx.db, actor, failed, limit)]


@router.get("/me/alerts.atom", tags=["deliveries"], response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
def alerts_atom(request: Request, actor: Annotated[Actor, Depends(reader_actor)], ctx: ContextDep) -> Response:
    """Your latest 100 alerts as an Atom feed, for a feed reader (Basic auth: any user name, an API token as the password)."""
    from radar_api.atom import render_alerts_atom

    rows = [d for d in service.list_deliveries(ctx.db, actor, limit=100) if d.status != "suppressed"]
    return Response(render_alerts_atom(rows, actor.name, str(request.url)), media_type="application/atom+xml")


@router.get("/topics", tags=["watches"])
def topics(actor: ActorDep) -> list[str]:
    return service.topic_names()


@router.get("/feeds", tags=["feeds"])
def list_feeds(actor: AdminDep, ctx: ContextDep) -> list[dict[str, Any]]:
    """Feeds and their health (admins: feed URLs and errors can name the operator's sources, decision 007)."""
    return [{"id": f.id, "url": f.url, "title": f.title, "enabled": f.enabled, "error_streak": st.error_streak if st else 0,
             "last_poll_at": st.last_poll_at if st else None, "last_error": st.last_error if st else None, "full_text_below": f.full_text_below_chars,
             "allowed_networks": f.allowed_networks, "pages_fetched": st.pages_fetched if st else 0, "pages_failed": st.pages_failed if st else 0,
             "last_page_error": st.last_page_error if st else None} for f, st in service.list_feeds(ctx.db)]


@router.post("/feeds", status_code=201, tags=["feeds"])
def add_feed(body: FeedIn, actor: AdminDep, ctx: ContextDep) -> dict[str, Any]:
    feed = service.add_feed(ctx.db, body.url, body.title, body.interval, ctx.feeds.allowed_networks, body.full_text_below, body.allowed_networks)
    return {"id": feed.id, "url": feed.url, "title": feed.title, "full_text_below": feed.full_text_below_chars, "allowed_networks": feed.allowed_networks}


@router.delete("/feeds/{feed_id}", status_code=204, tags=["feeds"])
def remove_feed(feed_id: int, actor: AdminDep, ctx: ContextDep) -> None:
    service.remove_feed(ctx.db, feed_id)


@router.get("/channels", tags=["subscriptions"])
def list_channels(actor: ActorDep, ctx: ContextDep) -> list[dict[str, Any]]:
    """Your channels, masked: a channel URL is write-only (it is given when subscribing)."""
    return [{"id": c.id, "kind": c.kind, "channel": c.masked, "subscriptions": c.subscriptions} for c in service.list_channels(ctx.db, actor)]


@router.get("/status", tags=["status"])
async def status(actor: AdminDep, ctx: ContextDep) -> dict[str, Any]:
    """What the status page shows: services, feeds, deliveries, consumer lag, dead letters, the last hour."""
    from dataclasses import asdict

    from radar_api.kafka_status import kafka_status

    st = ctx.status()
    kafka = await kafka_status(ctx.kafka_bootstrap)
    return {
        "services": [{**asdict(x), "summary": x.summary} for x in st.services],
        "feeds": [{**asdict(f), "health": f.health} for f in st.feeds],
        "deliveries": st.deliveries,
        "kafka": {"error": kafka.error, "lag": [{**asdict(x), "lag": x.lag} for x in kafka.lags], "dead_letters": kafka.dead_letters, "last_hour": kafka.last_hour},
    }


@router.get("/watchlists", tags=["watches"])
def watchlists(actor: ActorDep, ctx: ContextDep) -> dict[str, int]:
    return service.list_watchlists(ctx.db)


# ---- errors and limits ---------------------------------------------------------------------------------

def _field_of(message: str) -> str:
    head, sep, _ = message.partition(":")
    return head if sep and " " not in head.strip("/") else ""


def install(app: FastAPI, ctx: Context) -> None:
    app.state.context = ctx
    app.include_router(router)

    @app.exception_handler(service.QuotaError)
    async def quota(_: Request, error: service.QuotaError) -> JSONResponse:
        return JSONResponse({"detail": str(error), "field": _field_of(str(error))}, status_code=403)

    @app.exception_handler(service.ConfigError)
    async def invalid(_: Request, error: service.ConfigError) -> JSONResponse:
        return JSONResponse({"detail": str(error), "field": _field_of(str(error))}, status_code=400)

    @app.exception_handler(service.NotFoundError)
    async def missing(_: Request, error: service.NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        loc = list(first["loc"])
        field = ".".join(str(p) for p in (loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc))  # a field may be named "query"
        detail = f"{field or 'body'}: {first['msg'].removeprefix('Value error, ')}"
        if request.method == "POST" and not request.url.path.startswith("/v1/"):  # a web form: back to its page, with the error
            return RedirectResponse(f"{request.url.path}?{urlencode({'error': detail})}", status_code=303)
        # ASCII-escaped JSON: the offending input is echoed back, and it may be a lone surrogate no UTF-8 can hold
        content = json.dumps({"detail": detail, "field": field, "errors": jsonable(error.errors())}, ensure_ascii=True)
        return Response(content, status_code=422, media_type="application/json")

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > ctx.settings.max_body_bytes):
            return JSONResponse({"detail": f"body: larger than {ctx.settings.max_body_bytes} bytes"}, status_code=413)
        if length is None and request.method in ("POST", "PUT", "PATCH"):
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > ctx.settings.max_body_bytes:
                    return JSONResponse({"detail": f"body: larger than {ctx.settings.max_body_bytes} bytes"}, status_code=413)
            request._body = body  # read once here; the route reads it from the cache
        return await call_next(request)


def jsonable(errors: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str})
