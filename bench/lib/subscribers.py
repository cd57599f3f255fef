#!/usr/bin/env python3
"""Load generator for bench/subscribers: many idle batchd subscribers.

Two modes:

  subscribers.py keygen N DIR
      Writes N fresh ed25519 keys: DIR/keys.tsv (one "user<TAB>seed-hex"
      line per target user t1..tN) and DIR/users.txt, one "tI PUBLIC-KEY"
      line each, for `batchctl user import`.

  subscribers.py run --port PORT --keys DIR [--workers W] [--concurrency C]
      Logs in as every user in DIR/keys.tsv, opens its `subscribe` channel
      and sends hello, as batchd-protocol(7) describes, spread over W worker
      processes. Then it is driven by one-word commands on standard input
      and answers each with one line on standard output:

        (at start)   -> "subscribed OK FAILED LOST [first error]"
        arm          -> "armed COUNT" once every subscriber's socket is
                        watched for the next bytes to arrive: the generator
                        stops reading its connections (no keepalive either)
                        and one epoll thread per process notes when each
                        socket becomes readable, so the arrival time does
                        not wait for Python to decrypt and parse thousands
                        of frames
        arrivals SECONDS
                     -> "arrived COUNT" once every watched socket became
                        readable (or SECONDS have passed); the generator
                        still does not read, so a process whose sockets
                        all arrived does not parse while another's wait
        wait SECONDS -> "offers GOT MISSING LOST" once every subscriber has
                        received an offer (or SECONDS have passed); the
                        arrival times are then in DIR/offers.txt, one
                        "user batch frame-epoch socket-epoch" line each:
                        when the frame was read whole, and when its socket
                        first became readable after `arm` (0 without `arm`)
        decline      -> "declined COUNT" after sending a decline for every
                        offer received
        close        -> "closed" after closing every connection; then exits

      Times are time.time(), the wall clock, which the benchmark script
      reads too.
      LOST counts subscribe channels the server closed. Each subscriber
      sends keepalive after 30 s in which it sent nothing else.

      With --accept every subscriber accepts every offer instead and
      fetches it as batchd-protocol(7) says: one `fetch ID 0 LAST` channel
      on its connection, each piece checked against the offer's hash and
      the archive against its SHA-256, then `delivered`, one batch at a
      time per subscriber. Then one more command:

        stats        -> "stats OFFERS DELIVERED ERRORS LOST" so far; a
                        subscriber's errors (a refused or broken fetch, a
                        wrong hash, an `error` message from the server) are
                        also written to DIR/errors.W.txt, one line each

Needs the asyncssh Python package (pip install asyncssh).
"""

import argparse
import asyncio
import hashlib
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time

KEEPALIVE_AFTER = 30.0


def frame(message):
    payload = json.dumps(message, separators=(",", ":"), sort_keys=True).encode()
    return struct.pack(">I", len(payload)) + payload


def keygen(count, directory):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "keys.tsv"), "w") as table, \
            open(os.path.join(directory, "users.txt"), "wb") as users:
        for index in range(1, count + 1):
            user = f"t{index}"
            key = Ed25519PrivateKey.generate()
            seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())
            public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                   serialization.PublicFormat.OpenSSH)
            table.write(f"{user}\t{seed.hex()}\n")
            users.write(user.encode() + b" " + public + b" " + user.encode() + b"\n")


def load_keys(directory, worker, workers):
    import asyncssh
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    keys = []
    with open(os.path.join(directory, "keys.tsv")) as table:
        for index, line in enumerate(table):
            if index % workers != worker:
                continue
            user, seed = line.split()
            pem = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption())
            keys.append((user, asyncssh.import_private_key(pem)))
    return keys


class Subscriber:
    """One target's connection and subscribe channel."""

    def __init__(self, user, accept=False, errors=None):
        self.user = user
        self.accept = accept
        self.errors = errors
        self.error_count = 0
        self.delivered = 0
        self.queue = asyncio.Queue() if accept else None
        self.connection = None
        self.channel = None
        self.buffer = bytearray()
        self.hello = asyncio.get_running_loop().create_future()
        self.offers = {}  # batch -> arrival time
        self.last_sent = 0.0
        self.closing = False
        self.lost = False

    def send(self, message):
        self.channel.write(frame(message))
        self.last_sent = time.monotonic()

    def received(self, data):
        now = time.time()
        self.buffer += data
        while len(self.buffer) >= 4:
            (length,) = struct.unpack_from(">I", self.buffer)
            if len(self.buffer) < 4 + length:
                break
            message = json.loads(self.buffer[4:4 + length])
            del self.buffer[:4 + length]
            kind = message.get("type")
            if kind == "hello" and not self.hello.done():
                self.hello.set_result(message)
            elif kind == "offer":
                if self.accept and message["batch"] not in self.offers:
                    self.send({"type": "accept", "v": 1, "batch": message["batch"]})
                    self.queue.put_nowait(message)
                self.offers.setdefault(message["batch"], now)
            elif kind == "error":
                self.error(f"server said: {message.get('message')}")

    def error(self, text):
        self.error_count += 1
        if self.errors is not None:
            self.errors.write(f"{time.time():.3f} {self.user}: {text}\n")
            self.errors.flush()

    async def fetch_accepted(self):
        """Fetches each accepted batch in turn from the server."""
        while True:
            offer = await self.queue.get()
            try:
                await self.fetch(offer)
            except Exception as error:  # asyncssh's errors, timeouts, a closed connection
                if not self.lost:
                    self.error(f"batch {offer['batch']}: {type(error).__name__}: {error}")

    async def fetch(self, offer):
        batch, pieces, size = offer["batch"], offer["pieces"], offer["piece_size"]
        result = await asyncio.wait_for(self.connection.run(
            f"fetch {batch} 0 {len(pieces) - 1}", encoding=None, check=False), 120)
        data = result.stdout or b""
        if result.exit_status != 0:
            reason = (result.stderr or b"").decode(errors="replace").strip()
            self.error(f"batch {batch}: fetch exited {result.exit_status}: {reason}")
            self.send({"type": "failed", "v": 1, "batch": batch, "reason": "fetch refused"})
            return
        bad = [i for i, piece in enumerate(pieces)
               if hashlib.sha256(data[i * size:(i + 1) * size]).hexdigest() != piece]
        if bad or len(data) != offer["size"] or hashlib.sha256(data).hexdigest() != offer["sha256"]:
            self.error(f"batch {batch}: {len(data)} bytes of {offer['size']}, wrong pieces {bad[:5]}")
            self.send({"type": "failed", "v": 1, "batch": batch, "reason": "wrong hash"})
            return
        self.send({"type": "delivered", "v": 1, "batch": batch, "received_from": {"server": len(data)}})
        self.delivered += 1

    def closed(self):
        if not self.closing:
            self.lost = True
        if not self.hello.done():
            self.hello.set_exception(ConnectionError("subscribe channel closed before hello"))


def session_factory(subscriber):
    import asyncssh

    class Session(asyncssh.SSHClientSession):
        def data_received(self, data, datatype):
            if datatype is None:
                subscriber.received(data)

        def connection_lost(self, exc):
            subscriber.closed()

    return Session


async def subscribe(subscriber, key, port, limit):
    import asyncssh

    async with limit:
        subscriber.connection = await asyncssh.connect(
            "127.0.0.1", port, username=subscriber.user, client_keys=[key], known_hosts=None,
            config=None, agent_path=None, preferred_auth="publickey", passphrase=None,
            connect_timeout=60)
        subscriber.channel, _ = await asyncio.wait_for(subscriber.connection.create_session(
            session_factory(subscriber), "subscribe", encoding=None), 60)
        subscriber.send({"type": "hello", "v": 1, "user": subscriber.user,
                         "software": "bench-subscribers 1"})
        await asyncio.wait_for(subscriber.hello, 60)


async def keepalives(subscribers):
    while True:
        await asyncio.sleep(5)
        quiet = time.monotonic() - KEEPALIVE_AFTER
        for subscriber in subscribers:
            if subscriber.channel is not None and not subscriber.lost and subscriber.last_sent < quiet:
                subscriber.send({"type": "keepalive", "v": 1})


class ArrivalWatch:
    """Notes when each subscriber's socket first becomes readable.

    The subscribers' transports stop reading, so the event loop no longer
    polls their sockets; one thread waits on an epoll set of its own (each
    socket once, EPOLLONESHOT) and stamps every socket of each wake-up with
    that wake-up's time. After a wake-up it sleeps 1 ms, so that a burst
    wakes it at most about a thousand times a second instead of once per
    socket (each wake-up would take a core from batchd); a stamp is late by
    at most that. `finish` waits for them and reads again."""

    def __init__(self, subscribers):
        self.subscribers = subscribers
        self.transports = [s.connection._transport for s in subscribers]
        self.arrived = {}  # fd -> epoch seconds
        self.poll = select.epoll()
        self.fds = {}
        for subscriber, transport in zip(subscribers, self.transports):
            transport.pause_reading()
            fd = transport.get_extra_info("socket").fileno()
            self.fds[subscriber.user] = fd
            self.poll.register(fd, select.EPOLLIN | select.EPOLLONESHOT)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def watch(self):
        while not self.stop.is_set() and len(self.arrived) < len(self.fds):
            events = self.poll.poll(0.05, 4096)
            now = time.time()
            for fd, _ in events:
                self.arrived.setdefault(fd, now)
            if events:
                time.sleep(0.001)

    async def arrivals(self, seconds):
        """Waits until every socket arrived or `seconds` passed; how many did."""
        await asyncio.get_running_loop().run_in_executor(None, self.thread.join, seconds)
        return len(self.arrived)

    async def finish(self, seconds):
        await self.arrivals(seconds)
        self.stop.set()
        await asyncio.get_running_loop().run_in_executor(None, self.thread.join)
        self.poll.close()
        for transport in self.transports:
            transport.resume_reading()

    def at(self, subscriber):
        return self.arrived.get(self.fds.get(subscriber.user), 0.0)


async def read_command(reader):
    line = await reader.readline()
    return line.decode().split()


async def worker_main(args):
    keys = load_keys(args.keys, args.worker, args.workers)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    limit = asyncio.Semaphore(max(1, args.concurrency // args.workers))
    errors = open(os.path.join(args.keys, f"errors.{args.worker}.txt"), "a") if args.accept else None
    subscribers = [Subscriber(user, args.accept, errors) for user, _ in keys]
    results = await asyncio.gather(
        *(subscribe(subscriber, key, args.port, limit) for subscriber, (_, key) in zip(subscribers, keys)),
        return_exceptions=True)
    failures = [f"{s.user}: {type(r).__name__}: {r}" for s, r in zip(subscribers, results) if r is not None]
    live = [s for s, r in zip(subscribers, results) if r is None]
    ticker = asyncio.ensure_future(keepalives(live))
    fetchers = [asyncio.ensure_future(s.fetch_accepted()) for s in live if args.accept]
    lost = lambda: sum(1 for s in live if s.lost)
    reply(f"subscribed {len(live)} {len(failures)} {lost()} {failures[0] if failures else ''}")

    watch = None
    while True:
        command = await read_command(reader)
        if not command or command[0] == "close":
            break
        if command[0] == "arm":
            # No keepalive from here on, and a moment for any answer to
            # one already sent to be read, so the next bytes are the offer.
            ticker.cancel()
            await asyncio.sleep(0.3)
            watch = ArrivalWatch([s for s in live if not s.lost])
            reply(f"armed {len(watch.fds)}")
        elif command[0] == "arrivals":
            count = await watch.arrivals(float(command[1])) if watch is not None else 0
            reply(f"arrived {count}")
        elif command[0] == "wait":
            deadline = time.monotonic() + float(command[1])
            if watch is not None:
                await watch.finish(float(command[1]))
            while time.monotonic() < deadline and any(not s.offers and not s.lost for s in live):
                await asyncio.sleep(0.01)
            with open(os.path.join(args.keys, f"offers.{args.worker}.txt"), "w") as out:
                for s in live:
                    for batch, at in s.offers.items():
                        socket_at = watch.at(s) if watch is not None else 0.0
                        out.write(f"{s.user} {batch} {at:.6f} {socket_at:.6f}\n")
            watch = None
            got = sum(1 for s in live if s.offers)
            reply(f"offers {got} {len(live) - got} {lost()}")
        elif command[0] == "decline":
            count = 0
            for s in live:
                if s.lost:
                    continue
                for batch in s.offers:
                    s.send({"type": "decline", "v": 1, "batch": batch, "reason": "benchmark"})
                    count += 1
            reply(f"declined {count}")
        elif command[0] == "stats":
            offers = sum(len(s.offers) for s in live)
            delivered = sum(s.delivered for s in live)
            errors_now = sum(s.error_count for s in subscribers)
            reply(f"stats {offers} {delivered} {errors_now} {lost()}")
    ticker.cancel()
    for fetcher in fetchers:
        fetcher.cancel()
    for s in live:
        s.closing = True
        s.connection.close()
    await asyncio.gather(*(s.connection.wait_closed() for s in live), return_exceptions=True)
    reply("closed")


def reply(line):
    try:
        sys.stdout.write(line.strip() + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # The benchmark script is gone: nobody is left to answer.
        os._exit(1)


def run_workers(args):
    """Starts the workers and relays each command to all of them."""
    workers = [subprocess.Popen(
        [sys.executable, __file__, "worker", "--port", str(args.port), "--keys", args.keys,
         "--concurrency", str(args.concurrency), "--workers", str(args.workers), "--worker", str(w)]
        + (["--accept"] if args.accept else []),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        for w in range(args.workers)]

    def gather():
        return [w.stdout.readline().split(maxsplit=4) for w in workers]

    answers = gather()
    if any(len(a) < 4 for a in answers):
        reply("subscribed 0 0 0 a worker stopped before subscribing")
        return 1
    error = next((a[4] for a in answers if len(a) > 4), "")
    reply("subscribed " + " ".join(str(sum(int(a[i]) for a in answers)) for i in (1, 2, 3)) + " " + error)
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "wait":
            # Every process has seen its sockets arrive before any reads them.
            for w in workers:
                w.stdin.write(f"arrivals {' '.join(command[1:])}\n")
                w.stdin.flush()
            gather()
        for w in workers:
            w.stdin.write(line)
            w.stdin.flush()
        answers = gather()
        if command[0] == "wait":
            with open(os.path.join(args.keys, "offers.txt"), "w") as out:
                for w in range(args.workers):
                    with open(os.path.join(args.keys, f"offers.{w}.txt")) as part:
                        out.write(part.read())
        counts = [sum(int(a[i]) for a in answers if len(a) > i) for i in range(1, len(answers[0]))]
        reply(answers[0][0] + " " + " ".join(map(str, counts)))
        if command[0] == "close":
            break
    for w in workers:
        w.stdin.close()
        w.wait()
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    gen = sub.add_parser("keygen")
    gen.add_argument("count", type=int)
    gen.add_argument("directory")
    for name in ("run", "worker"):
        p = sub.add_parser(name)
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--keys", required=True)
        p.add_argument("--workers", type=int, default=1)
        p.add_argument("--concurrency", type=int, default=64)
        p.add_argument("--worker", type=int, default=0)
        p.add_argument("--accept", action="store_true")
    args = parser.parse_args()
    if args.mode == "keygen":
        keygen(args.count, args.directory)
        return 0
    if args.mode == "run":
        return run_workers(args)
    # uvloop, when installed (make bench-deps does), cuts the generator's
    # own time per message, which is in every arrival it timestamps.
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(worker_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
