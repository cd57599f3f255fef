#!/usr/bin/python3
"""A subscriber that declines the first offer with a reason of its own
choosing, as a hostile target may type one: speaks batchd-protocol(7) over
`ssh ... subscribe`.

usage: declining_subscriber.py REASON SSH-ARGUMENT...

Prints the declined batch id and exits 0 once the decline is sent and the
server had a second to record it; exits 1 when no offer came in 60 s.
"""
import sys
import time

from subscription import Subscription

reason, ssh = sys.argv[1], sys.argv[2:]
subscription = Subscription(ssh)
send, receive = subscription.send, subscription.receive


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
        subscription.close()
        sys.exit(0)
subscription.close()
sys.exit(1)
