#!/usr/bin/python3
"""A client whose files claim far more than it sends: 16 bytes written,
then FSETSTAT to 50 GiB (set.bin), or a WRITE at 40 GiB (far.bin). Each
would be a hole that costs the server a core deflating zeros.

usage: far_sizes.py HOST PORT USER KEYFILE

Prints "accepted NAME" or "refused NAME REASON" for each file.
"""
import sys

from login import connect


def set_size(handle):
    handle.truncate(50 << 30)


def write_far(handle):
    handle.seek(40 << 30)
    handle.write(b"x")
    handle.flush()


sftp = connect(*sys.argv[1:5]).open_sftp()
for name, grow in (("set.bin", set_size), ("far.bin", write_far)):
    handle = sftp.open("ops/" + name, "wb")
    handle.write(b"0123456789abcdef")
    handle.flush()
    try:
        grow(handle)
        print("accepted", name)
    except IOError as error:
        print("refused", name, error)
    try:
        handle.close()
    except IOError:
        pass
