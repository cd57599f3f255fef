#!/usr/bin/python3
"""One SFTP session that uploads COUNT small files to ops/, one every
PAUSE seconds, and keeps going whatever happens, as a client whose key is
revoked mid-drop would.

usage: slow_uploader.py HOST PORT USER KEYFILE COUNT PAUSE

Prints a line per file: "ok NAME" or "refused NAME: REASON"; exits 0.
"""
import sys
import time

from login import connect

host, port, user, keyfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
count, pause = int(sys.argv[5]), float(sys.argv[6])
client = connect(host, port, user, keyfile)
sftp = client.open_sftp()
for index in range(count):
    name = f"file{index}.txt"
    try:
        with sftp.open("ops/" + name, "wb") as handle:
            handle.write(b"data %d\n" % index)
        print("ok", name, flush=True)
    except Exception as error:
        print("refused", name + ":", error, flush=True)
    time.sleep(pause)
client.close()
