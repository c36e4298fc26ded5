#!/usr/bin/env python3
"""A TCP proxy that adds a fixed delay in each direction, so every round trip through it costs
2 x DELAY more: loopback servers behind it look like hosts across a network.

Usage: bench/delay_proxy.py --delay-ms 25 [--counts FILE] UPSTREAM_PORT ...
Listens on a free 127.0.0.1 port for each upstream and relays to 127.0.0.1:UPSTREAM_PORT.
Prints "ready" and the listening ports (in the upstreams' order) on one line once every port
listens. On SIGTERM/SIGINT it writes the number of connections each listener took to FILE
(JSON, {listen_port: count}) and exits.

Each chunk read is written out DELAY after it arrived (order kept, no bandwidth limit); an end
of stream is passed on DELAY later too. The TCP handshake itself is completed by the kernel at
once, so a connection costs one delayed round trip less than on a real network.
Benchmark only (bench/endpoints-latency.py); never started by the tests.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import sys

# Every task is kept here until it ends: the event loop holds tasks only weakly.
TASKS = set()


def spawn(coro):
    t = asyncio.get_running_loop().create_task(coro)
    TASKS.add(t)
    t.add_done_callback(TASKS.discard)


async def pipe(src, dst, delay):
    """Relays src to dst, each chunk DELAY after it arrived."""
    loop = asyncio.get_running_loop()
    q = asyncio.Queue()

    async def pump():
        while True:
            try:
                data = await loop.sock_recv(src, 65536)
            except OSError:
                data = b""
            q.put_nowait((loop.time(), data))
            if not data:
                return

    async def drain():
        while True:
            t, data = await q.get()
            wait = t + delay - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                await loop.sock_sendall(dst, data)
            except OSError:
                return

    await asyncio.gather(pump(), drain())


async def relay(client, upstream, delay):
    loop = asyncio.get_running_loop()
    up = socket.socket()
    up.setblocking(False)
    try:
        await loop.sock_connect(up, ("127.0.0.1", upstream))
        await asyncio.gather(pipe(client, up, delay), pipe(up, client, delay))
    except OSError:
        pass
    finally:
        client.close()
        up.close()


async def serve(listener, upstream, delay, counts):
    loop = asyncio.get_running_loop()
    port = listener.getsockname()[1]
    while True:
        client, _ = await loop.sock_accept(listener)
        client.setblocking(False)
        counts[port] = counts.get(port, 0) + 1
        spawn(relay(client, upstream, delay))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--counts")
    ap.add_argument("upstreams", nargs="+", type=int)
    a = ap.parse_args()
    delay = a.delay_ms / 1000
    counts = {}
    ports = []
    for upstream in a.upstreams:
        # Port 0: the kernel picks a port nobody holds.
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(512)
        s.setblocking(False)
        ports.append(s.getsockname()[1])
        spawn(serve(s, upstream, delay, counts))
    print("ready", *ports, flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    if a.counts:
        with open(a.counts, "w") as f:
            json.dump(counts, f)
    # Connections still open are simply dropped: nothing of them is wanted any more.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
