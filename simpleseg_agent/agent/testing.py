"""Named stand-ins and fixtures for testing and demonstrating the screen agent on a real X server.

* :class:`XvfbServer` — a private virtual X server (``Xvfb -displayfd``: no sleeps, no display-number
  collisions), with virtual monitors set by xrandr; stopped by PID.
* :class:`TkWindow` — a real Tk window in a child process (:mod:`._tk_window`), whose own callbacks
  report what was clicked, typed or scrolled.
* :class:`ColorGrounder` — a stand-in *model* (named so nobody mistakes it for one): it finds a
  query's known color in the screenshot it is shown and answers that region's outline as SimpleSeg
  text. It reads the pixels the agent grabbed, so a wrong monitor or a wrong scale shows up as a miss.
* :class:`RecordingPointer` — a pointer that records calls instead of acting.

Example (no display needed):
    >>> import numpy as np
    >>> from simpleseg_agent.backends.base import GenerationRequest
    >>> from PIL import Image
    >>> img = np.zeros((100, 200, 3), np.uint8); img[40:60, 50:150] = (37, 99, 235)
    >>> grounder = ColorGrounder({"the submit button": (37, 99, 235)})
    >>> req = GenerationRequest(Image.fromarray(img), "What is the polygon of the submit button in the image?")
    >>> grounder.generate([req])[0].text
    'It is at [[[0.250, 0.400], [0.750, 0.400], [0.750, 0.600], [0.250, 0.600]]].'
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence

import numpy as np

from ..backends.base import Backend, GenerationRequest, GenerationResult, ModelPreset
from ..errors import ActionError
from ..grammar import CoordSpace, format_polygons
from ..grammar.spaces import coerce_space, from_norm
from ._child import EventChild, stop_process
from .screen import DisplayError

NOT_FOUND = "I cannot find that on the screen."

_FAMILY_LOCAL = 256


def _write_xauthority(path: str, number: str, cookie: bytes) -> None:
    """One MIT-MAGIC-COOKIE-1 entry for this host's display ``number`` (the Xauthority file format)."""
    def field(data: bytes) -> bytes:
        return len(data).to_bytes(2, "big") + data

    entry = _FAMILY_LOCAL.to_bytes(2, "big") + b"".join(
        field(x) for x in (socket.gethostname().encode(), number.encode(), b"MIT-MAGIC-COOKIE-1", cookie))
    with open(path, "wb") as f:
        f.write(entry)


class XvfbServer:
    """A private Xvfb of ``screen_wh`` pixels; use as a context manager, or :meth:`start` / :meth:`stop`.

    ``env()`` is the environment for programs that should use it (``DISPLAY``, ``XAUTHORITY``).
    """

    def __init__(self, screen_wh: tuple[int, int] = (1280, 800), *, depth: int = 24, timeout_s: float = 20.0) -> None:
        self.screen_wh = (int(screen_wh[0]), int(screen_wh[1]))
        self.depth = depth
        self.timeout_s = timeout_s
        self.proc: subprocess.Popen | None = None
        self.display = ""
        self.xauthority = ""

    def start(self) -> XvfbServer:
        if shutil.which("Xvfb") is None:
            raise DisplayError("Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb)")
        fd, self.xauthority = tempfile.mkstemp(prefix="simpleseg-xauth-")
        os.close(fd)
        # The server loads every cookie of its -auth file at start; clients look theirs up by display number,
        # known only once -displayfd reports it, so the entry is rewritten then. (An empty file works too, but
        # python-xlib then prints a warning on stdout, into --json output.)
        cookie = secrets.token_bytes(16)
        _write_xauthority(self.xauthority, "0", cookie)
        r, w = os.pipe()
        w_, h_ = self.screen_wh
        try:
            self.proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(w), "-screen", "0", f"{w_}x{h_}x{self.depth}", "-nolisten", "tcp", "-noreset",
                 "-auth", self.xauthority],
                pass_fds=(w,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        finally:
            os.close(w)
        number = b""
        deadline = time.monotonic() + self.timeout_s
        try:
            # Xvfb writes the display number only once it accepts connections
            while not number.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([r], [], [], left)[0]:
                    raise DisplayError(f"Xvfb did not report a display within {self.timeout_s:.0f} s")
                chunk = os.read(r, 32)
                if not chunk:
                    raise DisplayError(f"Xvfb exited with status {self.proc.wait()} before it was ready")
                number += chunk
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(r)
        self.display = f":{number.decode().strip()}"
        _write_xauthority(self.xauthority, self.display[1:], cookie)
        return self

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env.update(DISPLAY=self.display, XAUTHORITY=self.xauthority)
        return env

    def xrandr(self, *args: str) -> str:
        out = subprocess.run(["xrandr", *args], env=self.env(), capture_output=True, text=True, timeout=self.timeout_s)
        if out.returncode != 0:
            raise DisplayError(f"xrandr {' '.join(args)} failed: {out.stderr.strip()}")
        return out.stdout

    def set_monitors(self, monitors_xywh: Sequence[tuple[int, int, int, int]] = ()) -> None:
        """Split the screen into virtual monitors ``(x, y, w, h)``; ``()`` restores the single default one."""
        if shutil.which("xrandr") is None:
            raise DisplayError("xrandr is not installed (Debian/Ubuntu: apt-get install x11-xserver-utils)")
        for line in self.xrandr("--listmonitors").splitlines()[1:]:
            name = line.split()[1].lstrip("+*")
            if name.startswith("SIMPLESEG"):
                self.xrandr("--delmonitor", name)
        for i, (x, y, w, h) in enumerate(monitors_xywh):
            # the size in millimetres only matters for DPI; 96 DPI
            self.xrandr("--setmonitor", f"SIMPLESEG{i + 1}", f"{w}/{round(w * 25.4 / 96)}x{h}/{round(h * 25.4 / 96)}+{x}+{y}",
                        "screen" if i == 0 else "none")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None
        if self.xauthority:
            try:
                os.unlink(self.xauthority)
            except OSError:
                pass
            self.xauthority = ""

    def __enter__(self) -> XvfbServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


class TkWindow(EventChild):
    """A real Tk window in a child process (see :mod:`simpleseg_agent.agent._tk_window` for the spec).

    ``geometry`` maps each widget name to its global ``(x, y, w, h)`` once the window is ready.
    :meth:`sync` returns every event the window has handled up to now (input sent before the call
    included); :meth:`close` stops the process by PID.
    """

    what = "test window"

    def __init__(self, spec: dict, *, env: Mapping[str, str] | None = None, timeout_s: float = 20.0) -> None:
        self.timeout_s = timeout_s
        self._token = 0
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simpleseg_agent.agent._tk_window"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=dict(env) if env is not None else None,
        )
        self._start_reader()
        try:
            self.proc.stdin.write(json.dumps(spec) + "\n")
            self.proc.stdin.flush()
            ready = self._next(lambda e: e["event"] == "ready")
        except BaseException:
            self.close()
            raise
        self.geometry: dict[str, tuple[int, int, int, int]] = {k: tuple(v) for k, v in ready["widgets"].items()}


    def center(self, name: str) -> tuple[int, int]:
        x, y, w, h = self.geometry[name]
        return (x + w // 2, y + h // 2)

    def close(self) -> None:
        self._stop_child()

    def __enter__(self) -> TkWindow:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ColorGrounder(Backend):
    """A stand-in model: answers the outline of the pixels of a query's known color (see the module docstring).

    Args:
        colors: phrase -> ``(R, G, B)``; a prompt is matched to the longest phrase it contains
            (case-insensitive). A phrase whose color is not on the screenshot gets an answer without
            coordinates, as a model that did not find it would.
        space: the coordinate space to answer in: ``norm`` (SimpleSeg), ``1000``, or ``px`` (pixels of
            the image it is shown), to exercise every reading of an answer.
    """

    def __init__(self, colors: Mapping[str, Sequence[int]], *, space: CoordSpace | str = CoordSpace.NORM) -> None:
        self.colors = {k.lower(): tuple(int(c) for c in v) for k, v in colors.items()}
        self.space = coerce_space(space)
        self.preset = ModelPreset("color-grounder", "color-grounder", coord_space=self.space,
                                  description="a stand-in that answers from known widget colors, not a model")

    def find(self, prompt: str) -> str | None:
        text = prompt.lower()
        hits = [k for k in self.colors if k in text]
        return max(hits, key=len) if hits else None

    def answer(self, image, prompt: str) -> str:
        from ..geometry import mask_to_region

        key = self.find(prompt)
        if key is None:
            return NOT_FOUND
        rgb = np.asarray(image.convert("RGB"))
        mask = np.all(rgb == np.array(self.colors[key], np.uint8), axis=2)
        region = mask_to_region(mask, min_area_px=4.0)
        if region.is_empty:
            return NOT_FOUND
        if self.space is CoordSpace.NORM:
            return f"It is at {format_polygons(region.polygons)}."
        rings = [from_norm(p, self.space, resolution_wh=image.size if self.space is CoordSpace.PIXELS else None) for p in region.polygons]
        body = ", ".join("[" + ", ".join(f"[{x:.0f}, {y:.0f}]" for x, y in ring) + "]" for ring in rings)
        return f"It is at [{body}]."

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        out = []
        for r in requests:
            t0 = time.perf_counter()
            text = self.answer(r.image, r.prompt)
            out.append(GenerationResult(text=text, n_tokens=len(text), model_s=time.perf_counter() - t0, model_input_wh=r.image.size))
        return out


class RecordingPointer:
    """A pointer that records every call as ``(method, args...)`` and moves an imaginary cursor."""

    def __init__(self, start_xy: tuple[int, int] = (0, 0)) -> None:
        self.calls: list[tuple] = []
        self.xy = start_xy

    def position(self) -> tuple[int, int]:
        return self.xy

    def move(self, xy) -> None:
        self.calls.append(("move", tuple(xy)))
        self.xy = tuple(xy)

    def click(self, xy, *, button: str = "left", clicks: int = 1) -> None:
        self.calls.append(("click", tuple(xy), button, clicks))
        self.xy = tuple(xy)

    def drag(self, xy_from, xy_to, *, button: str = "left") -> None:
        self.calls.append(("drag", tuple(xy_from), tuple(xy_to), button))
        self.xy = tuple(xy_to)

    def scroll(self, clicks: int, xy) -> None:
        self.calls.append(("scroll", clicks, tuple(xy)))
        self.xy = tuple(xy)

    def check_text(self, text: str) -> None:
        bad = sorted({c for c in text if not (c.isascii() and (c.isprintable() or c in "\n\t"))})
        if bad:
            raise ActionError(f"cannot type {''.join(bad)!r}")

    def write(self, text: str) -> None:
        self.check_text(text)
        self.calls.append(("write", text))

    def press(self, key: str) -> None:
        self.calls.append(("press", key))

    def points(self) -> list[tuple[int, int]]:
        """Every desktop point a call sent the pointer to."""
        return [a for c in self.calls for a in c[1:] if isinstance(a, tuple)]


__all__ = ["NOT_FOUND", "ColorGrounder", "RecordingPointer", "TkWindow", "XvfbServer"]
