"""Control-plane API settings (`API_*`)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="API_", env_file=".env", extra="ignore")

    http_port: int = Field(8080, description="The REST API (/v1, /docs).")
    max_body_bytes: int = Field(65536, gt=0, description="Largest request body; larger ones get 413.")
    rate_limit_per_minute: int = Field(120, gt=0, description=(
        "Requests per token per minute (per client address before sign-in), counted in the database for all API processes together; "
        "beyond it, 429 with Retry-After."))
    auth_failures_per_minute: int = Field(20, gt=0, description=(
        "Failed authentications (unknown tokens, wrong sign-ins, bad cookies) per client address per minute; "
        "beyond them, 429 for every authentication from that address until the minute ends."))
    max_watches_per_user: int = Field(100, gt=0, description="Quota of watches per (non-admin) user.")
    max_subscriptions_per_user: int = Field(50, gt=0, description="Quota of subscriptions per (non-admin) user.")
    email_channel_url: str = Field(
        "mailto://localhost:25?from=radar@localhost",
        description="Apprise mail URL (your SMTP server) that the web page adds `&to=ADDRESS` to when a user gives only an email address.",
    )
    cookie_secure: bool = Field(False, description="Mark the web page's sign-in cookie Secure (set true behind HTTPS).")
    demo_inbox: str = Field("", description="`make demo` only: the JSON Lines file of what the demo's SMTP catcher and Slack stand-in received, shown at /demo.")
