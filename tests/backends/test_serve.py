"""The OpenAI-compatible server, spoken to with the standard library's HTTP client."""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import json
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.backends.base import (
    Backend,
    GenerationRequest,
    GenerationResult,
    ModelPreset,
)
from simpleseg_agent.errors import ModelError
from simpleseg_agent.serve import MAX_BODY_BYTES, ServerHandle, make_server


def checksum(image: Image.Image) -> str:
    return hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()


def noise_image(w: int, h: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


class FakeTableBackend(Backend):
    """A fake backend named as a fake: answers each prompt from a table, one word per token.

    It records what arrived (prompt, image size, pixel checksum, budget), truncates answers longer
    than the budget (``finished=False``, like a real model hitting ``max_new_tokens``) and reports
    half the image size as the size "the model saw".
    """

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.preset = ModelPreset("fake-answer", "fake")
        self.received: list[dict] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        out = []
        for r in requests:
            self.received.append(
                {"prompt": r.prompt, "size": r.image.size, "checksum": checksum(r.image), "max_new_tokens": r.max_new_tokens,
                 "temperature": r.temperature, "seed": r.seed}
            )
            words = self.table[r.prompt].split(" ")
            finished = r.max_new_tokens is None or len(words) <= r.max_new_tokens
            if not finished:
                words = words[: r.max_new_tokens]
            w, h = r.image.size
            out.append(
                GenerationResult(" ".join(words), n_tokens=len(words), model_s=0.001, model_input_wh=(w // 2, h // 2), finished=finished)
            )
        return out


TABLE = {
    "Where is the cat?": "[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.4]]]",
    "Where is the dog?": "[0.25, 0.75]",
    "Where is the bird?": "It is at [0.1, 0.2, 0.3, 0.4].",
    "Describe it.": "one two three four five six seven",
}


def data_url(image: Image.Image, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(buf.getvalue()).decode()}"


def chat(prompt: str | list = "Where is the cat?", image: Image.Image | None = None, **extra) -> dict:
    image = image or noise_image(20, 10)
    parts = [{"type": "image_url", "image_url": {"url": data_url(image)}}]
    parts += [{"type": "text", "text": p} for p in ([prompt] if isinstance(prompt, str) else prompt)]
    return {"messages": [{"role": "user", "content": parts}], **extra}


def call(url: str, method: str, path: str, body: object = None, raw: bytes | None = None, headers: dict | None = None):
    """``(status, parsed JSON)`` of one request; ``path`` is relative to the server root."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@pytest.fixture
def served():
    fake = FakeTableBackend(TABLE)
    handle = make_server(fake, model_name="fake-model").start()
    try:
        yield fake, handle
    finally:
        handle.stop()


@pytest.mark.timeout(60)
def test_models_and_health(served):
    _, handle = served
    status, body = call(handle.url, "GET", "/v1/models")
    assert status == 200 and body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["fake-model"]
    assert call(handle.url, "GET", "/v1/models/") == (200, body)
    assert call(handle.url, "GET", "/health")[0] == 200


@pytest.mark.timeout(60)
def test_chat_completion_response_shape(served):
    fake, handle = served
    image = noise_image(33, 17, seed=9)
    status, body = call(handle.url, "POST", "/v1/chat/completions", chat("Where is the cat?", image, max_tokens=50))
    assert status == 200
    assert body["object"] == "chat.completion" and body["model"] == "fake-model" and body["id"].startswith("chatcmpl-")
    [choice] = body["choices"]
    assert choice["message"] == {"role": "assistant", "content": TABLE["Where is the cat?"]}
    assert choice["finish_reason"] == "stop"
    n = len(TABLE["Where is the cat?"].split(" "))
    assert body["usage"] == {"prompt_tokens": 0, "completion_tokens": n, "total_tokens": n}
    assert body["simpleseg"]["model_input_wh"] == [16, 8]
    [got] = fake.received
    assert (got["size"], got["checksum"], got["max_new_tokens"]) == ((33, 17), checksum(image), 50)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_image_formats(served, fmt):
    fake, handle = served
    image = Image.new("RGB", (24, 12), (30, 160, 90))
    body = chat("Where is the dog?")
    body["messages"][0]["content"][0]["image_url"]["url"] = data_url(image, fmt)
    status, answer = call(handle.url, "POST", "/v1/chat/completions", body)
    assert status == 200, answer
    assert fake.received[0]["size"] == (24, 12)
    if fmt == "PNG":
        assert fake.received[0]["checksum"] == checksum(image)


@pytest.mark.timeout(60)
def test_last_user_message_is_the_question(served):
    fake, handle = served
    first, last = noise_image(10, 10, seed=1), noise_image(14, 6, seed=2)
    body = {
        "messages": [
            {"role": "system", "content": "You are a segmenter."},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": data_url(first)}}, {"type": "text", "text": "Where is the dog?"}]},
            {"role": "assistant", "content": "[0.25, 0.75]"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe"},
                    {"type": "image_url", "image_url": data_url(last)},  # the bare-string form some clients send
                    {"type": "image_url", "image_url": {"url": data_url(first)}},  # only the first image counts
                    {"type": "text", "text": "it."},
                ],
            },
        ],
        "max_completion_tokens": 2,
        "max_tokens": 500,  # max_completion_tokens wins (OpenAI's newer name)
    }
    table = dict(TABLE, **{"Describe\nit.": "a b c"})
    fake.table = table
    status, answer = call(handle.url, "POST", "/v1/chat/completions", body)
    assert status == 200, answer
    assert answer["choices"][0]["message"]["content"] == "a b"
    assert answer["choices"][0]["finish_reason"] == "length"
    [got] = fake.received
    assert (got["prompt"], got["size"], got["checksum"], got["max_new_tokens"]) == ("Describe\nit.", (14, 6), checksum(last), 2)


@pytest.mark.timeout(60)
def test_temperature_and_seed_reach_the_backend(served):
    """Greedy by default (not OpenAI's temperature 1); a temperature above 0 asks for a sample, with its seed."""
    fake, handle = served
    assert call(handle.url, "POST", "/v1/chat/completions", chat())[0] == 200
    assert call(handle.url, "POST", "/v1/chat/completions", chat(temperature=None))[0] == 200
    assert call(handle.url, "POST", "/v1/chat/completions", chat(temperature=0.7, seed=3))[0] == 200
    assert [(r["temperature"], r["seed"]) for r in fake.received] == [(0.0, None), (0.0, None), (0.7, 3)]


def _msg(content) -> dict:
    return {"messages": [{"role": "user", "content": content}]}


IMG = {"type": "image_url", "image_url": {"url": data_url(Image.new("RGB", (4, 4)))}}
TXT = {"type": "text", "text": "Where is the cat?"}


def _gif_url() -> str:
    return data_url(Image.new("RGB", (4, 4)), "GIF")


BAD_REQUESTS = [
    ("not-json", b"{nope", 400, "not valid JSON"),
    ("not-utf8", b"\xff\xfe{", 400, "not valid JSON"),
    ("a-list", [1, 2], 400, "JSON object"),
    ("no-messages", {"model": "fake-model"}, 400, "'messages'"),
    ("empty-messages", {"messages": []}, 400, "'messages'"),
    ("no-user", {"messages": [{"role": "system", "content": "hi"}]}, 400, "role 'user'"),
    ("no-image", _msg("Where is the cat?"), 400, "no image_url"),
    ("no-text", _msg([IMG]), 400, "no text"),
    ("blank-text", _msg([IMG, {"type": "text", "text": "  "}]), 400, "no text"),
    ("content-number", _msg(42), 400, "'content'"),
    ("part-not-object", _msg([IMG, "hello"]), 400, "content parts"),
    ("text-not-string", _msg([IMG, {"type": "text", "text": 5}]), 400, "string 'text'"),
    ("remote-url", _msg([{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}, TXT]), 400, "only data: URLs"),
    ("url-not-string", _msg([{"type": "image_url", "image_url": {"url": 7}}, TXT]), 400, "string data URL"),
    ("not-base64-url", _msg([{"type": "image_url", "image_url": {"url": "data:image/png,rawbytes"}}, TXT]), 400, "base64"),
    ("bad-base64", _msg([{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}, TXT]), 400, "not valid base64"),
    ("not-an-image", _msg([{"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(b"hello").decode()}}, TXT]), 400, "cannot be decoded"),
    ("gif", _msg([{"type": "image_url", "image_url": {"url": _gif_url()}}, TXT]), 400, "unsupported image format GIF"),
    ("max-tokens-zero", dict(_msg([IMG, TXT]), max_tokens=0), 400, "max_tokens must be a positive integer"),
    ("max-tokens-text", dict(_msg([IMG, TXT]), max_tokens="ten"), 400, "max_tokens"),
    ("max-tokens-bool", dict(_msg([IMG, TXT]), max_completion_tokens=True), 400, "max_completion_tokens"),
    ("stream", dict(_msg([IMG, TXT]), stream=True), 400, "streaming is not supported"),
    ("n-2", dict(_msg([IMG, TXT]), n=2), 400, "n = 1"),
    ("n-true", dict(_msg([IMG, TXT]), n=True), 400, "n = 1"),
    ("temperature-negative", dict(_msg([IMG, TXT]), temperature=-0.1), 400, "temperature must be a number in [0, 2]"),
    ("temperature-text", dict(_msg([IMG, TXT]), temperature="hot"), 400, "temperature"),
    ("temperature-too-high", dict(_msg([IMG, TXT]), temperature=3), 400, "temperature"),
    ("seed-float", dict(_msg([IMG, TXT]), temperature=0.5, seed=1.5), 400, "seed must be an integer"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("body, status, message", [c[1:] for c in BAD_REQUESTS], ids=[c[0] for c in BAD_REQUESTS])
def test_malformed_requests_get_400_with_openai_error_json(served, body, status, message):
    fake, handle = served
    raw = body if isinstance(body, bytes) else None
    got_status, answer = call(handle.url, "POST", "/v1/chat/completions", None if raw else body, raw=raw)
    assert got_status == status
    assert message in answer["error"]["message"]
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["code"] == status
    assert fake.received == []  # the model never saw it
    assert call(handle.url, "GET", "/v1/models")[0] == 200  # and the server still answers


@pytest.mark.timeout(60)
def test_oversized_and_unsized_bodies_are_refused(served):
    _, handle = served
    parts = urlsplit(handle.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        conn.putrequest("POST", "/v1/chat/completions")
        conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413 and "limit" in json.loads(response.read())["error"]["message"]
    finally:
        conn.close()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        conn.putrequest("POST", "/v1/chat/completions")
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 411
    finally:
        conn.close()


@pytest.mark.timeout(60)
def test_unknown_paths_and_methods(served):
    _, handle = served
    status, body = call(handle.url, "GET", "/v1/completions")
    assert status == 404 and "/v1/completions" in body["error"]["message"]
    assert call(handle.url, "POST", "/v2/chat/completions", {"x": 1})[0] == 404
    assert call(handle.url, "GET", "/v1/chat/completions")[0] == 405
    assert call(handle.url, "POST", "/v1/models", {})[0] == 405


class FailingBackend(Backend):
    """A fake backend named as a fake: raises the given exception."""

    preset = ModelPreset("fake-failing", "fake")

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        raise self.exc


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "exc, message",
    [
        (ModelError("CUDA out of memory"), "the model failed: CUDA out of memory"),
        (ZeroDivisionError("oops"), "ZeroDivisionError: oops"),
    ],
)
def test_backend_failures_are_500(exc, message):
    with make_server(FailingBackend(exc)) as handle:
        status, body = call(handle.url, "POST", "/v1/chat/completions", chat())
        assert status == 500 and message in body["error"]["message"] and body["error"]["type"] == "server_error"
        assert call(handle.url, "GET", "/health")[0] == 200


class SlowBackend(Backend):
    """A fake backend named as a fake: sleeps, and records how many calls overlap."""

    preset = ModelPreset("fake-slow", "fake")

    def __init__(self) -> None:
        self.active = 0
        self.max_active = 0
        self.guard = threading.Lock()

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        with self.guard:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        time.sleep(0.05)
        with self.guard:
            self.active -= 1
        return [GenerationResult(r.prompt, 1, 0.05) for r in requests]


@pytest.mark.timeout(60)
def test_requests_to_one_backend_are_serialized_across_servers():
    slow = SlowBackend()
    with make_server(slow) as a, make_server(slow) as b:
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(call, h.url, "POST", "/v1/chat/completions", chat(f"q{i}")) for i, h in enumerate([a, b] * 4)]
            answers = [f.result() for f in futures]
    assert [a[0] for a in answers] == [200] * 8
    assert [a[1]["choices"][0]["message"]["content"] for a in answers] == [f"q{i}" for i in range(8)]
    assert slow.max_active == 1


@pytest.mark.timeout(60)
def test_handle_lifecycle():
    handle = make_server(FakeTableBackend(TABLE), port=0)
    assert isinstance(handle, ServerHandle)
    assert handle.url == f"http://127.0.0.1:{handle.port}/v1" and handle.port > 0
    assert "bound" in repr(handle)
    handle.start()
    handle.start()  # no-op
    assert call(handle.url, "GET", "/health")[0] == 200
    handle.stop()
    handle.stop()  # idempotent
    with pytest.raises(RuntimeError, match="make_server again"):
        handle.start()
    with socket.socket() as s:  # the port is free again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", handle.port))
    never_started = make_server(FakeTableBackend(TABLE))
    never_started.stop()  # must not hang waiting for a loop that never ran


@pytest.mark.timeout(60)
def test_wildcard_host_url_uses_loopback():
    with make_server(FakeTableBackend(TABLE), host="0.0.0.0") as handle:
        assert handle.url.startswith("http://127.0.0.1:")
        assert call(handle.url, "GET", "/v1/models")[0] == 200


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"backend": object()}, TypeError),
        ({"model_name": ""}, ValueError),
        ({"port": 70000}, ValueError),
        ({"port": -1}, ValueError),
    ],
)
def test_make_server_rejects_bad_arguments(kwargs, error):
    backend = kwargs.pop("backend", FakeTableBackend(TABLE))
    with pytest.raises(error):
        make_server(backend, **kwargs)
