#!/usr/bin/python3
"""Holds the catalogue's write lock, as a slow batchctl would: BEGIN
IMMEDIATE, print "locked", wait SECONDS, commit.

usage: write_lock_holder.py DATABASE SECONDS
"""
import sqlite3
import sys
import time

db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
