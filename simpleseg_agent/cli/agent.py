"""``simpleseg click`` and ``simpleseg demo``: the screen agent from the command line."""

from __future__ import annotations

import argparse


def _cmd_click(args: argparse.Namespace) -> int:
    from ..agent.command import run_click

    return run_click(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import demo_command

    return demo_command(args)


def add_agent_commands(sub) -> None:
    """Register ``click`` and ``demo`` on ``sub`` (argparse subparsers)."""
    from ..agent.command import add_click_arguments

    p = sub.add_parser("click", help="find a query on the screen with a model and click it (--dry-run: only plan and draw)")
    add_click_arguments(p)
    p.set_defaults(func=_cmd_click)

    from ..demo import add_demo_arguments

    p = sub.add_parser("demo", help="the model finds the Submit button on a generated screen or a real window (--click: and clicks it)")
    add_demo_arguments(p)
    p.set_defaults(func=_cmd_demo)
