#!/usr/bin/python3
"""A subscriber that lies about its links: for each offer it reports a
sample for the batch before accepting it, then accepts, claims to have
taken the whole archive from the server in a tenth of a millisecond,
reports dropping a peer that is no source of its own, waits DELAY seconds
and says it delivered the batch, all from the server. It prints "delivered
N" for each batch so the test knows when the server has the answer.

usage: boasting_subscriber.py USER DELAY SECONDS SSH-ARGUMENT...
"""
import sys
import time

from subscription import Subscription

user, delay, seconds, ssh = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
subscription = Subscription(ssh)
send, receive = subscription.send, subscription.receive


def boast(batch, size):
    send({"type": "sample", "batch": batch, "source": "server", "bytes": size, "seconds": 0.0001, "rtt_ms": 0.01})


send({"type": "hello", "user": user, "software": "boasting-subscriber"})
deadline = time.time() + seconds
while time.time() < deadline:
    message = receive(deadline)
    if message is None:
        continue
    if message.get("type") == "offer":
        batch, size = message["batch"], message["size"]
        boast(batch, size)
        send({"type": "accept", "batch": batch})
        boast(batch, size)
        send({"type": "dropped", "batch": batch, "source": "nobody", "reason": "\x1b[2Jlies"})
        time.sleep(delay)
        send({"type": "delivered", "batch": batch, "received_from": {"server": size}})
        print("delivered", batch, flush=True)
subscription.close()
