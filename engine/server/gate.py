"""The bounded queue in front of the model, and the single inference thread behind it.

One generation runs at a time (a model serves one thread), so requests line up. The gate admits at
most ``1 + max_queue`` requests (running + waiting); beyond that the route answers 429 at once instead
of growing an unbounded backlog. Engine calls run on one dedicated thread, never on the event loop;
streamed events cross back to the loop through an asyncio queue. A client that disconnects cancels its
generation at the next token.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from engine.jobs import CancelToken

T = TypeVar("T")
_END = object()


class Busy(Exception):
    """The queue is full (the route answers 429)."""


class InferenceGate:
    """Admission control plus the one thread that runs engine calls."""

    def __init__(self, max_queue: int) -> None:
        self.capacity = 1 + max_queue
        self._admitted = 0
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lampwright-inference")

    @property
    def admitted(self) -> int:
        """Requests running or waiting now."""
        return self._admitted

    def _admit(self) -> None:
        with self._lock:
            if self._admitted >= self.capacity:
                raise Busy
            self._admitted += 1

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` on the inference thread; raises :class:`Busy` when the queue is full."""
        self._admit()

        def job() -> T:
            try:
                return fn()
            finally:
                self._release()

        try:
            fut = self._executor.submit(job)
        except BaseException:
            self._release()
            raise
        return await asyncio.wrap_future(fut)

    def stream(self, make: Callable[[CancelToken], Iterator[Any]]) -> AsyncIterator[Any]:
        """Admit now (raising :class:`Busy` when full), then iterate ``make(cancel)`` on the inference thread.

        The returned async iterator yields the generator's items; closing it early cancels the generation.
        """
        self._admit()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = CancelToken()

        def push(item: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def job() -> None:
            try:
                if cancel.cancelled:
                    return
                gen = make(cancel)
                try:
                    for item in gen:
                        push(item)
                        if cancel.cancelled:
                            break
                finally:
                    close = getattr(gen, "close", None)
                    if close is not None:
                        close()
            except BaseException as exc:  # delivered to the route, which turns it into an error reply
                push(_Failure(exc))
            finally:
                self._release()
                push(_END)

        try:
            self._executor.submit(job)
        except BaseException:
            self._release()
            raise
        return _drain(queue, cancel)

    def shutdown(self) -> None:
        """Stop accepting work (running work finishes)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


async def _drain(queue: asyncio.Queue[Any], cancel: CancelToken) -> AsyncIterator[Any]:
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        cancel.cancel()  # no-op when the stream ended; stops the model when the client went away
