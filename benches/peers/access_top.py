#!/usr/bin/env python3
"""Status histogram and top-10 client IPs of a combined access log.

The seed's script, kept as the baseline of `cargo xtask bench`: reads the
log line by line, splits each on spaces, counts field 0 (client) and field 8
(status) with Counters. Prints `status CODE COUNT` lines, then the ten
busiest clients as `COUNT IP` (count descending, then IP ascending).

usage: access_top.py ACCESS_LOG
"""
import heapq
import sys
from collections import Counter


def main(path):
    clients = Counter()
    statuses = Counter()
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            fields = line.split(" ")
            if len(fields) > 8:
                clients[fields[0]] += 1
                statuses[fields[8]] += 1
    for status, count in sorted(statuses.items()):
        print("status", status, count)
    top = heapq.nsmallest(10, clients.items(), key=lambda kv: (-kv[1], kv[0]))
    for ip, count in top:
        print(count, ip)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
