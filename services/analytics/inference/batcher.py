"""Micro-batching: requests that arrive within a short window share one model call.

A model call has a fixed overhead (the executor hop, the runtime's dispatch) that dwarfs
the cost of one more row, so under load stacking concurrent requests raises throughput.
Calls run in a bounded thread pool, off the event loop, so a burst never stalls it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.float32]


@dataclass
class _Request:
    rows: Rows
    result: asyncio.Future[Rows]


class MicroBatcher:
    """Stacks concurrent `submit` calls into batches of at most `max_batch` rows."""

    def __init__(
        self,
        run: Callable[[Rows], Rows],
        *,
        window_s: float = 0.002,
        max_batch: int = 64,
        workers: int = 1,
    ) -> None:
        if max_batch < 1 or workers < 1 or window_s < 0:
            raise ValueError("max_batch and workers must be positive, window_s not negative")
        self._run = run
        self.window_s = window_s
        self.max_batch = max_batch
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inference")
        # At most `workers` batches in flight: while they run, requests queue up here and
        # make the next batch larger instead of piling up in the executor's queue.
        self._slots = asyncio.Semaphore(workers)
        self._pending: deque[_Request] = deque()
        self._pending_rows = 0
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._drainer: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._drainer = asyncio.create_task(self._drain(), name="inference-batcher")

    async def stop(self) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
            self._drainer = None
        await asyncio.gather(*self._running, return_exceptions=True)
        for request in self._pending:
            request.result.cancel()
        self._pending.clear()
        self._pending_rows = 0
        self._executor.shutdown(wait=True)

    async def submit(self, rows: Rows) -> Rows:
        """One prediction per row of `rows`, computed in a batch with other callers'."""
        if self._drainer is None:
            raise RuntimeError("the batcher is not running")
        request = _Request(rows, asyncio.get_running_loop().create_future())
        self._pending.append(request)
        self._pending_rows += len(rows)
        self._arrived.set()
        if self._pending_rows >= self.max_batch:
            self._full.set()
        return await request.result

    async def _drain(self) -> None:
        while True:
            while not self._pending:
                self._arrived.clear()
                await self._arrived.wait()
            # The window opens with the first request of a batch: an idle service adds at
            # most window_s to a lone request's latency.
            if self._pending_rows < self.max_batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.window_s)
            await self._slots.acquire()
            batch = self._take()
            task = asyncio.create_task(self._execute(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    def _take(self) -> list[_Request]:
        """Pending requests up to max_batch rows, whole requests only (a request larger
        than max_batch goes alone rather than waiting forever)."""
        batch: list[_Request] = []
        rows = 0
        while self._pending and (not batch or rows + len(self._pending[0].rows) <= self.max_batch):
            request = self._pending.popleft()
            rows += len(request.rows)
            batch.append(request)
        self._pending_rows -= rows
        if self._pending_rows < self.max_batch:
            self._full.clear()
        return batch

    async def _execute(self, batch: list[_Request]) -> None:
        try:
            live = [r for r in batch if not r.result.cancelled()]
            if not live:
                return
            stacked = np.concatenate([r.rows for r in live])
            loop = asyncio.get_running_loop()
            try:
                outputs = await loop.run_in_executor(self._executor, self._run, stacked)
            except Exception as error:  # every caller of the batch sees the failure
                for request in live:
                    if not request.result.done():
                        request.result.set_exception(error)
                return
            start = 0
            for request in live:
                end = start + len(request.rows)
                if not request.result.done():
                    request.result.set_result(outputs[start:end])
                start = end
        finally:
            self._slots.release()
