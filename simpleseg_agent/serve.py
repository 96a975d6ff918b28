"""Serve any :class:`~simpleseg_agent.backends.base.Backend` as a small OpenAI-compatible HTTP API.

Standard library only (``http.server``). Endpoints:

* ``GET /v1/models`` — one model, named ``model_name``, with a ``simpleseg`` object saying how to read and
  ask it: ``preset``, ``coord_space`` (``"norm"``, ``"1000"``, ``"px"``), ``prompt_style``, ``scoring``
  (``POST /v1/simpleseg/score`` answers) and ``structured_outputs`` (answers can be constrained).
* ``POST /v1/chat/completions`` — the last ``user`` message's text parts (joined by newlines) are the
  prompt and its first ``image_url`` (a ``data:`` URL of a PNG, JPEG or WebP) is the image;
  ``max_completion_tokens`` or ``max_tokens`` is the answer budget. Answering is greedy unless
  ``temperature`` is above 0 (then sampled, seeded by ``seed`` when given; the default is greedy, not
  OpenAI's 1); system messages and earlier turns are ignored (the backends answer one question about
  one image). A ``model`` other than ``model_name`` gets ``404`` (``NotFoundError``, as vLLM answers).
  Guided decoding as vLLM takes it, ``structured_outputs: {"regex": ...}`` (or the older
  ``guided_regex``), is honoured for the answer grammars of this model's space
  (:func:`~simpleseg_agent.grammar.constrain.answer_regex`): the model decodes constrained to it; another
  regex gets ``400``. The response is a standard ``chat.completion`` plus a ``simpleseg``
  field with ``model_input_wh`` (the image size the model saw), ``model_s``, ``preset``, ``coord_space``
  and ``decoding`` (``"constrained"`` or ``"free"``), which
  :class:`~simpleseg_agent.backends.openai_http.OpenAIHTTPBackend` reads.
* ``POST /v1/simpleseg/score`` — an extension for answer scoring (snapping to a screen's elements): a
  chat request's image and prompt plus ``continuations`` (answer texts); answers ``{"scores": [...]}``,
  the log-likelihood of each (:meth:`~simpleseg_agent.backends.base.Backend.score`). Listed as
  ``scoring: true`` in ``/v1/models`` where the backend can score.
* ``GET /health`` — ``200`` while the server runs.

Malformed requests get ``400`` with an OpenAI-style ``{"error": {"message": ...}}``, a failing model
``500``, unknown paths ``404``. Requests are answered one at a time per backend (models are not
thread-safe), so concurrent clients queue.

Example (a toy backend; any backend is served the same way):
    >>> import json, urllib.request
    >>> from simpleseg_agent.backends.base import Backend, GenerationResult
    >>> class Echo(Backend):
    ...     def generate(self, requests):
    ...         return [GenerationResult(text=r.prompt.upper(), n_tokens=1, model_s=0.0) for r in requests]
    >>> with make_server(Echo(), model_name="echo") as server:
    ...     with urllib.request.urlopen(server.url + "/models") as response:
    ...         [model["id"] for model in json.load(response)["data"]]
    ['echo']
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import socket
import sys
import threading
import time
import traceback
import uuid
import weakref
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

from .backends.base import Backend, GenerationRequest, GenerationResult, ModelPreset, ScoreRequest
from .errors import ModelError

__all__ = ["ServerHandle", "make_server", "serve_forever", "server_info"]

logger = logging.getLogger(__name__)

# Requests larger than this are refused before reading them (a 4K PNG screenshot is ~10 MB in base64).
MAX_BODY_BYTES = 64 * 1024 * 1024
_IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}
# An idle keep-alive connection is closed after this long, so stopped servers do not keep threads around.
_IDLE_TIMEOUT_S = 120.0

_locks_guard = threading.Lock()
_backend_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _lock_for(backend: Backend) -> threading.Lock:
    """One lock per backend object, shared by every server that serves it."""
    with _locks_guard:
        try:
            lock = _backend_locks.get(backend)
            if lock is None:
                lock = _backend_locks[backend] = threading.Lock()
            return lock
        except TypeError:  # unhashable or not weak-referenceable: lock per server instead
            return threading.Lock()


class _BadRequest(Exception):
    """A client error, answered with ``status`` and an OpenAI-style error body."""

    def __init__(self, message: str, status: int = 400, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.param = param


def _decode_data_url(url: Any) -> Image.Image:
    if not isinstance(url, str):
        raise _BadRequest("image_url.url must be a string data URL", param="messages")
    if not url.startswith("data:"):
        shown = url[:60] + ("..." if len(url) > 60 else "")
        raise _BadRequest(
            f"only data: URLs are supported for images (this server does not fetch remote images), got {shown!r}",
            param="messages",
        )
    header, sep, data = url[5:].partition(",")
    if not sep or not header.endswith(";base64"):
        raise _BadRequest("image data URLs must look like 'data:image/png;base64,<data>'", param="messages")
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _BadRequest("the image data URL is not valid base64", param="messages") from None
    try:
        image = Image.open(io.BytesIO(raw))
        fmt = image.format
        if fmt not in _IMAGE_FORMATS:
            raise _BadRequest(f"unsupported image format {fmt}; send PNG, JPEG or WebP", param="messages")
        image.load()
        return image.convert("RGB")
    except _BadRequest:
        raise
    except Image.DecompressionBombError as exc:
        raise _BadRequest(f"the image is too large: {exc}", param="messages") from None
    except Exception as exc:  # noqa: BLE001 - PIL raises many types for broken files
        raise _BadRequest(f"the image cannot be decoded ({type(exc).__name__}: {exc})", param="messages") from None


def _positive_int(body: dict, key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _BadRequest(f"{key} must be a positive integer, got {value!r}", param=key)
    return value


def _check_model(body: dict, model_name: str) -> None:
    """An unknown ``model`` gets 404 with vLLM's error type; a request without one asks the served model."""
    model = body.get("model")
    if model is not None and model != model_name:
        raise _BadRequest(f"The model `{model}` does not exist. This server serves `{model_name}` (GET /v1/models).",
                          status=404, param="model")


def _requested_grammar(body: dict, backend: Backend) -> str | None:
    """The answer grammar a request's guided decoding asks for (vLLM's ``structured_outputs.regex`` or the
    older ``guided_regex``), as a :class:`GenerationRequest` ``grammar``; ``None`` when it asks for none."""
    from .grammar import CoordSpace
    from .grammar.constrain import answer_regex

    guided = body.get("structured_outputs")
    regex = None
    if guided is not None:
        if not isinstance(guided, dict):
            raise _BadRequest("structured_outputs must be an object such as {\"regex\": ...}", param="structured_outputs")
        others = sorted(k for k, v in guided.items() if k != "regex" and v is not None)
        if others:
            raise _BadRequest(f"this server constrains answers by 'regex' only, got {others}", param="structured_outputs")
        regex = guided.get("regex")
    if regex is None:
        regex = body.get("guided_regex")
    if regex is None:
        return None
    if not getattr(backend, "supports_grammar", False):
        raise _BadRequest("this server's model cannot be constrained (structured_outputs is false at /v1/models)",
                          param="structured_outputs")
    space = CoordSpace(server_info(backend)["coord_space"])
    for kind in ("mask", "box", "point"):
        if regex == answer_regex(kind, space):
            return kind
    shown = regex[:80] + ("..." if isinstance(regex, str) and len(regex) > 80 else "") if isinstance(regex, str) else regex
    raise _BadRequest(f"this server constrains answers only to its answer grammars (answer_regex(kind, "
                      f"{space.value!r}) for mask, box or point), got the regex {shown!r}", param="structured_outputs")


def _parse_chat_request(body: Any, backend: Backend | None = None) -> GenerationRequest:
    """The one question about one image in a chat-completions request body."""
    if not isinstance(body, dict):
        raise _BadRequest(f"the request body must be a JSON object, got {type(body).__name__}")
    if body.get("stream"):
        raise _BadRequest("streaming is not supported; send stream: false", param="stream")
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or n != 1):
        raise _BadRequest(f"only n = 1 is supported, got {n!r}", param="n")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadRequest("'messages' must be a non-empty list", param="messages")
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if not users:
        raise _BadRequest("'messages' has no message with role 'user'", param="messages")
    content = users[-1].get("content")
    texts: list[str] = []
    image_url: Any = None
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for part in content:
            if not isinstance(part, dict):
                raise _BadRequest("content parts must be objects with a 'type'", param="messages")
            kind = part.get("type")
            if kind == "text":
                if not isinstance(part.get("text"), str):
                    raise _BadRequest("a text part needs a string 'text'", param="messages")
                texts.append(part["text"])
            elif kind == "image_url" and image_url is None:
                ref = part.get("image_url")
                image_url = ref.get("url") if isinstance(ref, dict) else ref
    else:
        raise _BadRequest("the user message's 'content' must be a string or a list of parts", param="messages")
    if image_url is None:
        raise _BadRequest("the last user message has no image_url part; send one image as a data URL", param="messages")
    prompt = "\n".join(t for t in texts if t.strip())
    if not prompt.strip():
        raise _BadRequest("the last user message has no text; send the question as a text part", param="messages")
    max_tokens = _positive_int(body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = _positive_int(body, "max_tokens")
    temperature = body.get("temperature", 0.0)
    if temperature is None:
        temperature = 0.0
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0.0 <= temperature <= 2.0:
        raise _BadRequest(f"temperature must be a number in [0, 2], got {temperature!r}", param="temperature")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _BadRequest(f"seed must be an integer, got {seed!r}", param="seed")
    grammar = _requested_grammar(body, backend) if backend is not None else None
    return GenerationRequest(image=_decode_data_url(image_url), prompt=prompt, max_new_tokens=max_tokens,
                             temperature=float(temperature), seed=seed, grammar=grammar)


def _parse_score_request(body: Any) -> ScoreRequest:
    """The image, prompt and continuations of a ``POST /v1/simpleseg/score`` body."""
    if not isinstance(body, dict):
        raise _BadRequest(f"the request body must be a JSON object, got {type(body).__name__}")
    conts = body.get("continuations")
    if not isinstance(conts, list) or not conts or not all(isinstance(c, str) and c for c in conts):
        raise _BadRequest("'continuations' must be a non-empty list of non-empty answer texts", param="continuations")
    request = _parse_chat_request({k: v for k, v in body.items() if k != "continuations"})
    return ScoreRequest(request.image, request.prompt, tuple(conts))


def server_info(backend: Backend) -> dict:
    """What a client needs to ask ``backend`` and read its answers, as served in ``/v1/models`` (``simpleseg``).

    Example (a named fake backend; the preset says the space):
        >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
        >>> info = server_info(FakeAnswerBackend(["[0.5, 0.5]"]))
        >>> info["preset"], info["coord_space"], info["scoring"]
        ('fake', 'norm', False)
    """
    preset = getattr(backend, "preset", None) or ModelPreset("custom", "")  # a backend without one: SimpleSeg's 0-1
    return {
        "preset": preset.name,
        "coord_space": preset.coord_space.value,
        "prompt_style": preset.prompt_style,
        "scoring": bool(getattr(backend, "supports_scoring", False)),
        "structured_outputs": bool(getattr(backend, "supports_grammar", False)),
    }


def _completion_body(result: GenerationResult, model_name: str, info: dict | None = None,
                     request: GenerationRequest | None = None) -> dict:
    prompt_tokens = result.extra.get("prompt_tokens", 0) if isinstance(result.extra, dict) else 0
    prompt_tokens = prompt_tokens if isinstance(prompt_tokens, int) else 0
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.text},
                "finish_reason": "stop" if result.finished else "length",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": int(result.n_tokens),
            "total_tokens": prompt_tokens + int(result.n_tokens),
        },
        "simpleseg": {
            "model_input_wh": list(result.model_input_wh) if result.model_input_wh else None,
            "model_s": result.model_s,
            **({k: info[k] for k in ("preset", "coord_space")} if info else {}),
            "decoding": "constrained" if request is not None and request.grammar else "free",
        },
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung client must not keep the process alive
    backend: Backend
    backend_lock: threading.Lock
    model_name: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.stopping = False
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def end_reading(self) -> None:
        """Stop reading from open keep-alive connections: idle ones close at once, a request being
        answered still gets its answer. Without this a stopped server would go on answering clients
        that reuse a pooled connection (with :attr:`stopping` set, requests still read are dropped)."""
        self.stopping = True
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RD)
            except OSError:  # already closed by the client
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):  # the client went away; nothing to fix here
            logger.debug("connection from %s ended: %r", client_address, exc)
        else:
            logger.error("error while serving %s:\n%s", client_address, traceback.format_exc())


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = _IDLE_TIMEOUT_S
    server_version = "simpleseg-serve"

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.server.stopping:  # a request on a kept-alive connection after stop(): hang up unanswered
            self.close_connection = True
            return False
        return True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, param: str | None = None) -> None:
        kind = "NotFoundError" if status == 404 and param == "model" else "invalid_request_error" if status < 500 else "server_error"
        self._send_json(status, {"error": {"message": message, "type": kind, "param": param, "code": status}})

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/") or "/"

    def do_GET(self) -> None:
        path = self._path()
        if path == "/v1/models":
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [{"id": self.server.model_name, "object": "model", "created": 0, "owned_by": "simpleseg-agent",
                              "simpleseg": server_info(self.server.backend)}],
                },
            )
        elif path == "/health":
            self._send_json(200, {"status": "ok"})
        elif path == "/v1/chat/completions":
            self._send_error(405, "use POST for /v1/chat/completions")
        else:
            self._send_error(404, f"unknown path {path}; this server has GET /v1/models and POST /v1/chat/completions")

    def do_POST(self) -> None:
        path = self._path()
        if path not in ("/v1/chat/completions", "/v1/simpleseg/score"):
            self._discard_body()
            status = 405 if path in ("/v1/models", "/health") else 404
            self._send_error(status, f"no POST endpoint at {path}; use POST /v1/chat/completions")
            return
        backend = self.server.backend
        try:
            body = self._read_json()
            if isinstance(body, dict):
                _check_model(body, self.server.model_name)
            if path == "/v1/simpleseg/score":
                if not getattr(backend, "supports_scoring", False):
                    raise _BadRequest("this server's model cannot score answers (scoring is false at /v1/models)",
                                      status=404)
                score_request = _parse_score_request(body)
            else:
                request = _parse_chat_request(body, backend)
        except _BadRequest as exc:
            self._send_error(exc.status, str(exc), exc.param)
            return
        try:
            if path == "/v1/simpleseg/score":
                t0 = time.perf_counter()
                with self.server.backend_lock:
                    scores = backend.score(score_request)
                if len(scores) != len(score_request.continuations):
                    raise ModelError(f"the backend returned {len(scores)} scores for {len(score_request.continuations)} answers")
                answer = {"object": "simpleseg.scores", "model": self.server.model_name,
                          "scores": [float(v) for v in scores], "model_s": time.perf_counter() - t0}
            else:
                with self.server.backend_lock:
                    results = backend.generate([request])
                if len(results) != 1:
                    raise ModelError(f"the backend returned {len(results)} results for 1 request")
                answer = _completion_body(results[0], self.server.model_name, server_info(backend), request)
        except ModelError as exc:
            self._send_error(500, f"the model failed: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a bug in a backend must not kill the server thread silently
            logger.error("backend %r failed:\n%s", self.server.backend, traceback.format_exc())
            self._send_error(500, f"internal error in the backend: {type(exc).__name__}: {exc}")
            return
        self._send_json(200, answer)

    def _discard_body(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if 0 < length <= MAX_BODY_BYTES:
            self.rfile.read(length)
        elif length:
            self.close_connection = True

    def _read_json(self) -> Any:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise _BadRequest("chunked request bodies are not supported; send Content-Length", status=411)
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.close_connection = True
            raise _BadRequest("the request needs a Content-Length header", status=411) from None
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would be taken for the next request
            raise _BadRequest(f"the request body has {length} bytes; the limit is {MAX_BODY_BYTES}", status=413)
        raw = self.rfile.read(length)
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise _BadRequest(f"the request body is not valid JSON: {exc}") from None


class ServerHandle:
    """A bound, not yet serving, server; :meth:`start` serves it from a background thread.

    Attributes:
        host, port: where it listens (``port`` is the real one when 0 was asked for).
        url: the API root for clients, e.g. ``http://127.0.0.1:8123/v1``.
    """

    def __init__(self, server: _Server) -> None:
        self._server = server
        self._thread: threading.Thread | None = None
        self._stopped = False
        host, port = server.server_address[:2]
        self.host: str = host
        self.port: int = port
        # A wildcard bind is reached through loopback.
        client_host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        if ":" in client_host:
            client_host = f"[{client_host}]"
        self.url = f"http://{client_host}:{port}/v1"

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "serving" if self._thread else "bound"
        return f"<ServerHandle {self.url} {state}>"

    @property
    def backend(self) -> Backend:
        return self._server.backend

    def start(self) -> ServerHandle:
        """Serve from a daemon thread; returns ``self``. Starting a running server does nothing."""
        if self._stopped:
            raise RuntimeError("this server was stopped; call make_server again for a new one")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name=f"simpleseg-serve:{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent). The backend is left open: its owner closes it."""
        if self._stopped:
            return
        self._stopped = True
        self._server.stopping = True
        if self._thread is not None:
            self._server.shutdown()  # waits for the accept loop; would hang if it never ran
            self._thread.join(timeout=10)
        self._server.end_reading()
        self._server.server_close()

    def __enter__(self) -> ServerHandle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(backend: Backend, *, host: str = "127.0.0.1", port: int = 0, model_name: str = "simpleseg") -> ServerHandle:
    """Bind an OpenAI-compatible server for ``backend``; call ``.start()`` or use it as a context manager.

    Args:
        backend: any :class:`Backend`; its ``generate`` is called with one request at a time.
        host: interface to listen on; ``"0.0.0.0"`` exposes it to the network (there is no auth).
        port: TCP port; 0 picks a free one (read it from ``.port`` / ``.url``).
        model_name: the name listed by ``/v1/models`` and echoed in answers.

    Raises:
        TypeError: ``backend`` is not a :class:`Backend`.
        ValueError: ``model_name`` is empty or ``port`` is out of range.
        OSError: the address cannot be bound (port in use).
    """
    if not isinstance(backend, Backend):
        raise TypeError(f"backend must be a simpleseg_agent Backend, got {type(backend).__name__}")
    if not isinstance(model_name, str) or not model_name.strip():
        raise ValueError(f"model_name must be a non-empty string, got {model_name!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an integer in 0..65535, got {port!r}")
    server_cls = _Server6 if ":" in host else _Server
    server = server_cls((host, port), _Handler)
    server.backend = backend
    server.backend_lock = _lock_for(backend)
    server.model_name = model_name
    return ServerHandle(server)


def serve_forever(backend: Backend, host: str = "127.0.0.1", port: int = 8000, *, model_name: str = "simpleseg") -> None:
    """Serve ``backend`` in the foreground until Ctrl+C (for the ``simpleseg serve`` command).

    Prints the URL to give clients (``OpenAIHTTPBackend(url)``, or any OpenAI SDK as ``base_url``) on
    stderr. The backend is not closed on exit; the caller owns it.
    """
    handle = make_server(backend, host=host, port=port, model_name=model_name)
    info = server_info(backend)
    print(f"Serving {model_name!r} at {handle.url} (POST /chat/completions, GET /models; preset {info['preset']}, "
          f"coordinates {info['coord_space']}); Ctrl+C to stop", file=sys.stderr)
    try:
        handle._server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        handle._stopped = True
        handle._server.end_reading()
        handle._server.server_close()
