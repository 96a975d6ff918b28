"""The screen agent's settings: one dataclass whose fields carry their help text; the CLI is generated from it.

Example:
    >>> AgentConfig(monitor=2, dry_run=True).pause_s
    0.1
    >>> AgentConfig(max_area_fraction=1.5)
    Traceback (most recent call last):
    ...
    simpleseg_agent.errors.ActionError: max_area_fraction must be in (0, 1], got 1.5 (refuse shapes covering more than this share of the monitor)
"""

from __future__ import annotations

import argparse
from dataclasses import MISSING, dataclass, field, fields
from typing import Optional

from ..errors import ActionError


@dataclass(frozen=True)
class AgentConfig:
    """How the agent looks, checks and acts (each field's ``help`` metadata says what it does)."""

    monitor: int = field(default=1, metadata={"help": "monitor to look at and act on, numbered as mss does: 1, 2, ...; 0 is all monitors together"})
    dry_run: bool = field(default=False, metadata={"help": "plan and draw every action, never move the pointer or type"})
    failsafe: bool = field(default=True, metadata={"help": "pyautogui's fail-safe: the pointer in a screen corner stops every action"})
    pause_s: float = field(default=0.1, metadata={"help": "pause after each pointer or keyboard call, seconds (pyautogui.PAUSE)"})
    move_duration_s: float = field(default=0.0, metadata={"help": "pointer travel time for moves and drags, seconds (0: jump)"})
    min_clearance_px: float = field(default=2.0, metadata={"help": "refuse targets closer than this to the shape's border, logical pixels"})
    min_area_px: float = field(default=25.0, metadata={"help": "refuse shapes smaller than this, square logical pixels"})
    max_area_fraction: float = field(default=0.9, metadata={"help": "refuse shapes covering more than this share of the monitor"})
    min_agreement: float = field(default=0.0, metadata={"help": "with consensus decoding (--samples K), refuse targets whose K+1 answers agreed less than this, 0-1 (0: no check)"})
    allow_clamped: bool = field(default=False, metadata={"help": "act on answers with coordinates outside the screenshot (clamped to its border)"})
    max_scroll_clicks: int = field(default=50, metadata={"help": "refuse scrolls of more clicks than this"})
    max_text_chars: int = field(default=2000, metadata={"help": "refuse to type texts longer than this"})
    log_path: Optional[str] = field(default=None, metadata={"help": "append every action record to this JSON-lines file"})
    overlay_dir: Optional[str] = field(default=None, metadata={"help": "save a PNG of every planned action in this folder"})

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, expected: str) -> None:
            if not ok:
                raise ActionError(f"{name} must be {expected}, got {getattr(self, name)!r} ({_help(name)})")

        need(isinstance(self.monitor, int) and not isinstance(self.monitor, bool) and self.monitor >= 0, "monitor", "an int >= 0")
        need(self.pause_s >= 0, "pause_s", ">= 0")
        need(self.move_duration_s >= 0, "move_duration_s", ">= 0")
        need(self.min_clearance_px >= 0, "min_clearance_px", ">= 0")
        need(self.min_area_px >= 0, "min_area_px", ">= 0")
        need(0 < self.max_area_fraction <= 1, "max_area_fraction", "in (0, 1]")
        need(0 <= self.min_agreement <= 1, "min_agreement", "in [0, 1]")
        need(isinstance(self.max_scroll_clicks, int) and self.max_scroll_clicks >= 1, "max_scroll_clicks", "an int >= 1")
        need(isinstance(self.max_text_chars, int) and self.max_text_chars >= 1, "max_text_chars", "an int >= 1")


def _help(name: str) -> str:
    return next(f.metadata.get("help", "") for f in fields(AgentConfig) if f.name == name)


def add_config_arguments(parser: argparse.ArgumentParser, *, skip: tuple[str, ...] = ()) -> None:
    """Add one option per :class:`AgentConfig` field (``--pause-s``, ``--dry-run``, ``--no-failsafe``, ...).

    Example:
        >>> p = argparse.ArgumentParser()
        >>> add_config_arguments(p)
        >>> config_from_args(p.parse_args(["--monitor", "2", "--dry-run", "--no-failsafe"]))
        AgentConfig(monitor=2, dry_run=True, failsafe=False, pause_s=0.1, move_duration_s=0.0, min_clearance_px=2.0, min_area_px=25.0, max_area_fraction=0.9, min_agreement=0.0, allow_clamped=False, max_scroll_clicks=50, max_text_chars=2000, log_path=None, overlay_dir=None)
    """
    for f in fields(AgentConfig):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        helptext = f.metadata.get("help", "")
        if f.type in ("bool", bool):
            if f.default:
                parser.add_argument("--no-" + f.name.replace("_", "-"), dest=f.name, action="store_false", help=f"turn off: {helptext}")
            else:
                parser.add_argument(flag, dest=f.name, action="store_true", help=helptext)
            continue
        kind = {"int": int, "float": float}.get(str(f.type), str)
        default = None if f.default is MISSING else f.default
        parser.add_argument(flag, dest=f.name, type=kind, default=default, help=f"{helptext} (default: {default})")


def config_from_args(args: argparse.Namespace) -> AgentConfig:
    """The :class:`AgentConfig` of parsed options (fields not on the parser keep their defaults)."""
    return AgentConfig(**{f.name: getattr(args, f.name) for f in fields(AgentConfig) if hasattr(args, f.name)})


__all__ = ["AgentConfig", "add_config_arguments", "config_from_args"]
