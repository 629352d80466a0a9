"""A cap on request bodies for every endpoint: larger ones get 413 before the application reads them.

Slack's largest legitimate payload (a modal submission with every field filled) is tens of kilobytes, a
Teams activity smaller still; the cap leaves ample room. A declared Content-Length over the cap is refused
before a byte of the body is read; without one (chunked), or if it lies, the bytes are counted as they
arrive and the request is refused as soon as the count passes the cap, so at most `limit` bytes of a request
are ever held. The body is then handed to the application unchanged.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
MAX_REQUEST_BODY = 1024 * 1024
TOO_LARGE = b'{"detail":"request body too large"}'


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        log.info("Request refused: body over %d bytes on %s", self.limit, scope.get("path", ""))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(TOO_LARGE)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": TOO_LARGE})


def _replay(body: bytes, receive: Receive) -> Receive:
    """The counted body as one message, then the server's own messages (a disconnect) as they come."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
