"""Capture a real desktop app (GTK, Qt, wx) with the true boxes of its elements, read over AT-SPI.

:func:`capture_desktop` starts a private desktop (:class:`~.session.DesktopSession`), launches the app's
command line on it, waits until the app shows an element of the wanted role, reads the accessibility tree,
takes a screenshot, and stops everything. The tree is read by :mod:`._atspi_dump`, a small program run
under an interpreter with GObject introspection — Debian's ``/usr/bin/python3`` with ``python3-gi
gir1.2-atspi-2.0`` (both apt packages, no compiler), so the project's own Python needs no compiled
GObject bindings; ``SIMPLESEG_ATSPI_PYTHON`` names another interpreter.

What is kept: elements that are SHOWING and VISIBLE, whose role maps onto :data:`~..elements.ROLES` other
than ``other``, and of which at least half stays in sight: each box is clipped to its window, its scrolled
viewport and the screen, and the windows and open menus that lie above its own hide part of it (the
stacking order of top-level windows is read from the X server with ``xwininfo``; ``meta`` records
``clipped_from_xyxy_px`` and ``covered_fraction`` where they apply).

Names are the accessible names; an unnamed field, combo box, spin button or slider takes the name of the
label it is *labelled by* (an AT-SPI relation), else of the nearest label on its left on its first line,
else right above it (``meta["name_from"]`` says which: ``accessible``, ``labelled-by``, ``nearby-label``).

Example (needs Xvfb, dbus-daemon, at-spi2-core, python3-gi and zenity):
    >>> screen = capture_desktop(["zenity", "--question", "--text", "Save?"], toolkit="gtk")  # doctest: +SKIP
    >>> sorted(e.name for e in screen.elements if e.role == "button")                        # doctest: +SKIP
    ['No', 'Yes']
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from ...errors import CaptureError, MissingProgramError
from ..elements import ROLE_MAP, ROLES, CapturedElement, CapturedScreen, normalize_role
from .session import DesktopSession, descendants

TOOLKITS = ("auto", "gtk", "qt", "wx")

_DUMP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_atspi_dump.py")
_NAMED_BY_LABEL = ("field", "select", "spinbutton", "slider")
_CLIP_ROLES = ("viewport", "scroll pane")
_POPUP_ROLES = ("menu", "popup menu")


@dataclass(frozen=True)
class DesktopState:
    """A scripted state to capture: xdotool commands run once the app shows, then a role to wait for.

    Attributes:
        name: the state's name, recorded in :attr:`CapturedScreen.state` (``menu-open``, ``tab-2``).
        steps: xdotool argument lists, run in order on the app's display (``("key", "F10")``,
            ``("mousemove", "40", "12", "click", "1")``), or ``("@click", role, name)``: a click on the
            centre of the showing element of that role and name.
        wait_role: after the steps, wait until an element of this role shows (``None``: the app's wait role).
        settle_s: a pause after the steps, for animations.

    Example:
        >>> DesktopState("menu-open", (("key", "F10"),), wait_role="menuitem").steps[0]
        ('key', 'F10')
    """

    name: str
    steps: tuple[tuple[str, ...], ...] = ()
    wait_role: str | None = None
    settle_s: float = 0.3

    @classmethod
    def parse(cls, text: str) -> DesktopState:
        """``NAME=STEP;STEP`` (a command line's ``--state``): each step is ``@click ROLE NAME`` or xdotool's arguments.

        Example:
            >>> DesktopState.parse("menu=@click menuitem File; key Down").steps
            (('@click', 'menuitem', 'File'), ('key', 'Down'))
            >>> DesktopState.parse("tab=@click tab Advanced settings").steps
            (('@click', 'tab', 'Advanced settings'),)
        """
        name, sep, script = text.partition("=")
        if not sep or not name.strip() or not script.strip():
            raise CaptureError(f"a state is NAME=STEP;STEP (e.g. menu=@click menuitem File), got {text!r}")
        steps = []
        for part in script.split(";"):
            words = shlex.split(part)
            if not words:
                continue
            if words[0] == "@click":
                if len(words) < 3:
                    raise CaptureError(f"a click step is '@click ROLE NAME', got {part.strip()!r}")
                words = ["@click", words[1], " ".join(words[2:])]
            steps.append(tuple(words))
        if not steps:
            raise CaptureError(f"the state {name.strip()!r} has no steps")
        return cls(name.strip(), tuple(steps))


def atspi_role_names(role: str) -> list[str]:
    """The engine role names (AT-SPI and ARIA) that :func:`normalize_role` maps onto ``role``.

    Example:
        >>> "push button" in atspi_role_names("button"), atspi_role_names("nonsense")
        (True, [])
    """
    return sorted(k for k, v in ROLE_MAP.items() if v == role)


def reader_python() -> str:
    """The interpreter that runs the AT-SPI reader: ``$SIMPLESEG_ATSPI_PYTHON``, else ``/usr/bin/python3``."""
    return os.environ.get("SIMPLESEG_ATSPI_PYTHON") or "/usr/bin/python3"


@dataclass
class _Reading:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _read_tree(session: DesktopSession, app: subprocess.Popen, command: Sequence[str], wait_roles: Sequence[str],
               deadline: float) -> _Reading:
    """Run the reader until it answers, the app exits, or ``deadline`` passes."""
    python = reader_python()
    if shutil.which(python) is None:
        raise MissingProgramError(python, "apt-get install python3-gi gir1.2-atspi-2.0 at-spi2-core",
                                  "reading a desktop app's accessibility tree")
    t0 = time.monotonic()
    left = max(0.5, deadline - t0)
    spec = json.dumps({"wait_roles": list(wait_roles), "timeout_s": left})
    # the answer goes to a file: a big tree would fill a pipe while the reader waits for it to be read
    out_file = tempfile.TemporaryFile()
    reader = subprocess.Popen([python, _DUMP, spec], env=session.env(), stdin=subprocess.DEVNULL,
                              stdout=out_file, stderr=subprocess.DEVNULL)
    session.procs.append(reader)
    try:
        while reader.poll() is None:
            if app.poll() is not None and not _app_lives_on(session, app, reader):
                raise CaptureError(f"the app exited with status {app.returncode} before it showed a window: "
                                   f"{' '.join(command)}{stderr_tail(app)}")
            if time.monotonic() > deadline + 5.0:
                raise CaptureError(f"the accessibility tree reader did not answer within {left + 5:.0f} s")
            time.sleep(0.02)
        out_file.seek(0)
        out = out_file.read().decode(errors="replace").strip().splitlines()
    finally:
        if reader.poll() is None:
            reader.kill()
        reader.wait()
        out_file.close()
        session.procs.remove(reader)
    try:
        answer = json.loads(out[-1]) if out else {}
    except json.JSONDecodeError:
        answer = {}
    if not answer:
        raise CaptureError(f"the accessibility tree reader ({python}) failed with status {reader.returncode}")
    if answer.get("ok"):
        return _Reading(answer["nodes"], time.monotonic() - t0)
    error, detail = answer.get("error"), answer.get("detail", "")
    if error == "no-atspi":
        raise MissingProgramError(f"{python} with the Atspi typelib", "apt-get install python3-gi gir1.2-atspi-2.0",
                                  f"reading a desktop app's accessibility tree ({detail})")
    if error == "no-bus":
        raise CaptureError(f"no accessibility bus: {detail} (Debian: apt-get install at-spi2-core)")
    if app.poll() is not None and not _app_lives_on(session, app, None):
        raise CaptureError(f"the app exited with status {app.returncode} before it showed a window: "
                           f"{' '.join(command)}{stderr_tail(app)}")
    if error == "no-role":
        raise CaptureError(f"the app never showed a window with an element of the wanted role within the timeout: "
                           f"{detail}")
    raise CaptureError(f"the app never showed a window within the timeout: {' '.join(command)}{stderr_tail(app)}")


def _app_lives_on(session: DesktopSession, app: subprocess.Popen, reader: subprocess.Popen | None) -> bool:
    """After the launched process exited with status 0: does a program it started still run (a launcher)?"""
    if app.returncode != 0:
        return False
    infra = set()
    for p in (session.bus, reader, session.xvfb.proc if session.xvfb is not None else None):
        if p is not None:
            infra |= {p.pid, *descendants(p.pid)}
    return any(p not in infra for p in session.pids())


def stderr_tail(app: subprocess.Popen) -> str:
    path = getattr(app, "stderr_path", "")
    try:
        with open(path, errors="replace") as f:
            lines = [ln.strip() for ln in f.read().splitlines() if ln.strip()]
    except OSError:
        return ""
    return f" (its last words: {lines[-1][:200]!r})" if lines else ""


def _x_stacking(session: DesktopSession) -> list[tuple[int, int, int, int]]:
    """Mapped top-level X windows as ``(x, y, w, h)``, bottom first; ``[]`` without ``xwininfo``."""
    if shutil.which("xwininfo") is None:
        return []
    out = subprocess.run(["xwininfo", "-root", "-children"], env=session.env(), capture_output=True, text=True,
                         timeout=10)
    rects = []
    for line in out.stdout.splitlines():
        m = re.search(r"\s(\d+)x(\d+)\+(-?\d+)\+(-?\d+)\s+\+(-?\d+)\+(-?\d+)\s*$", line)
        if m and line.strip().startswith("0x"):
            w, h, _, _, x, y = (int(v) for v in m.groups())
            if w > 1 and h > 1:
                rects.append((x, y, w, h))
    return rects[::-1]  # xwininfo lists the top-most window first


def _overlap(a, b) -> float:
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    w, h = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
    return max(0, w) * max(0, h)


def _area(b) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _xyxy(xywh) -> tuple[float, float, float, float]:
    x, y, w, h = xywh
    return (x, y, x + w, y + h)


def _inside(inner, outer) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _uncovered_area(box, covers) -> float:
    """Pixels of ``box`` that none of the ``covers`` boxes hides."""
    if not covers:
        return _area(box)
    x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
    w, h = int(np.ceil(box[2])) - x0, int(np.ceil(box[3])) - y0
    seen = np.ones((max(h, 0), max(w, 0)), bool)
    for cx0, cy0, cx1, cy1 in covers:
        rows = slice(max(0, int(cy0) - y0), max(0, int(np.ceil(cy1)) - y0))
        cols = slice(max(0, int(cx0) - x0), max(0, int(np.ceil(cx1)) - x0))
        seen[rows, cols] = False
    return float(seen.sum())


def _clean_label(text: str) -> str:
    return text.replace("_", "").strip().rstrip(":").strip()


def _label_nearby(box, labels) -> str:
    """The nearest label left of ``box`` on its first line, else right above it; '' when none is close.

    Example:
        >>> _label_nearby((100, 10, 300, 34), [((20, 14, 90, 30), "Email"), ((100, 0, 150, 8), "Hint")])
        'Email'
    """
    x0, y0, x1, y1 = box
    best = None
    for lb, text in labels:
        lx0, ly0, lx1, ly1 = lb
        cy = (ly0 + ly1) / 2
        if lx1 <= x0 + 4 and y0 <= cy <= min(y1, y0 + 40) and x0 - lx1 < 150:
            d = x0 - lx1
        elif ly1 <= y0 + 4 and y0 - ly1 < 30 and lx0 >= x0 - 20 and lx0 < x1:
            d = 1000 + (y0 - ly1)
        else:
            continue
        if best is None or d < best[0]:
            best = (d, text)
    return best[1] if best else ""


def elements_from_nodes(nodes: Sequence[dict[str, Any]], resolution_wh: tuple[int, int],
                        stacking_xywh: Sequence[tuple[int, int, int, int]] = ()) -> list[CapturedElement]:
    """Turn the reader's nodes into the visible, unobscured elements of a ``resolution_wh`` screen.

    ``stacking_xywh`` are the X server's top-level windows, bottom first (for which window lies above which).

    Example:
        >>> nodes = [
        ...   {"parent": -1, "depth": 0, "role": "dialog", "name": "Q", "xywh": [0, 0, 100, 50], "showing": True,
        ...    "visible": True, "states": []},
        ...   {"parent": 0, "depth": 1, "role": "push button", "name": "OK", "xywh": [60, 20, 30, 20],
        ...    "showing": True, "visible": True, "states": []},
        ...   {"parent": 0, "depth": 1, "role": "push button", "name": "Off", "xywh": [90, 20, 30, 20],
        ...    "showing": True, "visible": True, "states": []}]
        >>> [(e.name, e.xyxy_px) for e in elements_from_nodes(nodes, (200, 100))]
        [('OK', (60, 20, 90, 40))]
    """
    sw, sh = resolution_wh
    screen = (0, 0, sw, sh)
    # the window (depth-0 node) each node belongs to, and the clip box its ancestors impose
    top: list[int] = []
    clip: list[tuple[float, float, float, float]] = []
    for i, n in enumerate(nodes):
        p = n["parent"]
        box = _xyxy(n["xywh"])
        if p < 0:
            top.append(i)
            clip.append(screen)
            continue
        top.append(top[p])
        c = clip[p]
        pn = nodes[p]
        if pn["parent"] < 0 or pn["role"] in _CLIP_ROLES:
            pb = _xyxy(pn["xywh"])
            c = (max(c[0], pb[0]), max(c[1], pb[1]), min(c[2], pb[2]), min(c[3], pb[3]))
        clip.append(c)

    # layers: windows in the X stacking order, open menus above every window
    windows = [i for i, n in enumerate(nodes) if n["parent"] < 0 and n["showing"]]
    z: dict[int, float] = {}
    for order, i in enumerate(windows):
        wb = _xyxy(nodes[i]["xywh"])
        best = max(range(len(stacking_xywh)), key=lambda k: _overlap(wb, _xyxy(stacking_xywh[k])), default=None)
        if best is not None and _overlap(wb, _xyxy(stacking_xywh[best])) > 0:
            z[i] = best + order / 1000
        else:
            z[i] = len(stacking_xywh) + order
    layers: list[tuple[int, float, tuple[float, float, float, float]]] = [(i, z[i], _xyxy(nodes[i]["xywh"]))
                                                                         for i in windows]
    kids: dict[int, list[int]] = {}
    for i, n in enumerate(nodes):
        kids.setdefault(n["parent"], []).append(i)
    for i, n in enumerate(nodes):
        if n["parent"] < 0 or n["role"] not in _POPUP_ROLES or not n["showing"]:
            continue
        if n["role"] == "popup menu":  # Qt: the open menu itself
            if n["xywh"][2] > 0 and n["xywh"][3] > 0:
                layers.append((i, 1e6 + z.get(top[i], 0), _xyxy(n["xywh"])))
            continue
        # GTK: a "menu" node is the menu's title in its bar; its items, when open, lie outside it
        shown = [_xyxy(nodes[k]["xywh"]) for k in kids.get(i, ()) if nodes[k]["showing"] and nodes[k]["xywh"][2] > 0]
        if shown:
            box = (min(b[0] for b in shown), min(b[1] for b in shown), max(b[2] for b in shown),
                   max(b[3] for b in shown))
            if not _inside(box, _xyxy(n["xywh"])):
                layers.append((i, 1e6 + z.get(top[i], 0), box))

    def ancestors(i: int) -> set[int]:
        out = set()
        while i >= 0:
            out.add(i)
            i = nodes[i]["parent"]
        return out

    def z_of(anc: set[int]) -> float:
        return max((lz for li, lz, _ in layers if li in anc), default=0.0)

    labels_by_top: dict[int, list[tuple[tuple[float, float, float, float], str]]] = {}
    kept: list[tuple[int, CapturedElement]] = []
    seen = set()
    for i, n in enumerate(nodes):
        role = normalize_role(n["role"])
        if role == "other" or not (n["showing"] and n["visible"]) or n["xywh"][2] <= 0 or n["xywh"][3] <= 0:
            continue
        raw = _xyxy(n["xywh"])
        c = clip[i]
        box = (max(raw[0], c[0]), max(raw[1], c[1]), min(raw[2], c[2]), min(raw[3], c[3]))
        if box[2] - box[0] < 2 or box[3] - box[1] < 2 or _area(box) < 0.5 * _area(raw):
            continue
        anc = ancestors(i)
        mine = z_of(anc)
        above = [lb for li, lz, lb in layers if lz > mine and li not in anc and _overlap(box, lb) > 0]
        seen_px = _uncovered_area(box, above)
        if seen_px < 0.5 * _area(raw):
            continue
        name = n["name"].strip()
        meta = {"name_from": "accessible" if name else "", "states": n.get("states", []), "app": n.get("app_name", "")}
        if box != raw:
            meta["clipped_from_xyxy_px"] = raw
        if seen_px < _area(box):
            meta["covered_fraction"] = round(1 - seen_px / _area(box), 3)
        key = (role, name, box)
        if key in seen:
            continue
        seen.add(key)
        if role == "label" and name:
            labels_by_top.setdefault(top[i], []).append((box, _clean_label(name)))
        kept.append((i, CapturedElement(role=role, name=name, xyxy_px=box, engine_role=n["role"], meta=meta)))

    out = []
    for i, e in kept:
        if not e.name and e.role in _NAMED_BY_LABEL:
            by = _clean_label(nodes[i].get("labelled_by", ""))
            near = "" if by else _label_nearby(e.xyxy_px, labels_by_top.get(top[i], ()))
            if by or near:
                e = CapturedElement(role=e.role, name=by or near, xyxy_px=e.xyxy_px, engine_role=e.engine_role,
                                    meta={**e.meta, "name_from": "labelled-by" if by else "nearby-label"})
        out.append(e)
    return out


def _detect_toolkit(nodes: Sequence[dict[str, Any]]) -> str:
    names = {str(n.get("toolkit", "")).lower() for n in nodes if n["parent"] < 0}
    if any("qt" in t for t in names):
        return "qt"
    return "gtk" if any("gtk" in t for t in names) else "other"


def _run_steps(session: DesktopSession, steps: Sequence[Sequence[str]], nodes: Sequence[dict[str, Any]]) -> None:
    """Run xdotool steps; ``("@click", role, name)`` clicks the centre of the showing element of that role and name."""
    if steps and shutil.which("xdotool") is None:
        raise MissingProgramError("xdotool", "apt-get install xdotool", "a scripted desktop state")
    elements = elements_from_nodes(nodes, session.resolution_wh) if any(s and s[0] == "@click" for s in steps) else []
    for step in steps:
        if step and step[0] == "@click":
            if len(step) != 3:
                raise CaptureError(f"a click step is ('@click', role, name), got {tuple(step)!r}")
            hits = [e for e in elements if e.role == step[1] and e.name == step[2]]
            if not hits:
                raise CaptureError(f"the scripted step {tuple(step)!r} found no showing {step[1]} named {step[2]!r}")
            x0, y0, x1, y1 = hits[0].xyxy_px
            step = ("mousemove", str(round((x0 + x1) / 2)), str(round((y0 + y1) / 2)), "click", "1")
        out = subprocess.run(["xdotool", *step], env=session.env(), capture_output=True, text=True, timeout=10)
        if out.returncode != 0:
            raise CaptureError(f"the scripted step 'xdotool {' '.join(step)}' failed: {out.stderr.strip()[:200]}")


def grab_screen(session: DesktopSession) -> Image.Image:
    """A screenshot of the session's whole X screen (mss, else ImageMagick's ``import``)."""
    try:
        import mss
    except ImportError:
        mss = None
    if mss is not None:
        # mss finds the display's cookie through XAUTHORITY in this process's environment
        saved = os.environ.get("XAUTHORITY")
        os.environ["XAUTHORITY"] = session.env()["XAUTHORITY"]
        try:
            with (mss.MSS(display=session.display) if hasattr(mss, "MSS") else mss.mss(display=session.display)) as m:
                shot = m.grab(m.monitors[0])
                return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")
        finally:
            if saved is None:
                os.environ.pop("XAUTHORITY", None)
            else:
                os.environ["XAUTHORITY"] = saved
    if shutil.which("import") is None:
        raise MissingProgramError("mss", "pip install 'simpleseg-agent[capture]' (or apt-get install imagemagick)",
                                  "a desktop screenshot")
    out = subprocess.run(["import", "-window", "root", "png:-"], env=session.env(), capture_output=True, timeout=20)
    if out.returncode != 0:
        raise CaptureError(f"the screenshot failed: {out.stderr.decode(errors='replace').strip()[:200]}")
    import io

    return Image.open(io.BytesIO(out.stdout)).convert("RGB")


def capture_desktop(command: Sequence[str], *, toolkit: str = "auto", resolution_wh: tuple[int, int] = (1280, 800),
                    theme: str = "light", wait_role: str = "button", timeout_s: float = 15.0,
                    state: DesktopState | None = None, source: str | None = None) -> CapturedScreen:
    """Launch ``command`` on a private desktop and capture its screen with the true boxes of its elements.

    Args:
        command: the app's command line (``["zenity", "--question"]``).
        toolkit: ``gtk``, ``qt``, ``wx``, or ``auto`` (from the toolkit the app reports; wx reports GTK).
        resolution_wh: the screen size in pixels.
        theme: ``light`` or ``dark`` (see :func:`~.session.theme_env`).
        wait_role: capture once an element of this role (one of :data:`~..elements.ROLES`) shows.
        timeout_s: how long the app may take to show it.
        state: a scripted state to reach before the capture (default: the app as it opens).
        source: the app's id in the screen (default: the name the app gives itself on the accessibility bus,
            else the program's file name).

    Raises:
        CaptureError: the app does not start, exits, never shows a window (or no element of ``wait_role``)
            within ``timeout_s``, there is no accessibility bus, or an argument is invalid.
        MissingProgramError: Xvfb, dbus-daemon, the reader's interpreter or xdotool is missing.

    Example (needs the desktop programs, see the module docstring):
        >>> s = capture_desktop(["zenity", "--question"], toolkit="gtk", theme="dark")  # doctest: +SKIP
        >>> s.toolkit, s.theme, s.resolution_wh                                          # doctest: +SKIP
        ('gtk', 'dark', (1280, 800))
    """
    command = [str(c) for c in command]
    if not command or not command[0]:
        raise CaptureError("the app's command line is empty")
    if toolkit not in TOOLKITS:
        raise CaptureError(f"toolkit must be one of {TOOLKITS}, got {toolkit!r}")
    for r in (wait_role, *((state.wait_role,) if state is not None and state.wait_role else ())):
        if r not in ROLES or r == "other":
            raise CaptureError(f"wait_role must be one of {[x for x in ROLES if x != 'other']}, got {r!r}")
    if not timeout_s > 0:
        raise CaptureError(f"timeout_s must be positive, got {timeout_s!r}")
    t0 = time.monotonic()
    deadline = t0 + timeout_s
    with DesktopSession(resolution_wh, theme=theme, timeout_s=max(5.0, timeout_s)) as session:
        app = session.launch(command)
        reading = _read_tree(session, app, command, atspi_role_names(wait_role), deadline)
        state_name = "default"
        if state is not None:
            _run_steps(session, state.steps, reading.nodes)
            time.sleep(state.settle_s)
            reading = _read_tree(session, app, command, atspi_role_names(state.wait_role or wait_role),
                                 time.monotonic() + timeout_s)
            state_name = state.name
        image = grab_screen(session)
        stacking = _x_stacking(session)
        found = _detect_toolkit(reading.nodes)
        elements = elements_from_nodes(reading.nodes, session.resolution_wh, stacking)
        apps = sorted({n.get("app_name", "") for n in reading.nodes if n["parent"] < 0} - {""})
    return CapturedScreen(
        image=image, elements=tuple(elements),
        source=source or (apps[0] if len(apps) == 1 else os.path.basename(command[0])),
        toolkit=found if toolkit == "auto" else toolkit, theme=theme, state=state_name,
        meta={"command": command, "engine": "atspi", "apps": apps, "reported_toolkit": found,
              "nodes": len(reading.nodes), "seconds": round(time.monotonic() - t0, 3)},
    )
