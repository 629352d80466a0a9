"""The FastAPI application behind `tandem serve`: Slack events, Teams messages, health and admin routes."""

from __future__ import annotations

from fastapi import FastAPI

from bot.db import Database
from bot.settings import Settings, get_settings


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = db or Database(settings.database_url)
    app = FastAPI(title="Tandem", version="0.1.0")
    app.state.settings = settings
    app.state.db = db

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from bot.admin_api import router as admin_router

    app.include_router(admin_router)
    # Platform routers mount here (each feature adds its own include line).
    if settings.slack_configured:
        from bot.slack.routes import slack_router

        app.include_router(slack_router(settings, db))
    return app
