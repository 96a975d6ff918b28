"""``simpleseg click``: find a query on the screen with a model and click it (or only plan it).

Exit status: 0 when the action was done (or planned, with ``--dry-run`` / ``--action locate``);
1 when it was refused (nothing on the screen matches the query: ``error_kind`` ``not_found`` in the
JSON record; the model's answer was unusable; the target implausible) or declined at the
``--confirm`` prompt; 2 on bad input or when the display cannot be used. The reason is on
stderr, or in the JSON record with ``--json``.
"""

from __future__ import annotations

import argparse
import sys

from ..tools.decoding import add_decoding_arguments, decoding_from_args
from .config import add_config_arguments

ACTIONS = ("click", "double_click", "right_click", "hover", "locate")


def add_click_arguments(p: argparse.ArgumentParser) -> None:
    """The ``click`` subcommand's options: model options, the decoding's, then one per :class:`AgentConfig` field."""
    p.add_argument("query", help="what to click, e.g. 'the submit button'")
    from ..backends.presets import DEFAULT_MODEL

    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"preset name, checkpoint folder, hub id or server URL (default: {DEFAULT_MODEL}, the shipped model)")
    p.add_argument("--preset", default=None, help="how to prompt / read the model (see 'simpleseg models')")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, auto (local models)")
    add_decoding_arguments(p)
    p.add_argument("--action", choices=ACTIONS, default="click", help="what to do at the target (locate: plan only)")
    p.add_argument("--overlay", default=None, metavar="PNG", help="write the screenshot with the planned action drawn on it")
    p.add_argument("--confirm", action="store_true", help="show the plan and ask on the terminal before acting")
    p.add_argument("--json", action="store_true", help="print the action record as JSON")
    add_config_arguments(p, skip=("max_scroll_clicks", "max_text_chars"))  # no scrolling or typing here


def _ask(record) -> bool:
    t = record.target
    print(f"{record.action} {t.query!r} at {t.xy_action} on monitor {record.frame.monitor_index}? [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def check_screen(monitor: int) -> None:
    """Raise :class:`~simpleseg_agent.agent.screen.DisplayError` when the display cannot be reached or has no
    monitor ``monitor``: what ``simpleseg click`` checks before it loads a model (seconds) it could not use."""
    from .screen import MssScreen, check_display

    check_display("simpleseg click (it takes a screenshot)")
    screen = MssScreen()
    try:
        screen.monitor(monitor)
    finally:
        screen.close()


def run_click(args: argparse.Namespace) -> int:
    from ..errors import ImageError
    from ..tools import SimpleSeg
    from .agent import ScreenAgent
    from .config import config_from_args
    from .records import AgentActionError

    if args.overlay and not args.overlay.lower().endswith(".png"):
        raise ImageError(f"--overlay: expected a file name ending in .png, got {args.overlay!r}")  # before anything acts
    config = config_from_args(args)
    check_screen(config.monitor)  # no display or no such monitor: exit 2 now, not after the model loads
    backend_kwargs = {"device": args.device} if args.device else {}
    tool = SimpleSeg(args.model, preset=args.preset, decoding=decoding_from_args(args), **backend_kwargs)
    agent = ScreenAgent(tool, config, confirm=_ask if args.confirm else None)
    try:
        record = getattr(agent, args.action)(args.query, overlay=bool(args.overlay))
    except AgentActionError as exc:
        record = exc.record
    finally:
        agent.close()
        tool.close()
    if args.overlay and record.overlay is not None:
        from ..overlay import save_overlay

        save_overlay(record.overlay, args.overlay)
    print(record.model_dump_json() if args.json else record.summary())
    if record.ok:
        return 0
    if not args.json:
        print(f"simpleseg click: {record.status}: {record.error}", file=sys.stderr)
    return 2 if record.status == "failed" else 1


__all__ = ["ACTIONS", "add_click_arguments", "check_screen", "run_click"]
