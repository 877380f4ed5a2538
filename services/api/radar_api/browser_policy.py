"""What browsers are told and what they may do: security headers on every answer, and no state-changing web
request from another site.

The sign-in cookie is SameSite=Strict (decision 007); as a second line, a POST, PUT, PATCH or DELETE to the web
page must carry an Origin (or, without one, a Referer) naming this site, as every browser sends with its own
forms, or it gets 403. The REST API (/v1) is left out: it reads bearer tokens from a header, never a cookie,
so another site cannot make a browser send one. Pages may load scripts and styles from this site only (no
inline script or style), may not be framed, and send no Referer to other sites.
"""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
# FastAPI's /docs and /redoc load Swagger UI and ReDoc from a CDN and start them with an inline script; they show
# only the OpenAPI document, which comes from the code.
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
            "https://fonts.googleapis.com; font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
            "connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'")
DOCS = ("/docs", "/redoc")
HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def security_headers(path: str) -> dict[str, str]:
    csp = DOCS_CSP if path.startswith(DOCS) else PAGE_CSP
    return {**HEADERS, "Content-Security-Policy": csp}


def cross_site(method: str, path: str, headers: Any) -> str | None:
    """Why a request must be refused as cross-site, or None. `headers` is case-insensitive (Starlette's)."""
    if method not in UNSAFE_METHODS or path.startswith("/v1/"):
        return None
    source = headers.get("origin") or headers.get("referer")
    if not source:
        return "origin: a form must come from this site (the request names no Origin or Referer)"
    sites = {h.lower() for h in (headers.get("host"), headers.get("x-forwarded-host")) if h}  # a browser cannot set X-Forwarded-Host
    if urlsplit(source).netloc.lower() not in sites:
        return "origin: a form from another site is refused"
    return None


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def browser_policy(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        reason = cross_site(request.method, request.url.path, request.headers)
        response = JSONResponse({"detail": reason, "field": "origin"}, status_code=403) if reason else await call_next(request)
        response.headers.update(security_headers(request.url.path))
        return response
