"""The FastAPI application behind `tandem serve`: Slack events, Teams messages, health and admin routes."""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.db import Database, schema_is_current
from bot.settings import Settings, get_settings

# Every endpoint's body cap: Slack's largest legitimate payload (a full modal submission) is tens of kilobytes.
# FastAPI refuses a declared Content-Length over it before reading, and counts the bytes of a chunked body as
# they arrive, so no more than this is ever read into memory: 413 either way.
MAX_REQUEST_BODY = 1024 * 1024


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = db or Database(settings.database_url)
    app = FastAPI(title="Tandem", version="0.1.0", max_body_size=MAX_REQUEST_BODY)
    app.state.settings = settings
    app.state.db = db

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Response:
        """The database answers and its schema is current: ready for traffic."""
        try:
            ready = schema_is_current(db.engine)
        except Exception:
            ready = False
        body = {"status": "ready" if ready else "not ready"}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    from bot.admin_api import router as admin_router

    app.include_router(admin_router)
    # Platform routers mount here (each feature adds its own include line).
    if settings.slack_configured:
        from bot.slack.routes import slack_router

        app.include_router(slack_router(settings, db))
    if settings.teams_configured:
        from bot.teams.routes import teams_router

        app.include_router(teams_router(settings, db))
    return app
