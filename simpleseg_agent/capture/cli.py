"""``simpleseg data capture``: real UIs as a dataset, labelled from their own element trees.

::

    simpleseg data capture web http://localhost:8000/ --out data/mysite --viewport 1280x800 --viewport 1920x1080 \\
        --theme light,dark --state menu=click:#menu-button
    simpleseg data capture web site/ --out data/site        # every .html file of a folder
    simpleseg data capture desktop --out data/zenity --theme light,dark -- zenity --question

Writes ``images/`` + ``records.jsonl`` + ``capture.json`` like ``simpleseg data synth``; bad input
(an unreachable URL, a page without nameable elements, a folder that already holds data) exits 2
with one line on stderr and leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from ..errors import CaptureError


def _viewport(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x800, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def _state(text: str) -> tuple[str, str]:
    name, sep, script = text.partition("=")
    if not sep or not name.strip() or not script.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=JAVASCRIPT or NAME=click:SELECTOR, got {text!r}")
    return name.strip(), script


def _cmd_web(args: argparse.Namespace) -> int:
    from .records import check_out_dir, write_capture
    from .web import WebCaptureConfig, WebCapturer, page_urls

    themes = tuple(t.strip() for t in args.theme.split(",") if t.strip())
    config = WebCaptureConfig(viewports_wh=tuple(args.viewport or [(1280, 800)]), themes=themes,
                              states=tuple(args.state or ()), include_default=not args.states_only,
                              device_scale_factor=args.dsf, wait_for=args.wait_for, settle_s=args.settle_s,
                              timeout_s=args.timeout_s)
    urls = [u for t in args.target for u in page_urls(t)]
    check_out_dir(args.out, overwrite=args.overwrite)  # refuse before starting the browser
    with WebCapturer(config) as capturer:
        screens = (s for url in urls for s in capturer.capture_all(url, source=args.source))
        summary = write_capture(screens, args.out, overwrite=args.overwrite)
    print(json.dumps(summary.to_json()) if args.json else
          f"{summary.screens} screens, {summary.records} records -> {summary.records_file} "
          f"({', '.join(f'{k} {v}' for k, v in summary.by_role.items())})")
    return 0


def _desktop_engine():
    """``(capture_desktop, capture_tk)`` of the desktop engine, or a CaptureError saying it is not there."""
    try:
        from .desktop import capture_desktop, capture_tk
    except ImportError as exc:
        raise CaptureError(f"desktop capture is not available in this installation (simpleseg_agent.capture.desktop: "
                           f"{exc})") from None
    return capture_desktop, capture_tk


def _cmd_desktop(args: argparse.Namespace) -> int:
    from .records import check_out_dir, write_capture

    command = [c for c in args.app if c != "--"]
    if not command:
        raise CaptureError("no app to capture: give its command line after the options, e.g. -- zenity --question")
    themes = [t.strip() for t in args.theme.split(",") if t.strip()]
    if not themes or any(t not in ("light", "dark") for t in themes):
        raise CaptureError(f"--theme must be light, dark or light,dark, got {args.theme!r}")
    if args.toolkit == "tk" and themes != ["light"]:
        raise CaptureError("Tk apps are captured as they draw themselves: --theme light only")
    check_out_dir(args.out, overwrite=args.overwrite)
    capture_desktop, capture_tk = _desktop_engine()

    def screens():
        for resolution in args.resolution or [(1280, 800)]:
            for theme in themes:
                if args.toolkit == "tk":
                    yield capture_tk(command, resolution_wh=resolution, wait_role=args.wait_role,
                                     timeout_s=args.timeout_s, source=args.source)
                else:
                    yield capture_desktop(command, toolkit=args.toolkit, resolution_wh=resolution, theme=theme,
                                          wait_role=args.wait_role, timeout_s=args.timeout_s, source=args.source)

    summary = write_capture(screens(), args.out, overwrite=args.overwrite)
    print(json.dumps(summary.to_json()) if args.json else
          f"{summary.screens} screens, {summary.records} records -> {summary.records_file} "
          f"({', '.join(f'{k} {v}' for k, v in summary.by_role.items())})")
    return 0


def add_capture_commands(subparsers) -> None:
    """Add ``capture web`` and ``capture desktop`` to the ``simpleseg data`` subparsers.

    Example:
        >>> parser = argparse.ArgumentParser(prog="simpleseg data")
        >>> add_capture_commands(parser.add_subparsers(dest="data_command", required=True))
        >>> a = parser.parse_args(["capture", "web", "http://localhost:8000/", "--out", "d", "--viewport", "1920x1080",
        ...                        "--theme", "light,dark", "--state", "menu=click:#menu"])
        >>> a.viewport, a.theme, a.state
        ([(1920, 1080)], 'light,dark', [('menu', 'click:#menu')])
    """
    p = subparsers.add_parser("capture", help="capture real UIs (web pages, desktop apps) with their true element boxes as records")
    engines = p.add_subparsers(dest="capture_engine", required=True)

    w = engines.add_parser("web", help="web pages in headless Chromium, labelled from its accessibility tree")
    w.add_argument("target", nargs="+", help="http(s):// or file:// URL, an HTML file, or a folder of HTML files")
    w.add_argument("--out", required=True, help="output folder (images/ + records.jsonl + capture.json)")
    w.add_argument("--viewport", type=_viewport, action="append", metavar="WxH",
                   help="viewport size in CSS px, repeatable (default 1280x800)")
    w.add_argument("--theme", default="light", help="light, dark or light,dark (prefers-color-scheme; default light)")
    w.add_argument("--state", type=_state, action="append", metavar="NAME=JS",
                   help="also capture the page after running JAVASCRIPT (or NAME=click:SELECTOR: a real click), repeatable")
    w.add_argument("--states-only", action="store_true", help="capture only the --state screens, not the page as loaded")
    w.add_argument("--dsf", type=float, default=1.0, help="device scale factor (default 1)")
    w.add_argument("--wait-for", default=None, metavar="JS",
                   help="JavaScript expression to wait for after loading (pages that build themselves after load)")
    w.add_argument("--settle-s", type=float, default=0.1, help="pause after loading and after a state (default 0.1)")
    w.add_argument("--timeout-s", type=float, default=30.0, help="longest wait for a page (default 30)")
    w.add_argument("--source", default=None, help="the records' source (default: web:<host/path> or web:<file stem>)")
    w.add_argument("--overwrite", action="store_true", help="replace the dataset already in --out")
    w.add_argument("--json", action="store_true", help="print the summary as JSON")
    w.set_defaults(func=_cmd_web)

    d = engines.add_parser("desktop", help="a desktop app on a private X server, labelled from its accessibility tree "
                                           "(GTK, Qt, wx over AT-SPI) or Tk's widget tree")
    d.add_argument("app", nargs=argparse.REMAINDER, help="the app's command line, after -- (Tk: the script and its arguments)")
    d.add_argument("--out", required=True, help="output folder (images/ + records.jsonl + capture.json)")
    d.add_argument("--toolkit", choices=["auto", "gtk", "qt", "wx", "tk"], default="auto",
                   help="the app's toolkit (auto: as it reports itself over AT-SPI; tk: a Python Tk script)")
    d.add_argument("--resolution", type=_viewport, action="append", metavar="WxH",
                   help="screen size, repeatable (default 1280x800)")
    d.add_argument("--theme", default="light", help="light, dark or light,dark (default light)")
    d.add_argument("--wait-role", default="button", help="capture once an element of this role shows (default button)")
    d.add_argument("--timeout-s", type=float, default=15.0, help="how long the app may take to show it (default 15)")
    d.add_argument("--source", default=None, help="the records' source (default: the app's own name)")
    d.add_argument("--overwrite", action="store_true", help="replace the dataset already in --out")
    d.add_argument("--json", action="store_true", help="print the summary as JSON")
    d.set_defaults(func=_cmd_desktop)

if __name__ == "__main__":  # pragma: no cover
    print("use: simpleseg data capture ...", file=sys.stderr)
