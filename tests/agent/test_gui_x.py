"""The agent on a real X server: real Tk windows whose own callbacks say what was clicked, typed, scrolled.

The model here is a named stand-in (:class:`ColorGrounder`): it answers the outline of a known color
in the screenshot the agent grabbed, so a wrong monitor, offset or scale shows up as a wrong click.
"""

from __future__ import annotations

import pytest
from PIL import Image

from simpleseg_agent.agent import AgentActionError, MssScreen, ScreenAgent, ScreenFrame, Screenshot
from simpleseg_agent.agent.testing import ColorGrounder

from .conftest import PARK_XY, RIGHT
from .scenes import BACKGROUND, hex_color, inside, phrases, random_buttons

pytestmark = pytest.mark.timeout(60)

WINDOW = (40, 40, 1200, 700)


def _agent(**options) -> ScreenAgent:
    space = options.pop("space", "norm")
    options.setdefault("pause_s", 0.0)
    return ScreenAgent(ColorGrounder(phrases(), space=space), **options)


def _clicks(events, kind="click"):
    return [e["name"] for e in events if e["event"] == kind]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_click_fires_exactly_the_requested_button(single_monitor, open_window, seed):
    window = open_window(random_buttons(seed, WINDOW, n=6))
    agent = _agent()
    for name in [w["name"] for w in random_buttons(seed, WINDOW, n=6)["widgets"]][:3]:
        record = agent.click(f"the {name} button")
        assert _clicks(window.sync()) == [name]
        assert record.status == "done"
        assert inside(record.target.xy_action, window.geometry[name])
        assert record.frame.monitor_xywh == (0, 0, 2560, 800) and record.frame.scale_xy == (1.0, 1.0)


@pytest.mark.slow
def test_click_on_the_second_of_two_monitors(dual_monitors, open_window):
    # the same colors on both monitors, at other positions: a wrong monitor or a missing offset clicks the decoy
    decoy = open_window(random_buttons(10, WINDOW, n=5, names=["red", "green", "blue", "orange", "purple"]))
    right_xywh = (RIGHT[0] + 40, 40, 1200, 700)
    target = open_window(random_buttons(11, right_xywh, n=5, names=["red", "green", "blue", "orange", "purple"]))
    agent = _agent(monitor=2)
    for name in ("blue", "orange"):
        record = agent.click(f"the {name} button")
        assert _clicks(target.sync()) == [name]
        assert _clicks(decoy.sync()) == []
        assert record.frame.monitor_index == 2 and record.frame.monitor_xywh == RIGHT
        mx, my = record.target.xy_monitor
        assert record.target.xy_global == (mx + 1280, my)


class ScaledScreen(MssScreen):
    """A HiDPI screen, simulated: the grab is resampled to ``factor`` times the monitor's logical size."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def grab(self, index: int) -> Screenshot:
        shot = super().grab(index)
        wh = (round(shot.image.width * self.factor), round(shot.image.height * self.factor))
        image = shot.image.resize(wh, Image.NEAREST)  # nearest keeps the widget colors exact
        return Screenshot(image, ScreenFrame(shot.frame.monitor, image.size), shot.grab_s)


@pytest.mark.slow
@pytest.mark.parametrize("factor,space", [(2.0, "norm"), (2.0, "px"), (1.5, "1000"), (0.5, "px")])
def test_hidpi_screenshot_still_clicks_the_right_button(dual_monitors, open_window, factor, space):
    window = open_window(random_buttons(20, (RIGHT[0] + 40, 40, 1200, 700), n=5))
    names = [w["name"] for w in random_buttons(20, WINDOW, n=5)["widgets"]]
    agent = ScreenAgent(ColorGrounder(phrases(), space=space), screen=ScaledScreen(factor), monitor=2, pause_s=0.0)
    record = agent.click(f"the {names[0]} button")
    assert _clicks(window.sync()) == [names[0]]
    assert record.frame.scale_xy == (factor, factor)
    assert record.frame.screenshot_wh == (round(1280 * factor), round(800 * factor))
    assert record.frame.model_space == space


@pytest.mark.slow
def test_dry_run_never_moves_the_pointer(single_monitor, open_window, xpointer, tmp_path):
    spec = random_buttons(3, WINDOW, n=4)
    window = open_window(spec)
    name = spec["widgets"][0]["name"]
    before = xpointer.position()
    agent = _agent(dry_run=True, log_path=str(tmp_path / "actions.jsonl"))
    records = [
        agent.click(f"the {name} button"),
        agent.double_click(f"the {name} button"),
        agent.type_into(f"the {name} button", "abc"),
        agent.drag(f"the {name} button", f"the {name} button"),
        agent.scroll(f"the {name} button", -3),
    ]
    assert all(r.status == "planned" and r.dry_run and r.overlay is not None for r in records)
    assert inside(records[0].target.xy_action, window.geometry[name])
    assert xpointer.position() == before == PARK_XY
    assert window.sync() == []
    assert agent._pointer is None  # pyautogui was never even needed
    assert [line["status"] for line in agent.log.read()] == ["planned"] * 5


def _form(names=("name", "email")) -> dict:
    widgets = [{"name": n, "kind": "entry", "xywh": [200, 80 + 70 * i, 400, 36], "bg": hex_color(c)}
               for i, (n, c) in enumerate(zip(names, [(255, 247, 205), (214, 240, 255)]))]
    return {"geometry": list(WINDOW), "bg": BACKGROUND, "widgets": widgets}


@pytest.mark.slow
def test_typing_reaches_the_focused_text_field(single_monitor, open_window):
    window = open_window(_form())
    agent = ScreenAgent(ColorGrounder({"the name field": (255, 247, 205), "the email field": (214, 240, 255)}), pause_s=0.0)
    agent.type_into("the name field", "Ada Lovelace")
    agent.type_into("the email field", "ada@example.org", enter=True)
    events = window.sync()
    texts = {}
    for e in events:
        if e["event"] == "text":
            texts[e["name"]] = e["value"]
    assert texts == {"name": "Ada Lovelace", "email": "ada@example.org"}
    assert [e["name"] for e in events if e["event"] == "return"] == ["email"]


def test_untypeable_text_is_refused_before_anything_moves(single_monitor, open_window, xpointer):
    window = open_window(_form())
    agent = ScreenAgent(ColorGrounder({"the name field": (255, 247, 205)}), pause_s=0.0)
    with pytest.raises(AgentActionError, match="cannot type"):
        agent.type_into("the name field", "Zoë")
    assert xpointer.position() == PARK_XY
    assert window.sync() == []


@pytest.mark.slow
def test_double_right_hover_scroll_and_drag(single_monitor, open_window, xpointer):
    spec = random_buttons(5, WINDOW, n=5, names=["red", "green", "blue", "teal", "pink"])
    window = open_window(spec)
    agent = _agent()

    agent.double_click("the red button")
    assert _clicks(window.sync(), "double_click") == ["red"]

    agent.right_click("the green button")
    events = window.sync()
    assert _clicks(events, "right_click") == ["green"] and _clicks(events) == []

    record = agent.hover("the blue button")
    events = window.sync()
    assert _clicks(events, "enter")[-1:] == ["blue"] and _clicks(events) == []
    assert xpointer.position() == record.target.xy_action

    agent.scroll("the teal button", 3)
    agent.scroll("the teal button", -2)
    scrolls = [(e["name"], e["direction"]) for e in window.sync() if e["event"] == "scroll"]
    assert scrolls == [("teal", "up")] * 3 + [("teal", "down")] * 2

    record = agent.drag("the pink button", "the red button")
    events = window.sync()
    assert [e["name"] for e in events if e["event"] == "press"] == ["pink"]
    assert [(e["name"], e["over"]) for e in events if e["event"] == "release"] == [("pink", "red")]
    assert len(record.targets) == 2 and record.latency.model_s >= 0


@pytest.mark.slow
def test_a_missing_button_is_refused_and_nothing_moves(single_monitor, open_window, xpointer):
    window = open_window(random_buttons(6, WINDOW, n=3, names=["red", "green", "blue"]))
    agent = _agent()
    with pytest.raises(AgentActionError, match=r"not_found") as info:
        agent.click("the purple button")
    assert info.value.record.status == "refused" and info.value.record.frame is not None
    assert xpointer.position() == PARK_XY
    assert window.sync() == []


@pytest.mark.slow
def test_confirm_callback_can_decline(single_monitor, open_window, xpointer):
    window = open_window(random_buttons(7, WINDOW, n=3, names=["red", "green", "blue"]))
    asked = []
    agent = _agent(confirm=lambda record: asked.append(record) or False)
    with pytest.raises(AgentActionError, match="declined") as info:
        agent.click("the green button")
    assert info.value.record.status == "declined"
    assert asked[0].status == "planned" and inside(asked[0].target.xy_action, window.geometry["green"])
    assert xpointer.position() == PARK_XY and window.sync() == []

    agent.confirm = lambda record: True
    agent.click("the green button")
    assert _clicks(window.sync()) == ["green"]


@pytest.mark.slow
def test_failsafe_stops_the_agent(single_monitor, open_window, xpointer):
    open_window(random_buttons(8, WINDOW, n=2, names=["red", "green"]))
    xpointer.warp((0, 0))  # the user slams the pointer into a corner
    agent = _agent()
    with pytest.raises(Exception) as info:
        agent.click("the red button")
    assert type(info.value).__name__ == "FailSafeException"
    assert xpointer.position() == (0, 0)
