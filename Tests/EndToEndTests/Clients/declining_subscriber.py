#!/usr/bin/python3
"""A subscriber that declines the first offer with a reason of its own
choosing, as a hostile target may type one: speaks batchd-protocol(7) over
`ssh ... subscribe`.

usage: declining_subscriber.py REASON SSH-ARGUMENT...

Prints the declined batch id and exits 0 once the decline is sent and the
server had a second to record it; exits 1 when no offer came in 60 s.
"""
import json
import struct
import subprocess
import sys
import time

reason, ssh = sys.argv[1], sys.argv[2:]
child = subprocess.Popen(ssh + ["subscribe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def send(message):
    data = json.dumps(dict(message, v=1), sort_keys=True).encode()
    child.stdin.write(struct.pack(">I", len(data)) + data)
    child.stdin.flush()


def receive():
    header = child.stdout.read(4)
    if len(header) < 4:
        return None
    (length,) = struct.unpack(">I", header)
    return json.loads(child.stdout.read(length))


send({"type": "hello", "user": "bob", "software": "declining-subscriber"})
deadline = time.time() + 60
while time.time() < deadline:
    message = receive()
    if message is None:
        break
    if message.get("type") == "offer":
        send({"type": "decline", "batch": message["batch"], "reason": reason})
        print(message["batch"])
        time.sleep(1)
        child.kill()
        sys.exit(0)
child.kill()
sys.exit(1)
