"""OpenAIHTTPBackend against our own server (a fake model behind it) and against scripted HTTP servers."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

pytest.importorskip("requests", reason="the OpenAI-compatible backend needs requests (extra 'model')")

from simpleseg_agent.backends.base import GenerationRequest, GenerationResult
from simpleseg_agent.backends.openai_http import (
    OpenAIHTTPBackend,
    _parse_retry_after,
    _retry_delay_s,
    normalize_base_url,
)
from simpleseg_agent.errors import ModelError
from simpleseg_agent.serve import make_server

from .test_serve import TABLE, FakeTableBackend, checksum, noise_image


@pytest.fixture
def fake_server():
    fake = FakeTableBackend(TABLE)
    handle = make_server(fake, model_name="fake-model").start()
    try:
        yield fake, handle
    finally:
        handle.stop()


# --- against our own server -------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_batch_answers_in_order_with_images_intact_and_model_discovered(fake_server):
    fake, handle = fake_server
    images = [noise_image(37, 23, seed=1), noise_image(64, 48, seed=2), noise_image(5, 9, seed=3)]
    prompts = ["Where is the cat?", "Where is the dog?", "Where is the bird?"]
    with OpenAIHTTPBackend(handle.url, concurrency=3) as backend:
        assert backend.preset.coord_space.value == "norm"
        results = backend.generate([GenerationRequest(im, p) for im, p in zip(images, prompts)])
        assert backend.model == "fake-model"  # from GET /v1/models
    assert [r.text for r in results] == [TABLE[p] for p in prompts]
    assert all(r.finished and r.extra["finish_reason"] == "stop" for r in results)
    assert [r.n_tokens for r in results] == [len(TABLE[p].split(" ")) for p in prompts]
    # Our server reports the size the model saw (the fake: half); the backend passes it on.
    assert [r.model_input_wh for r in results] == [(w // 2, h // 2) for w, h in (im.size for im in images)]
    assert all(r.extra["server_model_s"] == 0.001 for r in results)
    got = {rec["prompt"]: rec for rec in fake.received}
    for image, prompt in zip(images, prompts):
        assert got[prompt]["size"] == image.size
        assert got[prompt]["checksum"] == checksum(image)  # PNG: lossless, pixel for pixel
        assert got[prompt]["max_new_tokens"] == 1024


@pytest.mark.timeout(60)
def test_max_tokens_honoured_and_length_means_unfinished(fake_server):
    fake, handle = fake_server
    image = noise_image(16, 16)
    with OpenAIHTTPBackend(handle.url, model="fake-model", max_new_tokens=3) as backend:
        short, long = backend.generate(
            [GenerationRequest(image, "Describe it."), GenerationRequest(image, "Describe it.", max_new_tokens=100)]
        )
    assert (short.text, short.n_tokens, short.finished, short.extra["finish_reason"]) == ("one two three", 3, False, "length")
    assert (long.text, long.finished) == (TABLE["Describe it."], True)
    assert sorted(rec["max_new_tokens"] for rec in fake.received) == [3, 100]


@pytest.mark.timeout(60)
def test_jpeg_upload_and_empty_batch(fake_server):
    fake, handle = fake_server
    with OpenAIHTTPBackend(handle.url.removesuffix("/v1"), model="fake-model", image_format="jpeg") as backend:
        assert backend.generate([]) == []
        [result] = backend.generate([GenerationRequest(Image.new("RGB", (40, 30), (200, 10, 10)), "Where is the dog?")])
    assert result.text == TABLE["Where is the dog?"]
    assert fake.received[0]["size"] == (40, 30)


@pytest.mark.timeout(60)
def test_a_stopped_server_does_not_answer_on_pooled_connections():
    fake = FakeTableBackend(TABLE)
    handle = make_server(fake).start()
    request = GenerationRequest(noise_image(8, 8), "Where is the dog?")
    try:
        with OpenAIHTTPBackend(handle.url, model="simpleseg", max_retries=0) as backend:
            assert backend.generate([request])[0].text == TABLE["Where is the dog?"]
            handle.stop()
            with pytest.raises(ModelError, match="not reachable"):
                backend.generate([request])
    finally:
        handle.stop()
    assert len(fake.received) == 1


@pytest.mark.timeout(60)
def test_server_side_model_error_is_a_model_error():
    fake = FakeTableBackend({})  # every prompt is a KeyError inside the backend -> 500
    with make_server(fake) as handle, OpenAIHTTPBackend(handle.url, model="simpleseg", max_retries=1, backoff_s=0) as backend:
        with pytest.raises(ModelError, match=r"500.*KeyError"):
            backend.generate([GenerationRequest(noise_image(8, 8), "unknown question")])
    assert len(fake.received) == 2  # 5xx is retried


# --- scripted servers for the error paths -----------------------------------------------------


class Scripted:
    """An HTTP server that answers the n-th request with ``script[n]`` (the last entry repeats).

    An entry is ``(status, headers, body)`` with ``body`` bytes/str/dict, or a callable run instead
    (e.g. to hang). Every request is recorded as ``(method, path, headers, json body or None)``.
    """

    def __init__(self, script: list) -> None:
        self.script = script
        self.calls: list[tuple[str, str, dict, object]] = []
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                owner.calls.append((self.command, self.path, dict(self.headers), json.loads(raw) if raw else None))
                entry = owner.script[min(len(owner.calls) - 1, len(owner.script) - 1)]
                if callable(entry):
                    entry = entry(owner)
                status, headers, body, *lie = entry  # a 4th item: a false Content-Length, then hang up
                if isinstance(body, (dict, list)):
                    body = json.dumps(body)
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(lie[0] if lie else len(data)))
                self.end_headers()
                self.wfile.write(data)
                if lie:
                    self.close_connection = True

            do_GET = do_POST = _answer

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # the hanging case writes to a client that gave up: expected, not worth a traceback

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()  # un-hang handlers
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def posts(self) -> list:
        return [c for c in self.calls if c[0] == "POST"]


def ok(text: str = "[0.5, 0.5]", *, finish: str = "stop", usage: dict | None = None, content=None) -> tuple:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "served",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text if content is None else content}, "finish_reason": finish}],
    }
    if usage is not False:
        body["usage"] = usage or {"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17}
    return (200, {"Content-Type": "application/json"}, body)


def err(status: int, message: str, headers: dict | None = None) -> tuple:
    return (status, {"Content-Type": "application/json", **(headers or {})}, {"error": {"message": message, "type": "x", "code": status}})


def ask(url: str, temperature: float = 0.0, seed: int | None = None, **kwargs) -> GenerationResult:
    kwargs.setdefault("model", "served")
    kwargs.setdefault("backoff_s", 0.01)
    with OpenAIHTTPBackend(url, **kwargs) as backend:
        request = GenerationRequest(noise_image(12, 10), "Where is the cat?", temperature=temperature, seed=seed)
        return backend.generate([request])[0]


@pytest.mark.timeout(60)
def test_a_sampled_request_sends_its_temperature_and_seed():
    with Scripted([ok("[0.5, 0.5]"), ok("[0.5, 0.5]")]) as server:
        ask(server.url, temperature=0.7, seed=5)
        ask(server.url, temperature=1.0)
    (_, _, _, seeded), (_, _, _, unseeded) = server.calls
    assert (seeded["temperature"], seeded["top_p"], seeded["seed"]) == (0.7, 1.0, 5)
    assert unseeded["temperature"] == 1.0 and "seed" not in unseeded


@pytest.mark.timeout(60)
def test_request_format_and_response_parsing():
    with Scripted([ok("[0.5, 0.5]")]) as server:
        result = ask(server.url + "/", api_key="sk-test", max_new_tokens=77)
    [(method, path, headers, body)] = server.calls
    assert (method, path) == ("POST", "/v1/chat/completions")
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "served" and body["max_tokens"] == 77 and body["temperature"] == 0
    assert "seed" not in body and "top_p" not in body  # greedy: nothing to seed
    [message] = body["messages"]
    image_part, text_part = message["content"]
    assert message["role"] == "user"
    assert image_part["image_url"]["url"].startswith("data:image/png;base64,")
    assert text_part == {"type": "text", "text": "Where is the cat?"}
    assert (result.text, result.n_tokens, result.finished) == ("[0.5, 0.5]", 7, True)
    assert result.model_input_wh == (12, 10)  # a foreign server: the original size
    assert result.extra["attempts"] == 1 and result.extra["model"] == "served"
    assert result.model_s >= 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "response, text, finished",
    [
        (ok(content=[{"type": "text", "text": "[0.1, "}, {"type": "text", "text": "0.2]"}]), "[0.1, 0.2]", True),
        (ok("[0.1, 0.2", finish="length"), "[0.1, 0.2", False),
        (ok("", content=""), "", True),
    ],
    ids=["content-parts", "length", "empty"],
)
def test_response_variants(response, text, finished):
    with Scripted([response]) as server:
        result = ask(server.url)
    assert (result.text, result.finished) == (text, finished)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_missing_usage_falls_back_to_a_token_estimate():
    from simpleseg_agent.grammar import default_token_counter

    with Scripted([ok("[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]]", usage=False)]) as server:
        result = ask(server.url)
    assert result.n_tokens == default_token_counter().count("[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]]") > 0


@pytest.mark.timeout(60)
def test_500_then_200_is_retried():
    with Scripted([err(500, "boom"), err(503, "busy"), ok("[0.5, 0.5]")]) as server:
        result = ask(server.url, max_retries=3)
    assert result.text == "[0.5, 0.5]"
    assert len(server.posts) == 3 and result.extra["attempts"] == 3


@pytest.mark.timeout(60)
def test_connection_broken_mid_answer_is_retried():
    with Scripted([(200, {}, '{"choices": [', 500), ok("[0.5, 0.5]")]) as server:
        result = ask(server.url)
    assert result.text == "[0.5, 0.5]" and result.extra["attempts"] == 2


@pytest.mark.timeout(60)
def test_429_with_retry_after_zero_is_retried_promptly():
    with Scripted([err(429, "slow down", {"Retry-After": "0"}), ok("[0.5, 0.5]")]) as server:
        t0 = time.perf_counter()
        result = ask(server.url, backoff_s=5.0)  # Retry-After: 0 overrides the 5 s backoff
    assert result.text == "[0.5, 0.5]" and len(server.posts) == 2
    assert time.perf_counter() - t0 < 3.0


@pytest.mark.timeout(60)
def test_retries_exhausted_reports_the_last_error():
    with Scripted([err(502, "bad gateway")]) as server:
        with pytest.raises(ModelError, match=r"502.*bad gateway.*3 attempts"):
            ask(server.url, max_retries=2)
    assert len(server.posts) == 3


@pytest.mark.timeout(60)
@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_other_4xx_fail_at_once_with_the_servers_message(status):
    with Scripted([err(status, "max_tokens is too large for this model"), ok()]) as server:
        with pytest.raises(ModelError) as info:
            ask(server.url)
    message = str(info.value)
    assert str(status) in message and server.url + "/chat/completions" in message
    assert "max_tokens is too large for this model" in message
    assert len(server.posts) == 1  # never retried


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "body, shown",
    [
        ({"object": "error", "message": "vllm says no"}, "vllm says no"),  # vLLM
        ({"error": "tgi says no", "error_type": "validation"}, "tgi says no"),  # TGI
        ({"detail": "fastapi says no"}, "fastapi says no"),
        ("<html>" + "x" * 5000 + "</html>", "<html>xxx"),  # not JSON: the text, truncated
        ("", "(empty body)"),
    ],
    ids=["vllm", "tgi", "fastapi", "html", "empty"],
)
def test_error_message_variants(body, shown):
    with Scripted([(400, {}, body)]) as server, pytest.raises(ModelError) as info:
        ask(server.url)
    assert shown in str(info.value)
    assert len(str(info.value)) < 500


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_hanging_server_times_out_in_bounded_time():
    def hang(server):
        server.release.wait(20)
        return ok()

    with Scripted([hang]) as server:
        t0 = time.perf_counter()
        with pytest.raises(ModelError, match=r"timeout of 0.5 s.*2 attempts"):
            ask(server.url, timeout_s=0.5, max_retries=1, backoff_s=0)
        elapsed = time.perf_counter() - t0
    assert 0.9 < elapsed < 5.0


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(60)
def test_connection_refused_says_not_reachable():
    url = f"http://127.0.0.1:{closed_port()}"
    t0 = time.perf_counter()
    with pytest.raises(ModelError, match=r"not reachable at http://127\.0\.0\.1:\d+/v1/chat/completions.*2 attempts"):
        ask(url, max_retries=1, backoff_s=0)
    assert time.perf_counter() - t0 < 5.0
    with pytest.raises(ModelError, match="not reachable at .*/v1/models"):
        ask(url, model=None, max_retries=0)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "response, match",
    [
        ((200, {}, "this is not json {"), "not valid JSON"),
        ((200, {}, {"id": "x"}), r"'choices' list"),
        ((200, {}, {"choices": []}), r"'choices' list"),
        ((200, {}, {"choices": [{"finish_reason": "stop"}]}), r"'choices\[0\]\.message' object"),
        ((200, {}, {"choices": [{"message": {"role": "assistant"}}]}), r"'choices\[0\]\.message\.content'"),
        ((200, {}, {"choices": [{"message": {"content": 42}}]}), r"neither a string nor a list"),
        ((200, {}, {"choices": [{"message": {"content": None, "refusal": "no polygons today"}}]}), "refused: no polygons today"),
        ((200, {}, [1, 2]), "JSON object"),
    ],
    ids=["not-json", "no-choices", "empty-choices", "no-message", "no-content", "bad-content", "refusal", "list"],
)
def test_invalid_bodies_name_what_is_missing(response, match):
    with Scripted([response]) as server, pytest.raises(ModelError, match=match):
        ask(server.url)
    assert len(server.posts) == 1  # a malformed 200 is not retried


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "models, match",
    [
        ({"object": "list", "data": []}, "lists no models"),
        ({"models": ["a"]}, "'data' list"),
        ({"data": [{"object": "model"}]}, r"no 'id'"),
    ],
)
def test_model_discovery_failures(models, match):
    with Scripted([(200, {}, models)]) as server:
        with pytest.raises(ModelError, match=match):
            ask(server.url, model=None)


@pytest.mark.timeout(60)
def test_model_discovered_once_and_sent():
    with Scripted([(200, {}, {"data": [{"id": "org/first"}, {"id": "second"}]}), ok()]) as server:
        with OpenAIHTTPBackend(server.url, backoff_s=0.01, concurrency=2) as backend:
            backend.generate([GenerationRequest(noise_image(4, 4), "a"), GenerationRequest(noise_image(4, 4), "b")])
            backend.generate([GenerationRequest(noise_image(4, 4), "c")])
    assert [c[1] for c in server.calls if c[0] == "GET"] == ["/v1/models"]
    assert [c[3]["model"] for c in server.posts] == ["org/first"] * 3


# --- pure helpers and argument checks -------------------------------------------------------------


@pytest.mark.parametrize(
    "given, expected",
    [
        ("http://host:8000", "http://host:8000/v1"),
        ("http://host:8000/", "http://host:8000/v1"),
        ("http://host:8000/v1", "http://host:8000/v1"),
        ("http://host:8000/v1/", "http://host:8000/v1"),
        ("http://host:8000/v1/chat/completions", "http://host:8000/v1"),
        ("https://proxy.example/team/v1", "https://proxy.example/team/v1"),
        ("https://host/v1beta/openai/", "https://host/v1beta/openai"),
    ],
)
def test_normalize_base_url(given, expected):
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize("bad", ["", "   ", "localhost:8000", "ftp://host/v1", "http://", None, 8000])
def test_normalize_base_url_rejects(bad):
    with pytest.raises(ValueError):
        normalize_base_url(bad)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout_s": 0},
        {"timeout_s": True},
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"backoff_s": -0.1},
        {"max_new_tokens": 0},
        {"concurrency": 0},
        {"image_format": "gif"},
        {"model": ""},
        {"preset": "simpleseg"},
    ],
)
def test_constructor_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        OpenAIHTTPBackend("http://localhost:8000", **kwargs)


def test_generate_rejects_non_requests():
    with OpenAIHTTPBackend("http://localhost:1", model="m") as backend:
        with pytest.raises(TypeError, match=r"requests\[0\]"):
            backend.generate(["Where is the cat?"])


def test_retry_delay():
    assert _retry_delay_s(0, 5.0, 0.0) == 0.0  # Retry-After wins
    assert _retry_delay_s(3, 5.0, 10_000.0) == 30.0  # capped
    assert _retry_delay_s(0, 5.0, -3.0) == 0.0  # a date in the past
    delays = [_retry_delay_s(2, 0.5, None) for _ in range(200)]
    assert all(1.0 <= d < 3.0 for d in delays) and len(set(delays)) > 1  # 0.5 * 2**2, jittered


@pytest.mark.parametrize(
    "header, expected",
    [(None, None), ("", None), ("0", 0.0), ("2.5", 2.5), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", "past")],
)
def test_parse_retry_after(header, expected):
    got = _parse_retry_after(header)
    if expected == "past":
        assert got < 0
    else:
        assert got == expected


# --- the tiny real model through HTTP --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(60)  # ~5 s on CPU: importing torch and loading (or first building) the checkpoint
def test_tiny_real_model_answers_the_same_through_http():
    pytest.importorskip("torch", reason="the tiny real model needs torch (extra 'model')")
    pytest.importorskip("transformers", reason="the tiny real model needs transformers (extra 'model')")
    from simpleseg_agent.backends.transformers_backend import TransformersBackend
    from simpleseg_agent.testing import tiny_model_dir

    local = TransformersBackend(tiny_model_dir())
    try:
        requests = [
            GenerationRequest(noise_image(96, 64, seed=5), "What is the polygon of the cat in the image?", max_new_tokens=12),
            GenerationRequest(noise_image(50, 70, seed=6), "Where is the close button?", max_new_tokens=8),
        ]
        direct = [local.generate([r])[0] for r in requests]  # the server answers one at a time too
        with make_server(local, model_name="tiny") as handle, OpenAIHTTPBackend(handle.url, concurrency=2) as remote:
            served = remote.generate(requests)
        assert all(r.text for r in direct)  # random weights still say something: the comparison has teeth
        assert [r.text for r in served] == [r.text for r in direct]
        assert [r.finished for r in served] == [r.finished for r in direct]
        assert [r.n_tokens for r in served] == [r.n_tokens for r in direct]
        # The processor's resized size travels back through the server (not the original image size).
        assert [r.model_input_wh for r in served] == [r.model_input_wh for r in direct]
        assert [r.extra["usage"]["prompt_tokens"] for r in served] == [r.extra.get("prompt_tokens", 0) for r in direct]
    finally:
        local.close()
