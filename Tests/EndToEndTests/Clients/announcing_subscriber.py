#!/usr/bin/python3
"""A subscriber that announces a peer listener at an address of its own
choosing, accepts the first offer, prints every plan it is sent as one JSON
line and confirms the plan's grants, for SECONDS seconds.

usage: announcing_subscriber.py USER LISTEN|- SECONDS SSH-ARGUMENT...

ACCEPT_DELAY in the environment waits that many seconds before accepting.
"""
import json
import os
import sys
import time

from subscription import Subscription

user, listen, seconds, ssh = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
subscription = Subscription(ssh)
send, receive = subscription.send, subscription.receive


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
subscription.close()
