"""One WebSocket's outbound side: a bounded queue drained by an owned writer task.

Nothing in the room ever awaits a client: broadcasting only appends to queues. A client whose
queue is full has fallen too far behind and is disconnected (CloseCode.SLOW_CONSUMER), so a
slow reader can never stall the room or grow the server's memory.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable

from aiohttp import web

from web.live.codes import CLOSE_REASONS, CloseCode

log = logging.getLogger(__name__)


class Connection:
    """Outbound queue, writer task and close path of one socket; the identity fields are set once authenticated."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        *,
        queue_limit: int,
        close_timeout: float,
        on_overflow: Callable[[Connection], None],
    ) -> None:
        self.ws = ws
        self._request = request
        self._queue: collections.deque[str] = collections.deque()
        self._queue_limit = queue_limit
        self._close_timeout = close_timeout
        self._on_overflow = on_overflow
        self._wake = asyncio.Event()
        self._writer = asyncio.create_task(self._write(), name="live-writer")
        self._close_task: asyncio.Task[None] | None = None
        self.close_code: CloseCode | None = None
        self.user_id: str | None = None  # the account
        self.device: str | None = None  # the optional device label given in `auth`
        self.participant_id: str | None = None  # this session's id in rooms and the media plane
        self.username: str = ""
        self.credential: str | None = None  # kept to re-check it when credentials are revoked
        self.room_id: str | None = None
        self.joining: str | None = None  # room being looked up; a removal meanwhile cancels the join

    @property
    def closing(self) -> bool:
        """True once a close was requested; nothing more is queued after that."""
        return self._close_task is not None

    @property
    def queued(self) -> int:
        """Messages waiting for the writer."""
        return len(self._queue)

    def send(self, text: str) -> bool:
        """Queue one message; False if closing or if the queue overflowed (then the socket closes)."""
        if self._close_task is not None:
            return False
        if len(self._queue) >= self._queue_limit:
            self.close(CloseCode.SLOW_CONSUMER, flush=False)
            asyncio.get_running_loop().call_soon(self._on_overflow, self)
            return False
        self._queue.append(text)
        self._wake.set()
        return True

    async def _write(self) -> None:
        ws = self.ws
        queue = self._queue
        try:
            while True:
                if not queue:
                    if self._close_task is not None:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                await ws.send_str(queue.popleft())
        except ConnectionError:
            queue.clear()  # the peer is gone; the reader side notices and cleans up

    def close(self, code: CloseCode, reason: str | None = None, *, flush: bool = True) -> None:
        """Start closing (idempotent): with `flush`, queued messages go out first (bounded by
        the close timeout); a slow consumer's queue is dropped instead."""
        if self._close_task is not None:
            return
        self.close_code = code
        if not flush:
            self._queue.clear()
        self._wake.set()
        self._close_task = asyncio.create_task(self._close(code, reason or CLOSE_REASONS[code], flush),
                                               name="live-close")

    async def _close(self, code: CloseCode, reason: str, flush: bool) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._close_timeout
        if flush:
            await asyncio.wait({self._writer}, timeout=self._close_timeout)
        if not self._writer.done():
            self._writer.cancel()
        await asyncio.wait({self._writer})
        if not self._writer.cancelled() and self._writer.exception() is not None:
            log.error("live writer failed", exc_info=self._writer.exception())
        try:
            async with asyncio.timeout(max(0.1, deadline - loop.time())):
                await self.ws.close(code=code, message=reason.encode(), drain=flush)
        except (TimeoutError, ConnectionError):
            pass
        transport = self._request.transport
        if transport is not None and not transport.is_closing():
            transport.close()  # flushes what is buffered (the close frame included), then closes
        if transport is not None and transport.get_write_buffer_size() > 0:
            # a peer that does not read cannot hold the server's memory: give it close_timeout
            # to take the close frame, then drop the connection
            loop.call_later(self._close_timeout, transport.abort)

    async def wait_closed(self, code: CloseCode = CloseCode.NORMAL) -> None:
        """Close (if nobody did yet) and wait until the close handshake is over."""
        self.close(code)
        assert self._close_task is not None
        await asyncio.shield(self._close_task)
