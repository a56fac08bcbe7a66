#!/usr/bin/python3
"""A TCP relay that adds a fixed one-way delay in each direction (the fleet test bed).

    delay_relay.py --listen ADDR:PORT --target ADDR:PORT --delay-ms D [--ready-file FILE]

The kernel here has no netem qdisc, so latency is made in user space: every accepted
connection is connected on to the target D ms after the accept (the SYN's trip), and every
chunk read from either side is written to the other side D ms after it was read, in order;
an end of stream (half-close) and a close travel with the same delay. A client therefore sees
the server's first byte one round trip (2*D) after it connected, and each request/answer
exchange costs at least 2*D, as over a link with D ms each way.

One event loop with protocol callbacks and one timer per direction (not a task per chunk):
hundreds of concurrent connections cost little. Reading stops while more than 1 MiB waits in a
direction, and resumes when it has been written out (flow control with a slow receiver).
Python standard library only. FILE is written ("ready") once the listening socket is bound.
"""

import argparse
import asyncio
import collections
import socket

HIGH_WATER = 1 << 20


class Direction:
    """Chunks read from one side, each written to the other side at its due time."""

    def __init__(self, loop, delay, src):
        self.loop = loop
        self.delay = delay
        self.src = src  # the transport we read from (paused when too much waits)
        self.dst = None  # the transport we write to (None until connected)
        self.q = collections.deque()
        self.queued = 0
        self.timer = None
        self.paused = False
        self.closed = False

    def push(self, data):
        """data: bytes, b"" for an end of stream, None for a close."""
        self.q.append((self.loop.time() + self.delay, data))
        if data:
            self.queued += len(data)
            if self.queued > HIGH_WATER and not self.paused and self.src is not None:
                self.paused = True
                self.src.pause_reading()
        self.arm()

    def arm(self):
        if self.timer is None and self.q and self.dst is not None:
            self.timer = self.loop.call_at(self.q[0][0], self.flush)

    def flush(self):
        self.timer = None
        now = self.loop.time()
        while self.q and self.q[0][0] <= now and not self.closed:
            _, data = self.q.popleft()
            if data is None:
                self.closed = True
                self.dst.close()
            elif data == b"":
                if self.dst.can_write_eof():
                    self.dst.write_eof()
            else:
                self.queued -= len(data)
                self.dst.write(data)
        if self.paused and self.queued <= HIGH_WATER // 2 and self.src is not None:
            self.paused = False
            try:
                self.src.resume_reading()
            except RuntimeError:
                pass
        self.arm()

    def attach(self, dst):
        self.dst = dst
        self.arm()


class Side(asyncio.Protocol):
    """One socket of a relayed pair; what it reads goes into `out`."""

    def __init__(self, relay):
        self.relay = relay
        self.transport = None
        self.out = None

    def data_received(self, data):
        self.out.push(data)

    def eof_received(self):
        self.out.push(b"")
        return True  # keep the other direction open (half-close)

    def connection_lost(self, exc):
        if self.out is not None:
            self.out.push(None)


class ClientSide(Side):
    def connection_made(self, transport):
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        loop = self.relay.loop
        self.out = Direction(loop, self.relay.delay, transport)
        self.back = Direction(loop, self.relay.delay, None)
        self.back.attach(transport)
        loop.call_later(self.relay.delay, lambda: loop.create_task(self.connect()))

    async def connect(self):
        loop = self.relay.loop
        server = Side(self.relay)
        server.out = self.back
        try:
            tr, _ = await loop.create_connection(lambda: server, self.relay.host, self.relay.port)
        except OSError:
            self.back.push(None)
            return
        tr.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.back.src = tr
        if self.out.closed:
            tr.close()
            return
        self.out.attach(tr)


class Relay:
    def __init__(self, loop, delay, host, port):
        self.loop = loop
        self.delay = delay
        self.host = host
        self.port = port


def hostport(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--ready-file")
    a = ap.parse_args()
    loop = asyncio.get_running_loop()
    th, tp = hostport(a.target)
    relay = Relay(loop, a.delay_ms / 1000.0, th, tp)
    lh, lp = hostport(a.listen)
    srv = await loop.create_server(lambda: ClientSide(relay), lh, lp, backlog=4096,
                                   reuse_address=True)
    if a.ready_file:
        with open(a.ready_file, "w") as f:
            f.write("ready\n")
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
