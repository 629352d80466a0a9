"""Salesforce's throttling, waited out below simple-salesforce (which would raise it at once)."""

from __future__ import annotations

import time
from typing import Any

import requests

MAX_WAIT = 300.0  # the longest single Retry-After honoured, in seconds


class ThrottledSession(requests.Session):
    """Waits out Salesforce's throttling: REQUEST_LIMIT_EXCEEDED comes as a 403 (which urllib3's retry
    cannot tell from a permission refusal), and a 429 with Retry-After from some edges. The last answer
    goes back to simple-salesforce, which raises it."""

    def __init__(self, retries: int, backoff: float) -> None:
        super().__init__()
        self.retries, self.backoff, self.count = retries, backoff, 0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        for attempt in range(self.retries + 1):
            self.count += 1
            response = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
            limited = response.status_code == 429 or (
                response.status_code == 403 and "REQUEST_LIMIT_EXCEEDED" in response.text
            )
            if not limited or attempt == self.retries:
                return response
            after = response.headers.get("Retry-After", "")
            time.sleep(min(float(after), MAX_WAIT) if after.isdigit() else self.backoff * 2**attempt)
        raise AssertionError("unreachable")
