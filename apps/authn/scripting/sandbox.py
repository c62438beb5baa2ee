"""The V8 sandbox: one fresh isolate per script execution, with a CPU-time and a memory limit.

Isolates come from a small per-process pool of blank ones that a background
thread keeps filled (creating an isolate costs ~2 ms; a login should not pay
it). An isolate is used for exactly one execution and then closed, so nothing a
script leaves behind (globals, pending promises, a runaway loop after a
timeout) reaches another login. The trusted prelude is evaluated when the
isolate is created; it removes what a script must not have (timers, shared
memory, array buffers, WebAssembly) before any script sees the isolate.
There is no file, network or process API in V8 itself; the only way out is
the bridge of ``prelude``/``bridge``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import re
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.authn.scripting.prelude import PRELUDE, SCRIPT_SOURCE_NAME

logger = logging.getLogger("apps.authn.scripting")

_COMPILE_SENTINEL = "__iam_compile_only__"
_LINE_OF_PARSE_ERROR = re.compile(r"^(?:<anonymous>|undefined):(\d+): (.*)$")


class ScriptFailure(Exception):
    """A script execution that did not finish normally. ``reason`` is a short code for audit."""

    reason = "error"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class ScriptTimeout(ScriptFailure):
    reason = "timeout"


class ScriptMemoryExceeded(ScriptFailure):
    reason = "memory"


class ScriptSyntaxError(ScriptFailure):
    reason = "syntax"


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float
    max_memory_bytes: int


def limits_from_settings() -> Limits:
    return Limits(
        timeout_seconds=settings.IAM_SCRIPT_TIMEOUT_MS / 1000,
        max_memory_bytes=settings.IAM_SCRIPT_MAX_MEMORY_MB * 1024 * 1024,
    )


# --- isolates ---------------------------------------------------------------------------------------


class _Isolate:
    """A MiniRacer context on the shared event loop, with the prelude installed."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        from py_mini_racer import mini_racer

        self._maker = mini_racer(loop)
        self.racer = self._maker.__enter__()
        self.racer.eval(PRELUDE)

    def close(self) -> None:
        maker, self._maker = self._maker, None
        if maker is not None:
            try:
                maker.__exit__(None, None, None)
            except Exception:
                logger.exception("closing a script isolate failed")


class _Engine:
    """Per process: the event loop mini-racer needs, the pool of blank isolates and a closer thread."""

    def __init__(self, pool_size: int) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="script-v8-loop", daemon=True).start()
        self.idle: queue.Queue[_Isolate] = queue.Queue(maxsize=max(pool_size, 1))
        self.closing: queue.Queue[_Isolate] = queue.Queue()
        threading.Thread(target=self._close_forever, name="script-v8-closer", daemon=True).start()
        if pool_size > 0:
            threading.Thread(target=self._fill_forever, name="script-v8-pool", daemon=True).start()

    def _fill_forever(self) -> None:
        while True:
            try:
                isolate = _Isolate(self.loop)
            except Exception:
                logger.exception("creating a script isolate failed")
                return
            self.idle.put(isolate)  # blocks while the pool is full

    def _close_forever(self) -> None:
        while True:
            self.closing.get().close()

    def acquire(self) -> _Isolate:
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            return _Isolate(self.loop)

    def release(self, isolate: _Isolate) -> None:
        """Never reused: closed off the request's path (freeing a big heap can take a while)."""
        self.closing.put(isolate)


_engine: _Engine | None = None
_engine_lock = threading.Lock()


def _get_engine() -> _Engine:
    global _engine
    engine = _engine
    if engine is None or engine.pid != os.getpid():  # first use, or a forked worker
        with _engine_lock:
            if _engine is None or _engine.pid != os.getpid():
                _engine = _Engine(settings.IAM_SCRIPT_POOL_SIZE)
            engine = _engine
    return engine


def sandbox_warm_up() -> None:
    """Start the loop and the pool now (e.g. in a worker's start-up) instead of on the first login."""
    _get_engine()


# --- execution --------------------------------------------------------------------------------------


def _first_line(message: str) -> str:
    return (message or "").strip().splitlines()[0] if (message or "").strip() else ""


def _translate(exc: Exception, *, phase: str) -> ScriptFailure:
    from py_mini_racer import JSOOMException, JSParseException, JSTimeoutException

    text = _first_line(str(exc))
    if isinstance(exc, JSTimeoutException):
        return ScriptTimeout("The script ran longer than its time limit.")
    if isinstance(exc, JSOOMException):
        return ScriptMemoryExceeded("The script used more memory than its limit.")
    match = _LINE_OF_PARSE_ERROR.match(text)
    if isinstance(exc, JSParseException) and match:
        return ScriptSyntaxError(match.group(2), line=int(match.group(1)))
    return ScriptFailure(f"{phase}: {text[:300]}" if text else phase)


def sandbox_run(script: str, payload: dict[str, Any], *, limits: Limits | None = None) -> dict[str, Any]:
    """Evaluate ``script`` in a fresh isolate, call the bridge's driver with ``payload``; its JSON answer.

    Raises ``ScriptTimeout``, ``ScriptMemoryExceeded``, ``ScriptSyntaxError`` or ``ScriptFailure``.
    The time limit covers both the script's top level and ``onLoginRequest``."""
    from py_mini_racer import JSEvalException

    limits = limits or limits_from_settings()
    engine = _get_engine()
    isolate = engine.acquire()
    racer = isolate.racer
    source = json.dumps(f"{script}\n//# sourceURL={SCRIPT_SOURCE_NAME}")
    try:
        racer.set_hard_memory_limit(limits.max_memory_bytes)
        try:  # one round trip: the driver evaluates the script's top level, then calls onLoginRequest
            answer = racer.eval(
                f"__iamRun({json.dumps(json.dumps(payload))}, {source})", timeout_sec=limits.timeout_seconds
            )
        except JSEvalException as exc:
            if racer.was_hard_memory_limit_reached():
                raise ScriptMemoryExceeded("The script used more memory than its limit.") from exc
            raise _translate(exc, phase="The script failed") from exc
        if not isinstance(answer, str):
            raise ScriptFailure("The script bridge returned nothing.")
        return json.loads(answer)
    finally:
        engine.release(isolate)


def script_syntax_error(script: str) -> ScriptSyntaxError | None:
    """Parse ``script`` in a fresh isolate without running any of it; the first syntax error, or None.

    Two parses: as a top-level script behind a statement that throws before
    anything else runs (how logins evaluate it, with the line number), and as a
    function body (``new Function``, which only compiles), which also catches
    errors of a ``"use strict"`` directive at the top."""
    from py_mini_racer import JSEvalException

    engine = _get_engine()
    isolate = engine.acquire()
    racer = isolate.racer
    try:
        racer.set_hard_memory_limit(settings.IAM_SCRIPT_MAX_MEMORY_MB * 1024 * 1024)
        try:
            racer.eval(f'throw "{_COMPILE_SENTINEL}";\n{script}', timeout_sec=2)
        except JSEvalException as exc:
            text = _first_line(str(exc))
            match = _LINE_OF_PARSE_ERROR.match(text)
            if _COMPILE_SENTINEL not in text:
                if match:
                    return ScriptSyntaxError(match.group(2), line=max(int(match.group(1)) - 1, 1))
                return ScriptSyntaxError(text[:300] or "The script could not be parsed.")
        try:
            racer.eval(f"new Function({json.dumps(script)}); 0", timeout_sec=2)
        except JSEvalException as exc:
            text = _first_line(str(exc))
            match = _LINE_OF_PARSE_ERROR.match(text)
            if match and "SyntaxError" in text:
                return ScriptSyntaxError(match.group(2), line=max(int(match.group(1)) - 2, 1))
            return ScriptSyntaxError(text[:300] or "The script could not be parsed.")
        return None
    finally:
        engine.release(isolate)
