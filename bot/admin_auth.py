"""The admin API's bearer token, checked before anything reads the request body."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.settings import Settings

log = logging.getLogger(__name__)
bearer = HTTPBearer(auto_error=False)


def check_admin_token(request: Request, given: str) -> None:
    settings: Settings = request.app.state.settings
    expected = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "admin token required", {"WWW-Authenticate": "Bearer"})


def require_admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """The dependency (it also puts the bearer scheme in the OpenAPI document); VerifiedRoute checks first."""
    check_admin_token(request, credentials.credentials if credentials else "")


class VerifiedRoute(APIRoute):
    """The admin token is checked before FastAPI reads the body (it parses it before running dependencies),
    and a body that is not JSON is a 400 with one log line; a JSON body of the wrong shape stays a 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def verified(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            check_admin_token(request, token if scheme.lower() == "bearer" else "")
            try:
                return await handler(request)
            except RequestValidationError as exc:
                if not any(error.get("type") == "json_invalid" for error in exc.errors()):
                    raise
                log.info("Admin request refused (400): body is not JSON on %s", request.url.path)
                return JSONResponse({"detail": "body is not JSON"}, status_code=status.HTTP_400_BAD_REQUEST)
            except StarletteHTTPException as exc:  # FastAPI raises Starlette's own while reading a body
                if exc.status_code == status.HTTP_400_BAD_REQUEST:  # FastAPI's: a body it cannot decode
                    log.info("Admin request refused (400): %s on %s", exc.detail, request.url.path)
                raise

        return verified
