"""One SimpleSeg on the shipped default model, called from many threads and asyncio tasks at once, answers every
call exactly as the same calls made one by one (the default settings score the screen's elements, the path whose
model state once leaked between calls)."""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from simpleseg_agent.backends.presets import DEFAULT_MODEL  # noqa: E402
from simpleseg_agent.tools import SimpleSeg  # noqa: E402

N_SCREENS, PER_SCREEN = 4, 4


def _fields(result) -> tuple:
    """What a caller reads off a result: whether it worked, the box, the click point and the model's answer."""
    click = result.click.xy_px if result.click is not None else None
    return result.ok, result.xyxy_px, click, result.raw_answer, result.snapped


@pytest.fixture(scope="module")
def calls():
    """Different generated screens (different sizes, so different model positions), several queries each."""
    from simpleseg_agent.training.synth.gui import GuiScreenGenerator, GuiSynthConfig

    gen = GuiScreenGenerator(GuiSynthConfig(difficulty="easy"))
    out = []
    for i in range(N_SCREENS):
        image, records = gen.screen(i, seed=5)
        out += [(image, rec.expressions[0]) for rec in records[:PER_SCREEN]]
    assert len({im.size for im, _ in out}) == N_SCREENS
    return out


@pytest.fixture(scope="module")
def seg():
    s = SimpleSeg(DEFAULT_MODEL)
    yield s
    s.close()


@pytest.fixture(scope="module")
def one_by_one(seg, calls):
    return [_fields(seg.segment(image, query)) for image, query in calls]


@pytest.fixture()
def busy_switching():
    """Threads switch far more often than by default: the interleavings a loaded server sees, in a short test."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


def _differences(got: list[tuple], want: list[tuple], calls) -> list[str]:
    return [f"{q!r}: {g} != {w}" for (_, q), g, w in zip(calls, got, want) if g != w]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_threads_get_their_own_answers(seg, calls, one_by_one, busy_switching) -> None:
    assert seg.decoding.choose_only and seg.decoding.snap  # the default settings: the model scores the screen's elements
    assert sum(ok for ok, *_ in one_by_one) >= len(calls) // 2
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:  # all at once
        got = list(pool.map(lambda c: _fields(seg.segment(*c)), calls))
    assert not _differences(got, one_by_one, calls)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_asyncio_tool_calls_get_their_own_answers(seg, calls, one_by_one, busy_switching) -> None:
    pytest.importorskip("langchain_core")
    from simpleseg_agent.integrations.langchain import SimpleSegToolkit

    async def run() -> list[tuple]:
        tools = [SimpleSegToolkit(segmenter=seg, image=image).get_tools()[0] for image, _ in calls]
        msgs = await asyncio.gather(*[
            tool.ainvoke({"name": "segment", "args": {"query": query}, "id": str(k), "type": "tool_call"})
            for k, (tool, (_, query)) in enumerate(zip(tools, calls))
        ])
        return [_fields(m.artifact) for m in msgs]

    assert not _differences(asyncio.run(run()), one_by_one, calls)
