"""Child processes spoken to in lines (the test windows): a reader thread, waiting for a line, stopping by PID."""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from .screen import DisplayError


def stop_process(proc: subprocess.Popen | None, timeout_s: float = 5.0) -> None:
    """Terminate by PID, wait, kill if needed, and reap (no zombies)."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


class LineChild:
    """Base of the window helpers: ``self.proc`` writes one message per stdout line.

    Subclasses start ``self.proc`` (text pipes), then call :meth:`_start_reader`; ``_parse`` turns a
    line into a message (``None`` drops it); :meth:`_next` waits for the first message ``match``
    accepts, collecting the others into ``seen``; :meth:`_stop_child` ends the process.
    """

    what = "child process"
    timeout_s: float = 20.0
    proc: subprocess.Popen

    def _parse(self, line: str) -> Any:
        return line

    def _start_reader(self) -> None:
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            item = self._parse(line.rstrip("\n"))
            if item is not None:
                self._lines.put(item)
        self._lines.put(None)

    def _next(self, match: Callable[[Any], bool], seen: list | None = None) -> Any:
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                item = self._lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise DisplayError(f"the {self.what} did not answer within {self.timeout_s:.0f} s") from None
            if item is None:
                try:
                    self.proc.wait(5.0)
                except subprocess.TimeoutExpired:
                    pass
                err = self.proc.stderr.read() if self.proc.poll() is not None else ""
                last = [s.strip() for s in err.splitlines() if s.strip()][-1:] or ["no message"]
                raise DisplayError(f"the {self.what} exited (status {self.proc.returncode}): {last[0][-300:]}")
            if match(item):
                return item
            if seen is not None:
                seen.append(item)

    def _stop_child(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        if proc.stdin and not proc.stdin.closed:
            try:
                proc.stdin.close()  # the window closes at end of input
                proc.wait(2.0)
            except (OSError, subprocess.TimeoutExpired):
                pass
        stop_process(proc)
        for f in (proc.stdout, proc.stderr):
            if f:
                f.close()


class EventChild(LineChild):
    """A :class:`LineChild` whose lines are JSON events (other lines are dropped) and which answers
    ``ping TOKEN`` on its stdin with ``{"event": "pong", "token": TOKEN}`` after every event before it."""

    def _parse(self, line: str) -> dict | None:
        import json

        try:
            return json.loads(line)
        except ValueError:
            return None

    def sync(self) -> list[dict]:
        """Every event handled so far (after the last :meth:`sync`), in order."""
        self._token = getattr(self, "_token", 0) + 1
        token = str(self._token)
        self.proc.stdin.write(f"ping {token}\n")
        self.proc.stdin.flush()
        seen: list[dict] = []
        self._next(lambda e: e["event"] == "pong" and e.get("token") == token, seen)
        return seen
