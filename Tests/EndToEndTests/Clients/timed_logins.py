#!/usr/bin/python3
"""Logs in COUNT times, one after another, GAP seconds apart, and prints
each login's latency in milliseconds (from the TCP connect to the end of
authentication) on a line of its own.

usage: timed_logins.py HOST PORT USER KEYFILE COUNT GAP
"""
import sys
import time

from login import connect

host, port, user, keyfile, count, gap = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
for _ in range(count):
    start = time.monotonic()
    client = connect(host, port, user, keyfile)
    print("%.1f" % ((time.monotonic() - start) * 1000), flush=True)
    client.close()
    time.sleep(gap)
