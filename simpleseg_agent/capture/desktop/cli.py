"""``simpleseg data capture desktop``: a desktop app on a private X server, as records.

::

    simpleseg data capture desktop --out data/zenity -- zenity --question --text "Delete the file?"
    simpleseg data capture desktop --out data/myapp --theme light,dark --resolution 1280x800 \\
        --resolution 1920x1080 --state "prefs=@click button Preferences" -- python my_qt_app.py
    simpleseg data capture desktop --out data/tkapp --toolkit tk -- my_tk_app.py     # a Python Tk app
    simpleseg data capture desktop --out data/bench --app zenity --app qt-dialogs    # benchmark apps

A state is ``NAME=STEP;STEP...``: each step is xdotool's arguments (``key F10``, ``mousemove 40 12 click 1``)
or ``@click ROLE NAME`` (a click on the centre of the shown element of that role and name). Options come
before the command; ``--`` ends them. The dataset is written by :func:`simpleseg_agent.capture.records.write_capture`
(a temporary folder renamed at the end).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from collections.abc import Iterator, Sequence

from ...errors import CaptureError
from ..elements import CapturedScreen
from .atspi import TOOLKITS, DesktopState, capture_desktop
from .session import THEMES
from .sources import DESKTOP_APPS, iter_app_captures
from .tk import capture_tk


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear error instead of argparse's usage text and exit
        raise CaptureError(f"simpleseg data capture desktop: {message}")


def _resolution(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x800, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def parse_state(text: str) -> DesktopState:
    """``NAME=STEP;STEP`` -> :class:`DesktopState` (``@click ROLE NAME`` or xdotool arguments per step).

    Example:
        >>> parse_state("menu=@click menuitem File; key Down").steps
        (('@click', 'menuitem', 'File'), ('key', 'Down'))
        >>> parse_state("tab=@click tab Advanced settings").steps
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
    return DesktopState(name.strip(), tuple(steps))


def build_parser() -> argparse.ArgumentParser:
    """The arguments of ``simpleseg data capture desktop``."""
    p = _Parser(prog="simpleseg data capture desktop", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output folder (images/ + records.jsonl + capture.json)")
    p.add_argument("--toolkit", default="auto", choices=(*TOOLKITS, "tk"),
                   help="gtk, qt, wx (read over AT-SPI), tk (a Python Tk script or -m module), auto (default)")
    p.add_argument("--resolution", type=_resolution, action="append", metavar="WxH",
                   help="screen size, repeatable (default 1280x800)")
    p.add_argument("--theme", default="light", help="light, dark or light,dark (default light)")
    p.add_argument("--state", type=parse_state, action="append", metavar="NAME=STEPS",
                   help="also capture the app after these steps, repeatable (see the module help)")
    p.add_argument("--wait-role", default="button", help="capture once an element of this role shows (default button)")
    p.add_argument("--timeout-s", type=float, default=20.0, help="longest wait for the app's window (default 20)")
    p.add_argument("--source", default=None, help="the records' source (default: the app's own name)")
    p.add_argument("--app", action="append", metavar="APP", help=f"a benchmark app instead of a command: "
                   f"{', '.join(sorted(DESKTOP_APPS))}; repeatable")
    p.add_argument("--overwrite", action="store_true", help="replace the dataset already in --out")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the app's command line")
    return p


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse and check the arguments; bad ones raise :class:`CaptureError`.

    Example:
        >>> ns = parse(["--out", "d", "--theme", "light,dark", "--", "zenity", "--question"])
        >>> ns.command, ns.themes, ns.resolution
        (['zenity', '--question'], ('light', 'dark'), [(1280, 800)])
    """
    ns = build_parser().parse_args(list(argv))
    if ns.command and ns.command[0] == "--":
        ns.command = ns.command[1:]
    ns.themes = tuple(t.strip() for t in ns.theme.split(",") if t.strip())
    bad = [t for t in ns.themes if t not in THEMES]
    if bad or not ns.themes:
        raise CaptureError(f"--theme takes light, dark or light,dark, got {ns.theme!r}")
    ns.resolution = ns.resolution or [(1280, 800)]
    if ns.app and ns.command:
        raise CaptureError("give either --app or a command line, not both")
    if not ns.app and not ns.command:
        raise CaptureError("no app to capture: give its command line after the options (or --app NAME)")
    for app in ns.app or ():
        if app not in DESKTOP_APPS:
            raise CaptureError(f"unknown --app {app!r}; one of {sorted(DESKTOP_APPS)}")
    if ns.toolkit == "tk" and ("dark" in ns.themes):
        raise CaptureError("Tk apps are captured in their own (light) look only; drop --theme dark")
    return ns


def screens(ns: argparse.Namespace) -> Iterator[CapturedScreen]:
    """The screens the parsed arguments ask for, captured one after the other."""
    if ns.app:
        for app in ns.app:
            yield from iter_app_captures(app, themes=ns.themes, resolutions=tuple(ns.resolution),
                                         timeout_s=ns.timeout_s)
        return
    for theme in ns.themes:
        for wh in ns.resolution:
            if ns.toolkit == "tk":
                yield capture_tk(ns.command, resolution_wh=wh, wait_role=ns.wait_role, timeout_s=ns.timeout_s,
                                 source=ns.source)
                continue
            for state in (None, *(ns.state or ())):
                yield capture_desktop(ns.command, toolkit=ns.toolkit, resolution_wh=wh, theme=theme,
                                      wait_role=ns.wait_role, timeout_s=ns.timeout_s, state=state, source=ns.source)


def run(args: argparse.Namespace) -> int:
    """Entry point of ``simpleseg data capture desktop`` (``args.args``: the arguments after ``desktop``)."""
    from ..records import write_capture

    ns = parse(args.args)
    summary = write_capture(screens(ns), ns.out, overwrite=ns.overwrite)
    print(json.dumps(summary.to_json()) if ns.json else
          f"{summary.screens} screens, {summary.records} records -> {summary.records_file} "
          f"({', '.join(f'{k} {v}' for k, v in summary.by_role.items())})")
    return 0
