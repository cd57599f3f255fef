#!/usr/bin/python3
"""A subscriber that announces a peer listener at an address of its own
choosing, accepts the first offer, prints every plan it is sent as one JSON
line and confirms the plan's grants, for SECONDS seconds.

usage: announcing_subscriber.py USER LISTEN|- SECONDS SSH-ARGUMENT...

ACCEPT_DELAY in the environment waits that many seconds before accepting.
"""
import json
import os
import select
import struct
import subprocess
import sys
import time

user, listen, seconds, ssh = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
child = subprocess.Popen(ssh + ["subscribe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def send(message):
    data = json.dumps(dict(message, v=1), sort_keys=True).encode()
    child.stdin.write(struct.pack(">I", len(data)) + data)
    child.stdin.flush()


def receive(deadline):
    if not select.select([child.stdout], [], [], max(0, deadline - time.time()))[0]:
        return None
    header = child.stdout.read(4)
    if len(header) < 4:
        return None
    (length,) = struct.unpack(">I", header)
    return json.loads(child.stdout.read(length))


hello = {"type": "hello", "user": user, "software": "announcing-subscriber"}
if listen != "-":
    hello["listen"] = listen
    hello["host_key"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKDN0CYmG6zbG8ZEN3Bze0yOYwIOYMAVJH8AcsFeEOE5"
send(hello)
deadline = time.time() + seconds
while time.time() < deadline:
    message = receive(deadline)
    if message is None:
        continue
    if message.get("type") == "offer":
        time.sleep(float(os.environ.get("ACCEPT_DELAY", "0")))
        send({"type": "accept", "batch": message["batch"]})
    elif message.get("type") == "plan":
        print(json.dumps(message, sort_keys=True), flush=True)
        # As batchd-recv does once its listener lets them in.
        users = [grant["user"] for grant in message.get("grants", [])]
        if users:
            send({"type": "granted", "batch": message["batch"], "users": users})
child.kill()
