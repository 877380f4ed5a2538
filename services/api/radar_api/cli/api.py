"""`radar api`: serve the REST API and the web page (also `python -m radar_api`)."""

import click


@click.command("api")
@click.option("--host", default=None, help="Default: HTTP_HOST.")
@click.option("--port", type=int, default=None, help="Default: API_HTTP_PORT.")
def api(host: str | None, port: int | None) -> None:
    """Serve the REST API (OpenAPI at /docs)."""
    import uvicorn

    from radar_api.app import create_app
    from radar_api.config import ApiSettings
    from radar_shared.settings import SharedSettings

    uvicorn.run(create_app(), host=host or SharedSettings().http_host, port=port or ApiSettings().http_port, log_level="info")
