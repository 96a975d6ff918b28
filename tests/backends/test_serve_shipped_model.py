"""``simpleseg serve`` with the shipped model, asked through ``--model http://.../v1``: the same answers as the
model run here.

The server says how its answers are written (preset, coordinate space) at ``/v1/models`` and in each answer;
the client reads them in that space, scores the screen's elements through the server's scoring extension and
constrains answers through its guided decoding, so snapping chooses the same element as the local model.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from simpleseg_agent.backends.presets import DEFAULT_MODEL, PRESETS
from simpleseg_agent.cli import main
from simpleseg_agent.serve import make_server
from simpleseg_agent.tools import Decoding, SimpleSeg

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def screen(tmp_path_factory) -> tuple[Path, list[str]]:
    """A freshly generated screen and the queries of its elements."""
    out = tmp_path_factory.mktemp("screen")
    assert main(["data", "synth", "gui", "-n", "1", "--seed", "5", "--out", str(out), "--no-progress"]) == 0
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    return out / records[0]["image_path"], [r["expressions"][0] for r in records[:4]]


@pytest.fixture(scope="module")
def served():
    """The shipped model, served by ``simpleseg serve``'s server in a thread; and the same model run here."""
    from simpleseg_agent.backends.transformers_backend import TransformersBackend

    preset = PRESETS[DEFAULT_MODEL]
    backend = TransformersBackend(preset.model_id, preset=preset)
    with make_server(backend, model_name="gui-small") as handle:
        yield handle, SimpleSeg(backend)
    backend.close()


@pytest.mark.timeout(120)
def test_the_server_says_its_preset_and_coordinate_space(served):
    handle, _ = served
    with urllib.request.urlopen(handle.url + "/models", timeout=30) as response:
        [entry] = json.load(response)["data"]
    assert entry["id"] == "gui-small"
    assert entry["simpleseg"] == {"preset": DEFAULT_MODEL, "coord_space": "1000", "prompt_style": "simpleseg",
                                  "scoring": True, "structured_outputs": True}


@pytest.mark.timeout(120)
def test_an_unknown_model_name_is_404_as_vllm_answers(served, screen):
    handle, _ = served
    body = json.dumps({"model": "not-served", "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(handle.url + "/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    error = json.load(caught.value)["error"]
    assert caught.value.code == 404 and error["type"] == "NotFoundError" and error["code"] == 404
    assert "`not-served` does not exist" in error["message"]


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("answer", ["box", "mask"])
def test_through_the_server_the_shipped_model_answers_as_it_does_here(served, screen, answer):
    handle, local_tool = served
    image, queries = screen
    remote = SimpleSeg(handle.url)  # no preset named: the server's word decides
    # the model's own choice among the screen's elements (grounding on the words left out: it needs no model)
    local = SimpleSeg(local_tool.backend, decoding=Decoding(ground=False))
    chooser = SimpleSeg(handle.url, decoding=Decoding(ground=False))
    try:
        assert remote.preset.name == DEFAULT_MODEL and remote.preset.coord_space.value == "1000"
        assert (remote.decoding.snap, remote.decoding.choose_only, remote.decoding.constrained, remote.decoding.ground) == (
            local_tool.decoding.snap, local_tool.decoding.choose_only, local_tool.decoding.constrained, local_tool.decoding.ground)
        for query in queries:
            here = local.run_batch([image], [query], answer)[0]
            there = chooser.run_batch([image], [query], answer)[0]
            assert here.ok and there.ok, (here.error, there.error)
            assert there.snapped == here.snapped == "model"
            assert there.xyxy_px == here.xyxy_px, query
            assert there.raw_answer == here.raw_answer
            # as the preset decodes (grounding first, the model on ties): the same answer through the server
            here = local_tool.run_batch([image], [query], answer)[0]
            there = remote.run_batch([image], [query], answer)[0]
            assert (there.ok, there.stage, there.xyxy_px) == (here.ok, here.stage, here.xyxy_px), query
    finally:
        remote.close()
        chooser.close()


@pytest.mark.timeout(180)
def test_a_generated_answer_through_the_server_is_read_in_the_servers_space(served, screen):
    """Without snapping the answer is the model's own text, in 0-1000: the client reads it so (0-1 before)."""
    handle, local_tool = served
    image, queries = screen
    local = SimpleSeg(local_tool.backend, decoding=Decoding(snap=False))
    remote = SimpleSeg(handle.url, decoding=Decoding(snap=False))
    try:
        here, there = local.locate_box(image, queries[0]), remote.locate_box(image, queries[0])
        assert here.ok and there.ok, (here.error, there.error)
        assert there.raw_answer == here.raw_answer and there.xyxy_px == here.xyxy_px
    finally:
        remote.close()


@pytest.mark.timeout(120)
def test_a_preset_named_by_the_user_wins_over_the_servers_word(served):
    handle, _ = served
    remote = SimpleSeg(handle.url, preset="simpleseg-qwen2.5-vl")
    try:
        assert remote.preset.coord_space.value == "norm"
    finally:
        remote.close()


@pytest.mark.timeout(60)
def test_a_server_that_could_not_be_asked_at_first_use_is_not_misread_later():
    """The tool read the generic 0-1 preset while the server was down; once it answers in 0-1000 the answer
    is a clear error naming the preset, not a box read in the wrong space. (A named fake backend: this is
    about the client, not the model.)"""
    import socket

    from simpleseg_agent.backends.base import ModelPreset
    from simpleseg_agent.grammar import CoordSpace
    from simpleseg_agent.testing.fakes import FakeAnswerBackend
    from PIL import Image

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    remote = SimpleSeg(f"http://127.0.0.1:{port}/v1", decoding=Decoding(snap=False), max_retries=0)
    assert remote.preset.coord_space.value == "norm"
    fake = FakeAnswerBackend(["[[[100,100],[600,100],[600,600]]]"],
                             preset=ModelPreset("fake-1000", "fake", CoordSpace.THOUSAND))
    with make_server(fake, port=port):
        result = remote.segment(Image.new("RGB", (64, 48)), "the thing")
    remote.close()
    assert not result.ok and "'1000' coordinate space" in result.error.message and "--preset" in result.error.message
