#!/usr/bin/python3
"""A client that sends its NEWKEYS, the userauth service request, a signed
public-key login, a session channel open and an exec request in one TCP
write, without waiting for any reply, as a fast or hostile client may.

usage: pipelined_login.py HOST PORT USER KEYFILE COMMAND

Prints the size of the burst, then every channel data byte the server
sends back to stdout; exits 0 when the server answered the exec with data
and an exit status, 1 otherwise.
"""
import socket
import sys
import time

import paramiko
from paramiko.message import Message

host, port, user, keyfile, command = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
key = paramiko.Ed25519Key.from_private_key_file(keyfile)

sock = socket.create_connection((host, port), timeout=10)
transport = paramiko.Transport(sock)
packetizer = transport.packetizer
held = []
holding = [False]
real_write = packetizer.write_all


def write_all(data):
    if holding[0]:
        held.append(bytes(data))
    else:
        real_write(data)


real_send = packetizer.send_message


def send_message(message):
    # From our NEWKEYS (message 21) on, nothing leaves until the burst.
    if message.asbytes()[:1] == b"\x15":
        holding[0] = True
    real_send(message)


packetizer.write_all = write_all
packetizer.send_message = send_message

# Incoming messages meant for channels and auth that paramiko did not ask
# for are collected here instead of handled.
received = []
real_read = packetizer.read_message


def read_message():
    ptype, m = real_read()
    if ptype in (6, 51, 52, 80, 81, 82) or 91 <= ptype <= 100:
        received.append((ptype, m.asbytes()))
        return paramiko.common.MSG_IGNORE, Message(b"\x00\x00\x00\x00")
    return ptype, m


packetizer.read_message = read_message
transport.start_client(timeout=10)


def message(*parts):
    m = Message()
    for kind, value in parts:
        getattr(m, "add_" + kind)(value)
    return m


transport._send_message(message(("byte", bytes([5])), ("string", "ssh-userauth")))
blob = Message()
blob.add_string(transport.session_id)
blob.add_byte(bytes([50]))
blob.add_string(user)
blob.add_string("ssh-connection")
blob.add_string("publickey")
blob.add_boolean(True)
blob.add_string(key.get_name())
blob.add_string(key.asbytes())
signature = key.sign_ssh_data(blob.asbytes())
transport._send_message(message(("byte", bytes([50])), ("string", user), ("string", "ssh-connection"),
                                ("string", "publickey"), ("boolean", True), ("string", key.get_name()),
                                ("string", key.asbytes()), ("string", signature.asbytes())))
transport._send_message(message(("byte", bytes([90])), ("string", "session"), ("int", 0), ("int", 1 << 21),
                                ("int", 32768)))
# libssh numbers its first channel 43.
transport._send_message(message(("byte", bytes([98])), ("int", 43), ("string", "exec"), ("boolean", True),
                                ("string", command)))
burst = b"".join(held)
holding[0] = False
print(f"burst {len(burst)} bytes", file=sys.stderr)
real_write(burst)

deadline = time.time() + 15
output = b""
status = None
while time.time() < deadline and status is None and transport.is_active():
    while received:
        ptype, body = received.pop(0)
        m = Message(body)
        if ptype == 94:
            m.get_int()
            output += m.get_binary()
        elif ptype == 98:
            m.get_int()
            if m.get_text() == "exit-status":
                m.get_boolean()
                status = m.get_int()
    time.sleep(0.05)
sys.stdout.buffer.write(output)
print(f"exit-status {status}", file=sys.stderr)
transport.close()
sys.exit(0 if status is not None and output else 1)
