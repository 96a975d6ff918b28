"""The screen agent: ``agent.click("the submit button")`` on a real desktop, with an explicit coordinate chain.

screenshot (mss) -> model (the tools) -> shape -> checked target -> pointer (pyautogui), recorded:
model space -> screenshot pixels -> monitor -> global desktop (:mod:`.frames`). mss and pyautogui
are imported only when a screenshot is taken or the pointer moves, so this package imports on a
headless machine; ``pip install 'simpleseg-agent[agent]'`` brings them.

Example (a fixed screenshot, a named fake backend, a recording pointer):
    >>> from PIL import Image
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> from simpleseg_agent.agent import Monitor, ScreenAgent, StaticScreen
    >>> from simpleseg_agent.agent.testing import RecordingPointer
    >>> screen = StaticScreen(Image.new("RGB", (2560, 1600)), Monitor(2, 1280, 0, 1280, 800))  # a 2x HiDPI grab
    >>> pointer = RecordingPointer()
    >>> agent = ScreenAgent(FakeAnswerBackend(["[[[0.45, 0.6], [0.55, 0.6], [0.55, 0.66], [0.45, 0.66]]]"]),
    ...                     screen=screen, pointer=pointer, monitor=2)
    >>> agent.click("the submit button").target.xy_action
    (1920, 504)
    >>> pointer.calls
    [('click', (1920, 504), 'left', 1)]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Names are loaded on first use (PEP 562), so ``simpleseg``'s parser can read the config without the tools.
_WHERE = {
    "ScreenAgent": "agent", "ConfirmCallback": "agent",
    "AgentConfig": "config", "add_config_arguments": "config", "config_from_args": "config",
    "Monitor": "frames", "PointChain": "frames", "ScreenFrame": "frames",
    "plan_target": "plan",
    "Pointer": "pointer", "PyAutoGUIPointer": "pointer",
    "ActionLatency": "records", "ActionLog": "records", "ActionRecord": "records", "AgentActionError": "records",
    "FrameRecord": "records", "TargetRecord": "records",
    "DisplayError": "screen", "MssScreen": "screen", "Screen": "screen", "Screenshot": "screen", "StaticScreen": "screen",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


if TYPE_CHECKING:  # pragma: no cover
    from .agent import ConfirmCallback, ScreenAgent
    from .config import AgentConfig, add_config_arguments, config_from_args
    from .frames import Monitor, PointChain, ScreenFrame
    from .plan import plan_target
    from .pointer import Pointer, PyAutoGUIPointer
    from .records import ActionLatency, ActionLog, ActionRecord, AgentActionError, FrameRecord, TargetRecord
    from .screen import DisplayError, MssScreen, Screen, Screenshot, StaticScreen
