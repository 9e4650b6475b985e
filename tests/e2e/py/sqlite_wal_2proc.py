"""Two processes on one SQLite WAL database: a forked writer inserts
BATCHES batches of ROWS rows while the parent counts, and must only ever
see whole batches (the -shm index is a MAP_SHARED mapping in both).

    sqlite_wal_2proc.py DB BATCHES ROWS
"""
import os
import sqlite3
import sys
import time

db, batches, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
print(c.execute("pragma journal_mode=wal").fetchone()[0])
c.execute("create table t(i integer primary key, v text)")
c.commit()
pid = os.fork()
if pid == 0:
    w = sqlite3.connect(db, timeout=30)
    for b in range(batches):
        with w:
            w.executemany("insert into t(v) values (?)", [("x" * 10,)] * rows)
    w.close()
    os._exit(0)
seen = set()
r = sqlite3.connect(db, timeout=30)
while True:
    n = r.execute("select count(*) from t").fetchone()[0]
    seen.add(n % rows == 0)
    if os.waitpid(pid, os.WNOHANG)[0]:
        break
    time.sleep(0.005)
print(r.execute("select count(*), sum(length(v)) from t").fetchone())
print("only whole batches seen:", seen == {True})
print(r.execute("pragma integrity_check").fetchone()[0])
