"""Drive a real ``ticket-console serve`` process in tests: start on a topic set, call its API, read its outputs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.integration.router_process import ServiceProcess


class ConsoleProcess(ServiceProcess):
    """One ``ticket-console serve`` subprocess with its JSON API; every call is made as ``agent``."""

    name = "console"
    env_prefix = "TICKET_CONSOLE_"

    def __init__(self, script: Path, bootstrap: str, env: dict[str, str], log_path: Path) -> None:
        defaults = {"TICKET_CONSOLE_BOOTSTRAP_SERVERS": bootstrap, "TICKET_CONSOLE_RECONNECT_BACKOFF_MAX_S": "1"}
        super().__init__(script, {**defaults, **env}, log_path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body: Any = None, agent: str | None = "alice") -> tuple[int, Any]:
        """Status and JSON body of one API call."""
        headers = {"Content-Type": "application/json"}
        if agent is not None:
            headers["X-Forwarded-User"] = agent
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def open_ids(self) -> list[str]:
        status, body = self.call("GET", "/api/items?limit=500")
        assert status == 200, body
        return [item["event_id"] for item in body["items"]]
