"""A headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``).

The pipe needs no port and no Python package beyond the standard library: commands go in on the
child's fd 3 and replies and events come out on fd 4, each a JSON message ended by a NUL byte.
Every read has a deadline, so a browser that stops answering raises instead of hanging. Several
commands can be sent before their replies are read (:meth:`Chromium.call_many`), which is what
makes reading a few hundred element boxes take milliseconds rather than a round trip each.

Example (needs ``chromium``; Debian: ``apt-get install chromium``):
    >>> if chromium_path():
    ...     with Chromium() as browser:
    ...         browser.call("Runtime.evaluate", {"expression": "6 * 7", "returnByValue": True})["result"]["value"]
    ... else:
    ...     42
    42
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import weakref
from collections.abc import Sequence
from typing import Any

from ..devtools_pipe import start_with_pipe, stop_browser
from ..errors import CaptureError, MissingProgramError

EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_CHROMIUM = "apt-get install chromium (Debian/Ubuntu)"

# Quiet, reproducible: no background traffic (updates, safe browsing, metrics), no first-run UI,
# fonts without hinting so glyphs do not move with the viewport.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--hide-scrollbars",
    "--no-first-run", "--no-default-browser-check", "--mute-audio", "--disable-extensions",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--metrics-recording-only", "--no-pings", "--font-render-hinting=none",
    "--disable-features=Translate,MediaRouter,OptimizationHints,InterestFeedContentSuggestions",
)


def chromium_path() -> str | None:
    """The first Chromium-like browser on ``PATH``, or ``None``.

    Example:
        >>> chromium_path() is None or "chrom" in chromium_path()
        True
    """
    return next((p for p in map(shutil.which, EXECUTABLES) if p), None)


class Chromium:
    """One headless browser with one page attached; :meth:`call` runs a DevTools command on the page.

    Events arriving while waiting for replies are kept (:meth:`wait_event` takes them).
    Use it as a context manager, or call :meth:`close`; the browser also stops when the object is collected.
    """

    def __init__(self, executable: str | None = None, *, timeout_s: float = 30.0) -> None:
        exe = executable or chromium_path()
        if exe is None:
            raise MissingProgramError("chromium", INSTALL_CHROMIUM, "capturing web pages")
        self.timeout_s = float(timeout_s)
        self._profile = tempfile.mkdtemp(prefix="simpleseg-capture-")
        self._proc, self._w, self._r = start_with_pipe([exe, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"])
        self._buf = b""
        self._id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._finalizer = weakref.finalize(self, Chromium._shutdown, self._proc, self._w, self._r, self._profile)
        targets = self.call("Target.getTargets", session=False)["targetInfos"]
        page = next(t["targetId"] for t in targets if t["type"] == "page")
        self._session = self.call("Target.attachToTarget", {"targetId": page, "flatten": True}, session=False)["sessionId"]

    # -- the pipe ---------------------------------------------------------------------------
    def _send(self, method: str, params: dict[str, Any] | None, session: bool) -> int:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self._session
        try:
            self._w.write(json.dumps(msg).encode() + b"\0")
        except OSError as exc:
            raise CaptureError(f"Chromium is not answering ({exc})") from None
        return self._id

    def _read_one(self, deadline: float) -> None:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise CaptureError(f"Chromium did not answer within {self.timeout_s:g} s")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise CaptureError("Chromium closed its DevTools pipe (did it crash?)")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        msg = json.loads(raw)
        if "id" in msg:
            self._replies[msg["id"]] = msg
        else:
            self.events.append(msg)

    def _reply(self, call_id: int, method: str, deadline: float, check: bool) -> dict[str, Any]:
        while call_id not in self._replies:
            self._read_one(deadline)
        reply = self._replies.pop(call_id)
        if "error" in reply:
            if check:
                raise CaptureError(f"Chromium {method} failed: {reply['error'].get('message', reply['error'])}")
            return {"error": reply["error"]}
        return reply.get("result", {})

    # -- public ------------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True,
             timeout_s: float | None = None) -> dict[str, Any]:
        """Run one command (on the page unless ``session=False``) and return its result."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        return self._reply(self._send(method, params, session), method, deadline, True)

    def call_many(self, calls: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Send every command first, then read the replies: a failed one gives ``{"error": ...}`` in its place."""
        deadline = time.monotonic() + self.timeout_s
        ids = [(self._send(m, p, True), m) for m, p in calls]
        return [self._reply(i, m, deadline, False) for i, m in ids]

    def wait_event(self, method: str, timeout_s: float, match: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The first queued or arriving event ``method`` (whose params contain ``match``), or ``None`` after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            for k, ev in enumerate(self.events):
                params = ev.get("params", {})
                if ev.get("method") == method and all(params.get(a) == b for a, b in (match or {}).items()):
                    del self.events[: k + 1]
                    return params
            try:
                self._read_one(deadline)
            except CaptureError:
                if time.monotonic() >= deadline:
                    return None
                raise

    @staticmethod
    def _shutdown(proc: subprocess.Popen, w, r: int, profile: str) -> None:
        stop_browser(proc, (w.close, lambda: os.close(r)), profile)

    def close(self) -> None:
        """Stop the browser and remove its temporary profile."""
        self._finalizer()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
