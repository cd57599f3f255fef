#!/usr/bin/python3
"""A sync tool's upload: a local folder sent over CONNECTIONS connections,
each with SESSIONS SFTP sessions, all at once. The folders are made on the
first session; every file goes up on the next session in turn, in threads,
the way GUI clients do it: written as NAME.filepart, stat'ed, its mtime
set, then renamed to NAME (posix-rename), and stat'ed again under its name.

usage: pooled_uploader.py HOST PORT USER KEYFILE LOCAL_ROOT REMOTE_ROOT CONNECTIONS SESSIONS

Prints one JSON line: the files sent, and the first error if any (exit 1).
"""
import json
import os
import sys
import threading

from login import connect

host, port, user, keyfile, local_root, remote_root = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
connections, sessions = int(sys.argv[7]), int(sys.argv[8])

clients = [connect(host, port, user, keyfile) for _ in range(connections)]
pool = [client.open_sftp() for client in clients for _ in range(sessions)]

folders, files = [], []
for folder, dirnames, filenames in os.walk(local_root):
    relative = os.path.relpath(folder, local_root)
    remote = remote_root if relative == "." else f"{remote_root}/{relative}"
    folders.append(remote)
    files += [(os.path.join(folder, name), f"{remote}/{name}") for name in sorted(filenames)]

report = {"files": 0, "error": None}
lock = threading.Lock()
try:
    for remote in folders:
        try:
            pool[0].mkdir(remote)
        except IOError:
            pool[0].stat(remote)  # there already: fine
except Exception as error:
    report["error"] = f"mkdir: {error}"


def upload(sftp, jobs):
    for local, remote in jobs:
        try:
            part = remote + ".filepart"
            sftp.put(local, part, confirm=True)
            info = os.stat(local)
            sftp.utime(part, (int(info.st_atime), int(info.st_mtime)))
            sftp.posix_rename(part, remote)
            if sftp.stat(remote).st_size != info.st_size:
                raise IOError(f"{remote}: size after rename differs")
            with lock:
                report["files"] += 1
        except Exception as error:
            with lock:
                report["error"] = report["error"] or f"{remote}: {error}"


if report["error"] is None:
    shares = [files[i::len(pool)] for i in range(len(pool))]
    threads = [threading.Thread(target=upload, args=(sftp, share)) for sftp, share in zip(pool, shares)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
for sftp in pool:
    sftp.close()
for client in clients:
    client.close()
print(json.dumps(report))
sys.exit(0 if report["error"] is None else 1)
