"""A backend for OpenAI-compatible chat-completions servers (vLLM, SGLang, TGI, :mod:`simpleseg_agent.serve`).

Each request is one ``POST {base_url}/chat/completions`` with the image as a base64 data URL and the
prompt as text, answered greedily (``temperature: 0``) unless the request asks for a sample. A batch's
requests are sent in parallel from a thread pool; transient failures (connection errors, timeouts, 429, 5xx) are retried with exponential
backoff and jitter, honouring ``Retry-After``; every failure ends as one
:class:`~simpleseg_agent.errors.ModelError` that names the URL, the status and the server's message.

Typical use, against ``vllm serve <checkpoint>`` or ``simpleseg serve``::

    backend = OpenAIHTTPBackend("http://localhost:8000")          # model discovered from /v1/models
    [result] = backend.generate([GenerationRequest(image, "What is the polygon of the cat in the image?")])

Base URLs are accepted with or without their ``/v1``:

Example:
    >>> normalize_base_url("http://localhost:8000"), normalize_base_url("http://localhost:8000/v1/")
    ('http://localhost:8000/v1', 'http://localhost:8000/v1')
"""

from __future__ import annotations

import base64
import email.utils
import io
import json
import logging
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from .._optional import require
from ..errors import ModelError
from ..grammar import CoordSpace
from .base import Backend, GenerationRequest, GenerationResult, ModelPreset, ScoreRequest

__all__ = ["OpenAIHTTPBackend", "normalize_base_url"]

logger = logging.getLogger(__name__)

_FEATURE = "the OpenAI-compatible backend"
# A server asking for a longer pause than this is waited for this long (then retried), so one
# misconfigured proxy cannot stall an agent for an hour.
_MAX_RETRY_AFTER_S = 30.0
# Server messages quoted in errors are cut here: an HTML error page is not worth a screenful.
_MAX_MESSAGE_CHARS = 300


def normalize_base_url(base_url: str) -> str:
    """Return the API root of an OpenAI-compatible server, ending in ``/v1`` for bare hosts.

    ``http://host:8000`` and ``http://host:8000/v1`` both become ``http://host:8000/v1``; a pasted
    endpoint (``.../v1/chat/completions``) is cut back to its root. A base with another path
    (``https://host/v1beta/openai``, a proxy prefix ending in ``/v1``) is kept as given, because
    hosted providers mount their API under such paths.

    Raises:
        ValueError: not an ``http(s)://host[:port][/path]`` URL.

    Example:
        >>> normalize_base_url(" https://api.example.com/v1/chat/completions ")
        'https://api.example.com/v1'
        >>> normalize_base_url("http://10.0.0.5:30000/v1beta/openai/")
        'http://10.0.0.5:30000/v1beta/openai'
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise ValueError(f"base_url must be a URL such as 'http://localhost:8000/v1', got {base_url!r}")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must start with http:// or https:// and name a host, got {base_url!r}")
    path = parts.path.rstrip("/")
    for endpoint in ("/chat/completions", "/models"):
        path = path.removesuffix(endpoint)
    if not path:
        path = "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _retry_delay_s(attempt: int, backoff_s: float, retry_after_s: float | None) -> float:
    """Pause before retry number ``attempt + 1``: the server's ``Retry-After`` if it sent one (capped),
    else ``backoff_s * 2**attempt`` scaled by a random factor in ``[0.5, 1.5)`` so that parallel
    clients do not retry in lockstep."""
    if retry_after_s is not None:
        return min(max(retry_after_s, 0.0), _MAX_RETRY_AFTER_S)
    return backoff_s * (2**attempt) * (0.5 + random.random())


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), ``None`` if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def _truncate(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 3] + "..."


def _server_message(response: Any) -> str:
    """The server's own words from an error response: OpenAI ``{"error": {"message": ...}}``, the
    variants vLLM/TGI/FastAPI use (``{"message"}``, ``{"error": "..."}``, ``{"detail"}``), else the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return _truncate(error["message"])
        for value in (error, body.get("message"), body.get("detail")):
            if isinstance(value, str) and value:
                return _truncate(value)
            if value:
                return _truncate(json.dumps(value))
    text = (getattr(response, "text", "") or "").strip()
    return _truncate(text) if text else "(empty body)"


def _encode_image(image: Any, image_format: str) -> str:
    if image.mode != "RGB":
        image = image.convert("RGB")
    buf = io.BytesIO()
    if image_format == "jpeg":
        image.save(buf, format="JPEG", quality=95)
    else:
        image.save(buf, format="PNG")
    return f"data:image/{image_format};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def _message_text(content: Any) -> str | None:
    """``message.content`` as text: a string, or a list of content parts whose text parts are joined."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type") in ("text", "output_text") and isinstance(part.get("text"), str):
                texts.append(part["text"])
        return "".join(texts)
    return None


class OpenAIHTTPBackend(Backend):
    """Answers through an OpenAI-compatible ``/chat/completions`` endpoint (vLLM, SGLang, TGI, ``simpleseg serve``).

    The image travels at its original resolution (PNG by default, lossless); the server resizes it the
    way its model's processor does, which this client cannot see. So ``model_input_wh`` is the
    *original* image size, except when the server reports the size its model saw in the response's
    ``simpleseg.model_input_wh`` field (:mod:`simpleseg_agent.serve` does). For checkpoints answering in
    :attr:`CoordSpace.PIXELS` of the resized image, serve them with :mod:`simpleseg_agent.serve` or
    use a preset in the ``norm``/``1000`` space.

    Args:
        base_url: server root, with or without ``/v1`` (see :func:`normalize_base_url`).
        model: the served model's name; ``None`` asks ``GET {base_url}/models`` on first use and takes
            the first id.
        preset: how the served checkpoint answers. ``None`` (default): what the server says at
            ``GET {base_url}/models`` (``simpleseg serve`` lists its preset and coordinate space there),
            asked once at first use; a server that says nothing (vLLM, SGLang): ``norm`` coordinates,
            SimpleSeg prompts. A preset given here wins over the server's word.
        api_key: sent as ``Authorization: Bearer <api_key>``.
        timeout_s: limit for connecting and for each wait for bytes from the server, per attempt.
        max_retries: retries after the first attempt, for connection errors, timeouts, 429 and 5xx.
            Other 4xx answers are the request's fault and are never retried.
        backoff_s: first pause between attempts; doubles each retry, with jitter.
        max_new_tokens: answer budget for requests that do not set their own.
        concurrency: requests of one batch in flight at once (a server such as vLLM batches them, so it
            sets the throughput; ``simpleseg serve`` answers one at a time).
        guided: guided decoding of answers (:attr:`GenerationRequest.grammar`): the request carries the
            answer grammar as vLLM's ``structured_outputs: {"regex": ...}``
            (:func:`~simpleseg_agent.grammar.constrain.answer_regex`). ``"auto"`` (default): where the
            server is known to honour it: ``simpleseg serve`` saying ``structured_outputs: true`` at
            ``/v1/models``, or a vLLM server (``owned_by: "vllm"``); ``"on"``: always (a server that rejects
            the field fails the request); ``"off"``: never.
        image_format: ``"png"`` (lossless) or ``"jpeg"`` (smaller uploads for large screenshots).
        session: a ``requests.Session`` (or compatible) to use, e.g. with proxies or mTLS set up;
            one is created, and closed by :meth:`close`, when omitted.

    Raises:
        ValueError: an argument is out of range.
        MissingDependencyError: ``requests`` is not installed (extra ``model``).
    """

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        preset: ModelPreset | None = None,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        max_new_tokens: int = 1024,
        concurrency: int = 8,
        image_format: Literal["png", "jpeg"] = "png",
        session: Any = None,
        guided: Literal["off", "auto", "on"] = "auto",
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        if model is not None and (not isinstance(model, str) or not model.strip()):
            raise ValueError(f"model must be a non-empty name or None (discover it from /models), got {model!r}")
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not timeout_s > 0:
            raise ValueError(f"timeout_s must be a positive number of seconds, got {timeout_s!r}")
        for name, value, low in (("max_retries", max_retries, 0), ("max_new_tokens", max_new_tokens, 1), ("concurrency", concurrency, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if isinstance(backoff_s, bool) or not isinstance(backoff_s, (int, float)) or not backoff_s >= 0:
            raise ValueError(f"backoff_s must be a number of seconds >= 0, got {backoff_s!r}")
        if image_format not in ("png", "jpeg"):
            raise ValueError(f"image_format must be 'png' or 'jpeg', got {image_format!r}")
        if preset is not None and not isinstance(preset, ModelPreset):
            raise ValueError(f"preset must be a ModelPreset or None, got {type(preset).__name__}")
        if guided not in ("off", "auto", "on"):
            raise ValueError(f"guided must be 'off', 'auto' or 'on', got {guided!r}")
        self.guided = guided
        self._preset_given = preset
        self._info: dict | None = None  # the server's entry for the model at /models, once asked
        self._pinned = False  # the server could not be asked how it answers: the generic preset stays

        self._requests = require("requests", extra="model", feature=_FEATURE)
        self._generic_preset = preset or ModelPreset(
            name="openai-http",
            model_id=model or self.base_url,
            coord_space=CoordSpace.NORM,
            max_new_tokens=max_new_tokens,
            description=f"an OpenAI-compatible server at {self.base_url}",
        )
        self.api_key = api_key
        self.timeout_s = float(timeout_s)
        self.max_retries = max_retries
        self.backoff_s = float(backoff_s)
        self.max_new_tokens = max_new_tokens
        self.concurrency = concurrency
        self.image_format = image_format
        self._model = model
        self._lock = threading.Lock()  # guards lazy model discovery and the token counter
        self._counter: Any = None
        self._owns_session = session is None
        if session is None:
            session = self._requests.Session()
            # One pooled connection per worker, else urllib3 drops and reopens the extras.
            adapter = self._requests.adapters.HTTPAdapter(pool_maxsize=max(10, concurrency))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session

    def __repr__(self) -> str:
        return f"OpenAIHTTPBackend({self.base_url!r}, model={self._model!r})"

    @property
    def model(self) -> str:
        """The served model's name; asks ``GET {base_url}/models`` the first time when not given."""
        with self._lock:
            if self._model is None:
                self._model = self._discover_model()
            return self._model

    def _discover_model(self) -> str:
        url = f"{self.base_url}/models"
        body, _, _ = self._call("GET", url, None)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise ModelError(f"GET {url} answered without a 'data' list of models; pass model=... explicitly")
        if not data:
            raise ModelError(f"GET {url} lists no models; is the model still loading? Or pass model=... explicitly")
        first = data[0]
        model_id = first.get("id") if isinstance(first, dict) else None
        if not isinstance(model_id, str) or not model_id:
            raise ModelError(f"GET {url}: the first model has no 'id' (data[0].id); pass model=... explicitly")
        self._info = first
        return model_id

    def _server_entry(self) -> dict:
        """The server's ``/models`` entry of the served model (``{}`` when it lists none by that name);
        asked once. Raises :class:`ModelError` when the server cannot be asked."""
        model = self.model  # discovering the model keeps its entry
        with self._lock:
            if self._info is None:
                url = f"{self.base_url}/models"
                body, _, _ = self._call("GET", url, None)
                data = body.get("data") if isinstance(body, dict) else None
                data = data if isinstance(data, list) else []
                entries = [e for e in data if isinstance(e, dict) and e.get("id") == model]
                self._info = entries[0] if entries else {}
            return self._info

    def _served(self) -> dict:
        """The server's ``simpleseg`` object (``simpleseg serve``), ``{}`` from other servers or when the
        server cannot be reached now (then asked again next time)."""
        if self._pinned:
            return {}
        try:
            ours = self._server_entry().get("simpleseg")
        except ModelError as exc:
            # pinned, so that the tool that read this preset and this backend keep reading answers alike
            self._pinned = True
            logger.warning("cannot ask %s/models how the model answers (%s); reading its answers as %s",
                           self.base_url, exc, self._generic_preset.coord_space.value)
            return {}
        return ours if isinstance(ours, dict) else {}

    @property
    def preset(self) -> ModelPreset:
        """How the served model answers: the preset given, else what the server says (see ``preset``)."""
        if self._preset_given is not None:
            return self._preset_given
        ours = self._served()
        return _served_preset(ours, self._generic_preset) if ours else self._generic_preset

    @property
    def supports_scoring(self) -> bool:  # type: ignore[override]
        """The server scores answers (``simpleseg serve`` with ``scoring: true`` at ``/models``)."""
        return self._served().get("scoring") is True

    @property
    def supports_grammar(self) -> bool:  # type: ignore[override]
        """Requests carry the answer grammar as guided decoding (see ``guided``)."""
        if self.guided != "auto":
            return self.guided == "on"
        if self._served().get("structured_outputs") is True:
            return True
        if self._pinned:
            return False
        try:
            return self._server_entry().get("owned_by") == "vllm"
        except ModelError:
            return False

    def score(self, request: ScoreRequest) -> list[float]:
        """Log-likelihood of each continuation, asked of the server's ``POST {base_url}/simpleseg/score``
        (``simpleseg serve``; see :meth:`Backend.score`). Raises :class:`ModelError` where the server
        cannot score (``supports_scoring`` False: vLLM and other servers do not return per-token
        log-probabilities of given answers through the chat API)."""
        if not isinstance(request, ScoreRequest):
            raise ModelError(f"expected a ScoreRequest, got {type(request).__name__}")
        if not self.supports_scoring:
            return super().score(request)
        payload = self._chat_payload(request.image, request.prompt, self.model)
        payload["continuations"] = list(request.continuations)
        url = f"{self.base_url}/simpleseg/score"
        body, _, _ = self._call("POST", url, payload)
        scores = body.get("scores") if isinstance(body, dict) else None
        if (not isinstance(scores, list) or len(scores) != len(request.continuations)
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in scores)):
            raise ModelError(f"POST {url}: expected {len(request.continuations)} numbers in 'scores', got "
                             f"{_truncate(json.dumps(body))}")
        return [float(v) for v in scores]

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _call(self, method: str, url: str, payload: dict | None) -> tuple[Any, float, int]:
        """Send one request with retries; return ``(json body, seconds of the successful exchange, attempts)``."""
        requests = self._requests
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            retry_after = None
            t0 = time.perf_counter()
            try:
                response = self.session.request(
                    method, url, json=payload, headers=self._headers(), timeout=(self.timeout_s, self.timeout_s)
                )
            except requests.Timeout:
                last_problem = f"no answer from {method} {url} within the timeout of {self.timeout_s:g} s"
            except requests.ConnectionError as exc:
                last_problem = f"the server is not reachable at {url} ({_truncate(exc)})"
            except requests.exceptions.ChunkedEncodingError as exc:  # the server went away mid-answer
                last_problem = f"the connection to {url} broke during the answer ({_truncate(exc)})"
            except requests.RequestException as exc:  # invalid URL, too many redirects: retrying will not help
                raise ModelError(f"{method} {url} failed: {_truncate(exc)}") from exc
            else:
                elapsed = time.perf_counter() - t0
                status = response.status_code
                if 200 <= status < 300:
                    try:
                        return response.json(), elapsed, attempt + 1
                    except ValueError:
                        raise ModelError(
                            f"{method} {url} answered {status} with a body that is not valid JSON: "
                            f"{_truncate(response.text) or '(empty body)'}"
                        ) from None
                message = f"{method} {url} answered {status}: {_server_message(response)}"
                if status != 429 and status < 500:
                    raise ModelError(message)
                last_problem = message
                retry_after = _parse_retry_after(response.headers.get("Retry-After"))
            if attempt < self.max_retries:
                time.sleep(_retry_delay_s(attempt, self.backoff_s, retry_after))
        tries = self.max_retries + 1
        raise ModelError(f"{last_problem}; gave up after {tries} attempt{'s' if tries > 1 else ''}")

    def _token_count(self, text: str) -> int:
        with self._lock:
            if self._counter is None:
                from ..grammar import default_token_counter

                self._counter = default_token_counter()
            counter = self._counter
        return counter.count(text)

    def _chat_payload(self, image: Any, prompt: str, model: str) -> dict:
        return {
            "model": model,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": _encode_image(image, self.image_format)}},
                        {"type": "text", "text": prompt},
                    ],
                }
            ],
        }

    def _generate_one(self, request: GenerationRequest, model: str) -> GenerationResult:
        max_tokens = request.max_new_tokens if request.max_new_tokens is not None else self.max_new_tokens
        payload = self._chat_payload(request.image, request.prompt, model)
        payload["max_tokens"] = max_tokens
        payload["temperature"] = request.temperature
        if request.grammar and self.supports_grammar:
            from ..grammar.constrain import answer_regex

            payload["structured_outputs"] = {"regex": answer_regex(request.grammar, self.preset.coord_space)}
        if request.temperature > 0:
            payload["top_p"] = 1.0
            if request.seed is not None:
                payload["seed"] = request.seed
        url = f"{self.base_url}/chat/completions"
        body, elapsed, attempts = self._call("POST", url, payload)
        return self._parse_completion(body, url, request, elapsed, attempts)

    def _parse_completion(
        self, body: Any, url: str, request: GenerationRequest, elapsed: float, attempts: int
    ) -> GenerationResult:
        def missing(what: str) -> ModelError:
            return ModelError(f"POST {url}: the answer has no {what}: {_truncate(json.dumps(body))}")

        if not isinstance(body, dict):
            raise missing("JSON object (got a " + type(body).__name__ + ")")
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices:
            raise missing("'choices' list")
        choice = choices[0]
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            raise missing("'choices[0].message' object")
        if "content" not in message:
            raise missing("'choices[0].message.content'")
        text = _message_text(message["content"])
        if text is None and message.get("refusal"):
            raise ModelError(f"POST {url}: the model refused: {_truncate(message['refusal'])}")
        if text is None and message["content"] is not None:
            raise missing("text in 'choices[0].message.content' (neither a string nor a list of text parts)")
        text = text or ""  # null content: the budget ran out before any answer text (reasoning models)
        finish_reason = choice.get("finish_reason")

        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        n_tokens = usage.get("completion_tokens")
        if isinstance(n_tokens, bool) or not isinstance(n_tokens, int) or n_tokens < 0:
            n_tokens = self._token_count(text)

        model_input_wh = tuple(request.image.size)
        extra = {
            "finish_reason": finish_reason,
            "model": body.get("model"),
            "id": body.get("id"),
            "usage": usage,
            "attempts": attempts,
        }
        ours = body.get("simpleseg")  # sent by simpleseg_agent.serve: what the served backend reported
        if isinstance(ours, dict):
            wh = ours.get("model_input_wh")
            if isinstance(wh, list) and len(wh) == 2 and all(isinstance(v, int) and v > 0 for v in wh):
                model_input_wh = (wh[0], wh[1])
            if isinstance(ours.get("model_s"), (int, float)):
                extra["server_model_s"] = float(ours["model_s"])
            if ours.get("decoding") in ("constrained", "free"):
                extra["decoding"] = ours["decoding"]
            space = ours.get("coord_space")
            read = self._generic_preset.coord_space.value
            if self._pinned and self._preset_given is None and isinstance(space, str) and space != read:
                raise ModelError(f"POST {url}: the server answers in the {space!r} coordinate space (preset "
                                 f"{ours.get('preset')!r}), but it could not be asked at first use, so this client "
                                 f"reads {read!r}: name the preset (preset=..., "
                                 f"--preset) or start the server before the tool")
        return GenerationResult(
            text=text,
            n_tokens=n_tokens,
            model_s=elapsed,
            model_input_wh=model_input_wh,
            finished=finish_reason != "length",
            extra=extra,
        )

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Answer ``requests`` in order, sending up to ``concurrency`` of them at once.

        ``model_s`` of a result is the duration of its successful HTTP exchange (queueing on the
        server included, retry pauses excluded). Raises :class:`ModelError` for the first request
        that fails; requests not yet sent are then cancelled.
        """
        requests = list(requests)
        for i, request in enumerate(requests):
            if not isinstance(request, GenerationRequest):
                raise TypeError(f"requests[{i}] must be a GenerationRequest, got {type(request).__name__}")
        if not requests:
            return []
        model = self.model
        if len(requests) == 1 or self.concurrency == 1:
            return [self._generate_one(request, model) for request in requests]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests)), thread_name_prefix="openai-http") as pool:
            futures = [pool.submit(self._generate_one, request, model) for request in requests]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def close(self) -> None:
        """Close the HTTP session if this backend created it."""
        if self._owns_session:
            self.session.close()


def _served_preset(ours: dict, generic: ModelPreset) -> ModelPreset:
    """The preset a server's ``simpleseg`` object names: the project's preset of that name where its
    coordinate space agrees, else ``generic`` with the space and prompt style the server says."""
    from dataclasses import replace

    from .presets import PRESETS

    try:
        space = CoordSpace(str(ours.get("coord_space")))
    except ValueError:
        logger.warning("the server names an unknown coordinate space %r; reading answers as %s",
                       ours.get("coord_space"), generic.coord_space.value)
        return generic
    name = ours.get("preset")
    known = PRESETS.get(name) if isinstance(name, str) else None
    if known is not None and known.coord_space is space:
        return known
    style = ours.get("prompt_style")
    return replace(generic, name=name if isinstance(name, str) and name else generic.name, coord_space=space,
                   prompt_style=style if style in ("simpleseg", "grounding") else generic.prompt_style)
