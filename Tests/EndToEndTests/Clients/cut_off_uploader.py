#!/usr/bin/python3
"""An upload cut off by a lost connection: writes LOCAL_FILE's bytes from 0
up to KEEP, then one block further on past a gap (as pipelined writes in
flight leave it), and goes without closing the file or the connection.

usage: cut_off_uploader.py HOST PORT USER KEYFILE LOCAL_FILE REMOTE KEEP
"""
import os
import sys

from login import connect

host, port, user, keyfile, local, remote = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
keep = int(sys.argv[7])
client = connect(host, port, user, keyfile)
sftp = client.open_sftp()
with open(local, "rb") as source:
    data = source.read()
handle = sftp.open(remote, "wb")
handle.set_pipelined(False)
for offset in range(0, keep, 32768):
    handle.write(data[offset:min(offset + 32768, keep)])
# A block beyond a gap: a resume must not take the hole for written bytes.
handle.seek(keep + 65536)
handle.write(data[keep + 65536:keep + 98304])
sftp.stat(remote)  # every write above answered: the server has them
print("cut off")
sys.stdout.flush()
os._exit(0)
