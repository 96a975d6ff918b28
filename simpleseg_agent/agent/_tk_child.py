"""What the test windows' child processes share: answering pings on stdin once the window has settled."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def serve_pings(root: Any, settle: Callable[[Any], None], pong: Callable[[str], None]) -> None:
    """Answer each ``ping TOKEN`` line on stdin with ``pong(TOKEN)`` after ``settle(root)`` (so every
    event sent before the ping has been handled); end of input closes the window."""
    import tkinter as tk  # here, not at import: doctest collection imports this module on machines without Tk

    def on_stdin(fileobj: Any, mask: Any) -> None:
        line = sys.stdin.readline()
        if not line:
            root.destroy()
            return
        if line.startswith("ping"):
            settle(root)
            parts = line.split()
            pong(parts[1] if len(parts) > 1 else "")

    root.tk.createfilehandler(sys.stdin, tk.READABLE, on_stdin)
