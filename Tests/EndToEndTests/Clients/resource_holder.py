#!/usr/bin/python3
"""A client that takes what it can and holds it: CONNECTIONS connections,
each with up to CHANNELS SFTP channels, each opening FILES files under
ops/ (one byte written, never closed).

usage: resource_holder.py HOST PORT USER KEYFILE CONNECTIONS CHANNELS FILES HOLD_SECONDS [spread]

With "spread", channel n writes under the topic tn instead (one batch each).

Prints one JSON line: how many channels and files it got, and the first
refusal of each kind; holds everything for HOLD_SECONDS, then closes.
"""
import json
import os
import sys
import time

from login import connect

host, port, user, keyfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
connections, channels, files, hold = (int(v) for v in sys.argv[5:9])
spread = sys.argv[9:] == ["spread"]
report = {"channels": 0, "files": 0, "channel_error": None, "file_error": None}
held = []
for c in range(connections):
    client = connect(host, port, user, keyfile)
    held.append(client)
    for h in range(channels):
        try:
            sftp = client.open_sftp()
        except Exception as error:
            report["channel_error"] = report["channel_error"] or str(error)
            continue
        report["channels"] += 1
        held.append(sftp)
        for f in range(files):
            try:
                folder = f"t{c * channels + h}" if spread else "ops"
                handle = sftp.open(f"{folder}/c{c}-h{h}-f{f}.bin", "wb")
                handle.write(b"x")
                handle.flush()
                held.append(handle)
                report["files"] += 1
            except Exception as error:
                report["file_error"] = report["file_error"] or str(error)
print(json.dumps(report))
sys.stdout.flush()
time.sleep(hold)
# Leave without paramiko's close-at-exit chatter: the server sees the
# connections drop, which is what a killed client does.
os._exit(0)
