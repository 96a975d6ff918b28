"""Scale-out through a server: requests in flight at once (``concurrency``) and guided decoding (the answer
grammar sent as vLLM's ``structured_outputs``, honoured by ``simpleseg serve``)."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image, ImageDraw

from simpleseg_agent.backends.base import GenerationRequest
from simpleseg_agent.cli import main
from simpleseg_agent.grammar.constrain import AnswerGrammar
from simpleseg_agent.tools import Decoding, SimpleSeg

pytestmark = pytest.mark.timeout(240)


class CountingServer:
    """A named fake OpenAI-compatible server (not about the model: it answers box ``i`` to "item i" after a
    pause) that counts how many requests are in flight at once. ``info``: its ``simpleseg`` object at
    ``/v1/models`` (none: a server that says nothing, as vLLM); with ``scoring`` it also scores answers
    (preferring the first)."""

    def __init__(self, pause_s: float = 0.25, info: dict | None = None) -> None:
        self.pause_s, self.info = pause_s, info
        self.in_flight = self.most = self.scored = 0
        self.most_scoring = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                entry = {"id": "counted", "object": "model", "owned_by": "test"}
                if outer.info is not None:
                    entry["simpleseg"] = outer.info
                self._send({"object": "list", "data": [entry]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                scoring = self.path.endswith("/simpleseg/score")
                with outer.lock:
                    outer.in_flight += 1
                    outer.most = max(outer.most, outer.in_flight)
                    if scoring:
                        outer.scored += 1
                        outer.most_scoring = max(outer.most_scoring, outer.in_flight)
                time.sleep(outer.pause_s)
                with outer.lock:
                    outer.in_flight -= 1
                if scoring:
                    self._send({"scores": [-float(i) for i in range(len(body["continuations"]))]})
                    return
                text = body["messages"][-1]["content"][-1]["text"]
                i = int(m.group(1)) if (m := re.search(r"item (\d+)", text)) else 0
                x0 = 0.05 * i
                answer = f"[[[{x0:.2f}, 0.1], [{x0 + 0.04:.2f}, 0.1], [{x0 + 0.04:.2f}, 0.3], [{x0:.2f}, 0.3]]]"
                self._send({"id": "x", "object": "chat.completion", "model": "counted",
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                         "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 10, "total_tokens": 11}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> CountingServer:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _image() -> Image.Image:
    return Image.new("RGB", (200, 100), (30, 30, 30))


def test_run_batch_keeps_the_requested_number_in_flight_and_returns_in_input_order():
    with CountingServer() as server:
        seg = SimpleSeg(server.url, decoding=Decoding(snap=False), concurrency=4)
        results = seg.run_batch([_image()] * 12, [f"item {i}" for i in range(12)], "mask")
        seg.close()
    assert server.most >= 4
    assert [r.xyxy_norm[0] for r in results] == pytest.approx([0.05 * i for i in range(12)])


def test_a_server_gets_eight_requests_at_once_by_default():
    with CountingServer() as server:
        seg = SimpleSeg(server.url, decoding=Decoding(snap=False))
        seg.run_batch([_image()] * 8, [f"item {i}" for i in range(8)], "mask")
        seg.close()
    assert server.most == 8


@pytest.mark.slow
def test_scoring_through_a_server_keeps_requests_in_flight_too():
    """The shipped model's preset chooses among a screen's elements by scoring them on the server: the jobs
    of a batch score at once, not one after another."""
    from simpleseg_agent.testing.memorize import screen_example

    screen = screen_example().image
    info = {"preset": "simpleseg-gui-small", "coord_space": "1000", "prompt_style": "simpleseg", "scoring": True,
            "structured_outputs": False}
    with CountingServer(pause_s=1.0, info=info) as server:
        seg = SimpleSeg(server.url, decoding=Decoding(read_text=False), concurrency=4)
        assert seg.decoding.choose_only
        results = seg.run_batch([screen] * 8, [f"item {i}" for i in range(8)], "box")
        seg.close()
    assert all(r.ok and r.snapped == "model" for r in results)
    assert server.scored == 8 and server.most_scoring >= 4


def test_eval_takes_concurrency(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["data", "synth", "gui", "-n", "2", "--seed", "3", "--out", str(data), "--no-progress"]) == 0
    capsys.readouterr()
    with CountingServer(pause_s=0.2) as server:
        status = main(["eval", "--model", server.url, "--data", str(data / "records.jsonl"), "--max-samples", "8",
                       "--batch-size", "2", "--concurrency", "4", "--no-snap", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0 and report["n"] == 8
    assert server.most >= 4


def test_concurrency_with_a_local_model_is_a_clear_error(tmp_path, capsys):
    assert main(["eval", "--model", "./no-such-model", "--data", str(tmp_path / "r.jsonl"), "--concurrency", "4"]) == 2
    err = capsys.readouterr().err
    assert "--concurrency applies to a server URL" in err and len(err.strip().splitlines()) == 1


# --- guided decoding ------------------------------------------------------------------------------------

def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def _chat(image: Image.Image, prompt: str, **extra) -> dict:
    import base64
    import io

    buf = io.BytesIO()
    image.save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}},
                                                      {"type": "text", "text": prompt}]}], **extra}


@pytest.fixture(scope="module")
def tiny_served():
    pytest.importorskip("torch")
    from simpleseg_agent.backends.transformers_backend import TransformersBackend
    from simpleseg_agent.serve import make_server
    from simpleseg_agent.testing import tiny_model_dir

    backend = TransformersBackend(tiny_model_dir(), max_new_tokens=48)
    with make_server(backend, model_name="tiny") as handle:
        yield handle, backend
    backend.close()


@pytest.mark.slow
def test_simpleseg_serve_constrains_an_answer_when_the_request_carries_the_grammar(tiny_served):
    """A tiny random model writes broken lists; with vLLM's structured_outputs field its answers keep the grammar."""
    from simpleseg_agent.grammar.constrain import answer_regex

    handle, backend = tiny_served
    image = Image.new("RGB", (96, 64), (200, 30, 30))
    ImageDraw.Draw(image).rectangle((20, 10, 60, 40), fill=(240, 240, 240))
    space = backend.preset.coord_space
    grammar = AnswerGrammar("box", space)
    regex = answer_regex("box", space)
    free, held = [], []
    for seed in range(16):
        for guided, out in ((None, free), ({"structured_outputs": {"regex": regex}}, held)):
            status, body = _post(handle.url + "/chat/completions",
                                 _chat(image, "Where is the white box? Answer with coordinates.", temperature=1.0,
                                       seed=seed, max_tokens=48, **(guided or {})))
            assert status == 200, body
            out.append((body["choices"][0]["message"]["content"], body["simpleseg"]["decoding"]))
    assert {d for _, d in held} == {"constrained"} and {d for _, d in free} == {"free"}
    assert any("[" in t and grammar.feed(grammar.start(), t) is None for t, _ in free), "the free model must break lists"
    assert sum("[" in t for t, _ in held) >= 3, "too few answers reached a list for the check to mean anything"
    assert all(grammar.feed(grammar.start(), t) is not None for t, _ in held)
    # the older field name is honoured the same way; a regex that is not an answer grammar is refused
    status, body = _post(handle.url + "/chat/completions", _chat(image, "Where?", max_tokens=8, guided_regex=regex))
    assert status == 200 and body["simpleseg"]["decoding"] == "constrained"
    status, body = _post(handle.url + "/chat/completions",
                         _chat(image, "Where?", max_tokens=8, structured_outputs={"regex": "[a-z]+"}))
    assert status == 400 and "answer grammars" in body["error"]["message"]


def test_the_client_sends_the_grammar_where_the_server_honours_it(tiny_served):
    handle, backend = tiny_served
    image = Image.new("RGB", (96, 64), (200, 30, 30))
    auto = SimpleSeg(handle.url, decoding=Decoding(constrained=True, snap=False, max_new_tokens=24))
    off = SimpleSeg(handle.url, decoding=Decoding(snap=False, max_new_tokens=24), guided="off")
    try:
        assert auto.backend.supports_grammar and auto.decoding.constrained and not off.decoding.constrained
        [gen] = auto.backend.generate([GenerationRequest(image, "Where is it?", 24, grammar="point")])
        assert gen.extra["decoding"] == "constrained"
        with pytest.raises(Exception, match="cannot constrain"):
            SimpleSeg(handle.url, decoding=Decoding(constrained=True), guided="off")
    finally:
        auto.close()
        off.close()
