"""Constrained decoding through the real transformers backend (a tiny random Qwen2.5-VL from a local
folder) and its wiring through SimpleSeg, the CLI and eval reports."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch", reason="needs the [model] extra")
pytest.importorskip("transformers", reason="needs the [model] extra")

from PIL import Image, ImageDraw

from simpleseg_agent.backends.base import GenerationRequest, ModelPreset
from simpleseg_agent.backends.transformers_backend import TransformersBackend
from simpleseg_agent.cli import main
from simpleseg_agent.errors import ModelError
from simpleseg_agent.grammar import parse_answer
from simpleseg_agent.grammar.constrain import AnswerGrammar
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.testing.fixtures import memorized_model_path, tiny_model_path  # noqa: F401
from simpleseg_agent.tools import Decoding, SimpleSeg
from simpleseg_agent.tools.decoding import PRESET_DECODINGS

pytestmark = pytest.mark.timeout(240)


def _image() -> Image.Image:
    img = Image.new("RGB", (96, 64), (200, 30, 30))
    ImageDraw.Draw(img).rectangle((20, 10, 60, 40), fill=(240, 240, 240))
    return img


def _list_part(text: str) -> str:
    return text[text.index("["):] if "[" in text else ""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["mask", "box", "point"])
def test_sampled_answers_of_a_random_model_keep_the_grammar_only_when_constrained(tiny_model_path, kind):  # noqa: F811
    """The random model samples anything; with the grammar every answer that reached a list keeps it."""
    backend = TransformersBackend(tiny_model_path, max_new_tokens=48, batch_size=8)
    grammar = AnswerGrammar(kind, backend.preset.coord_space)
    prompt = "Where is the white box? Answer with coordinates."
    free = backend.generate([GenerationRequest(_image(), prompt, temperature=1.0, seed=s) for s in range(24)])
    held = backend.generate([GenerationRequest(_image(), prompt, temperature=1.0, seed=s, grammar=kind) for s in range(24)])
    with_list = [r.text for r in held if "[" in r.text]
    assert len(with_list) >= 3, "too few answers reached a list for the check to mean anything"
    for r in held:
        state = grammar.feed(grammar.start(), r.text)
        assert state is not None, r.text
        if r.finished and grammar.is_done(state):
            parse_answer(r.text, kind={"mask": "polygons"}.get(kind, kind), space=backend.preset.coord_space)
    broken = [r.text for r in free if "[" in r.text and grammar.feed(grammar.start(), r.text) is None]
    assert broken, "the unconstrained model should break lists (else this test could not fail)"
    assert held[0].extra["batch_size"] == 8


@pytest.mark.slow
def test_a_memorized_answer_is_unchanged_by_the_grammar(memorized_model_path):  # noqa: F811
    """A model that already answers well-formed lists answers the same under the constraint."""
    from simpleseg_agent.testing.memorize import synthetic_examples

    backend = TransformersBackend(memorized_model_path, max_new_tokens=160)
    ex = synthetic_examples()[0]
    free = backend.generate([GenerationRequest(ex.image, ex.prompt)])[0]
    held = backend.generate([GenerationRequest(ex.image, ex.prompt, grammar="mask")])[0]
    assert held.text == free.text and held.finished and parse_answer(held.text).kind == "polygons"


def test_bad_grammar_is_a_model_error(tiny_model_path):  # noqa: F811
    backend = TransformersBackend(tiny_model_path, max_new_tokens=4)
    with pytest.raises(ModelError, match="grammar must be"):
        backend.generate([GenerationRequest(_image(), "x", grammar="polygon")])


def test_the_tool_asks_for_the_grammar_of_each_answer_kind(monkeypatch):
    """A named fake backend records the requests: the grammar follows the answer kind, and only when asked."""
    answer = "[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]]"
    fake = FakeAnswerBackend([answer])
    SimpleSeg(fake, decoding=Decoding(constrained=True)).run_batch([_image()] * 3, ["a", "b", "c"])
    seg = SimpleSeg(fake, decoding=Decoding(constrained=True))
    seg.locate_box(_image(), "the box")
    seg.locate_point(_image(), "the point")
    SimpleSeg(fake, decoding=Decoding(constrained=True, samples=2)).segment(_image(), "a")
    SimpleSeg(fake).segment(_image(), "a")
    assert [r.grammar for r in fake.requests] == ["mask"] * 3 + ["box", "point"] + ["mask"] * 3 + [None]
    grounding = FakeAnswerBackend(['{"bbox_2d": [1, 2, 30, 40]}'], preset=ModelPreset("g", "g", prompt_style="grounding"))
    SimpleSeg(grounding, decoding=Decoding(constrained=True)).locate_box(_image(), "the box")
    assert grounding.requests[0].grammar is None  # JSON answers of base models have another grammar
    preset_on = FakeAnswerBackend([answer], preset=ModelPreset("on", "on"))
    monkeypatch.setitem(PRESET_DECODINGS, "on", Decoding(constrained=True))
    assert SimpleSeg(preset_on).decoding.constrained
    assert not SimpleSeg(preset_on, decoding=Decoding(constrained=False)).decoding.constrained
    with pytest.raises(ModelError, match="constrained must be"):
        SimpleSeg(fake, decoding=Decoding(constrained="yes"))  # type: ignore[arg-type]


def test_a_backend_that_cannot_mask_tokens_is_never_called_constrained(monkeypatch):
    from simpleseg_agent.backends.openai_http import OpenAIHTTPBackend

    # a server takes the grammar only where guided decoding is on (or "auto" and the server says it honours it)
    assert OpenAIHTTPBackend("http://127.0.0.1:9/v1", guided="off").supports_grammar is False
    assert TransformersBackend.supports_grammar is True
    answer = "[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]]"
    server = FakeAnswerBackend([answer], preset=ModelPreset("on", "on"))
    monkeypatch.setitem(PRESET_DECODINGS, "on", Decoding(constrained=True))
    server.supports_grammar = False  # a named fake standing in for a remote server
    with pytest.raises(ModelError, match="cannot constrain its answers"):
        SimpleSeg(server, decoding=Decoding(constrained=True))
    seg = SimpleSeg(server)  # the preset asks for the grammar, the backend cannot: off, and said so
    seg.segment(_image(), "a")
    assert not seg.decoding.constrained and server.requests[-1].grammar is None


@pytest.mark.slow
def test_eval_and_segment_take_constrained(tiny_model_path, tmp_path, capsys):  # noqa: F811
    data = tmp_path / "data"
    assert main(["data", "synth", "gui", "-n", "1", "--seed", "5", "--out", str(data), "--no-progress"]) == 0
    capsys.readouterr()
    status = main(["eval", "--model", str(tiny_model_path), "--data", str(data / "records.jsonl"), "--max-samples", "2",
                   "--max-new-tokens", "16", "--constrained", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0 and report["decoding"] == "greedy, constrained" and report["n"] == 2
    _image().save(tmp_path / "shot.png")
    assert main(["segment", str(tmp_path / "shot.png"), "the box", "--model", str(tiny_model_path),
                 "--max-new-tokens", "8", "--no-constrained", "--json"]) in (0, 1)
    assert "raw_answer" in json.loads(capsys.readouterr().out)
