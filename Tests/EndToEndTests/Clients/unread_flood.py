#!/usr/bin/python3
"""A client that floods requests and never reads a reply: on each of
several SFTP channels it sends INIT, then REALPATH of a 3,000-byte path
over and over for a while, while the server's replies pile up unread.

usage: unread_flood.py HOST PORT USER KEYFILE SECONDS CHANNELS

Prints how many requests each channel got out, then exits 0. A server that
applies backpressure closes the window: sends then stall, which is the
point; they time out and are retried until the time is up.
"""
import socket
import struct
import sys
import time

from login import connect

host, port, user, keyfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
seconds, count = float(sys.argv[5]), int(sys.argv[6])
client = connect(host, port, user, keyfile)
transport = client.get_transport()


def packet(kind, body):
    return struct.pack(">IB", len(body) + 1, kind) + body


path = ("/ops" + ("/" + "p" * 99) * 30).encode()
channels = []
for _ in range(count):
    channel = transport.open_session(window_size=1 << 21)
    channel.invoke_subsystem("sftp")
    channel.settimeout(0.2)
    channel.sendall(packet(1, struct.pack(">I", 3)))
    channels.append(channel)

# Each channel's bytes not yet taken by its window: requests are never
# cut, only delayed.
backlog = [bytearray() for _ in range(count)]
sent = [0] * count
request = 0
deadline = time.time() + seconds
while time.time() < deadline:
    for index, channel in enumerate(channels):
        if len(backlog[index]) < 65536:
            request += 1
            backlog[index] += packet(16, struct.pack(">II", request, len(path)) + path)
            sent[index] += 1
        try:
            taken = channel.send(bytes(backlog[index]))
            del backlog[index][:taken]
        except socket.timeout:
            pass
print(" ".join(str(n) for n in sent))
sys.stdout.flush()
client.close()
