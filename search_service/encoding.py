"""The question's vector encoded on another thread while the rest of the search goes on.

Encoding a question is most of a search's cost, yet the model runs in ONNX Runtime with the
GIL released, so the question's words, its language and every lexical score can be worked
out meanwhile on the request's thread. Two details make the overlap real:

- the question is tokenized on the request's thread before the hand-over, and the pool's
  thread only runs the model: a pool thread that needs the GIL while the request's thread
  computes waits for Python's switch interval (5 ms), which is more than the work it would
  overlap;
- the request's thread waits until the pool's thread has started before it goes on, for the
  same reason (otherwise the pool's thread cannot take the GIL to enter the model call).

Encoders that cannot split their work (the float32 sentence-transformers model, the tests'
hash embedder) are called on the request's thread, as before.

A search is written once as steps (a generator that yields the encoding's future when it
needs the vector and returns its result), and driven two ways: `wait_through` blocks the
calling thread (evaluation, tests, scripts), `await_through` awaits on the event loop (the
HTTP route), so a request's Python work needs no hop to a worker thread and the loop serves
other requests while the model runs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
# A search as steps: yields the futures it waits for, returns its result.
Steps = Generator[Future[Any], None, T]

POOL_THREADS = 8  # a model run each; more concurrent requests queue (2 cores run 2 at once)


@cache
def _pool() -> ThreadPoolExecutor:
    """Created at the first question, not at import."""
    return ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="encode")


def encode_soon(embedder: Any, text: str, max_tokens: int | None) -> Future[np.ndarray]:
    """`embedder.encode_query(text, max_tokens)`, running on the pool when the embedder can
    split it (`query_run`), else done here; its `result()` is the vector either way."""
    split = getattr(embedder, "query_run", None)
    run = split(text, max_tokens) if split is not None else None
    if run is None or isinstance(run, np.ndarray):
        done: Future[np.ndarray] = Future()
        done.set_result(run if run is not None
                        else embedder.encode_query(text, max_tokens=max_tokens))
        return done
    started = threading.Event()
    future = _pool().submit(_started_then, started, run)
    started.wait()
    return future


def _started_then(started: threading.Event, run: Callable[[], np.ndarray]) -> np.ndarray:
    started.set()
    return run()


def wait_through(steps: Steps[T]) -> T:
    """Run `steps` on this thread, blocking on each future it yields."""
    try:
        future = next(steps)
        while True:
            future.result()
            future = steps.send(None)
    except StopIteration as done:
        return done.value


async def await_through(steps: Steps[T]) -> T:
    """Run `steps` on the event loop, awaiting each future it yields (the loop serves other
    requests meanwhile)."""
    try:
        future = next(steps)
        while True:
            if not future.done():
                await asyncio.wrap_future(future)
            future = steps.send(None)
    except StopIteration as done:
        return done.value
