"""The subscribe channel of batchd-protocol(7) for the test clients: one
`ssh … subscribe` child, frames of a 4-byte big-endian length and a JSON
object with "v": 1."""
import json
import select
import struct
import subprocess
import time


class Subscription:
    def __init__(self, ssh):
        self.child = subprocess.Popen(ssh + ["subscribe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(self, message):
        data = json.dumps(dict(message, v=1), sort_keys=True).encode()
        self.child.stdin.write(struct.pack(">I", len(data)) + data)
        self.child.stdin.flush()

    def receive(self, deadline=None):
        """The next message, or None at the end of the channel or, with a
        deadline (a time.time() value), when none came by then."""
        if deadline is not None:
            if not select.select([self.child.stdout], [], [], max(0, deadline - time.time()))[0]:
                return None
        header = self.child.stdout.read(4)
        if len(header) < 4:
            return None
        (length,) = struct.unpack(">I", header)
        return json.loads(self.child.stdout.read(length))

    def close(self):
        self.child.kill()
