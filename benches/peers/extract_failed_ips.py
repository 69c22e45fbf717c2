#!/usr/bin/env python3
"""Every IPv4 address with a failed sshd password login, sorted, one per line.

The seed's script, kept as the baseline of `cargo xtask bench`: reads the
log line by line, keeps lines containing "Failed password", takes the first
IPv4-looking address of each, and prints the set sorted.

usage: extract_failed_ips.py AUTH_LOG
"""
import re
import sys

IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def main(path):
    ips = set()
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if "Failed password" in line:
                match = IPV4.search(line)
                if match:
                    ips.add(match.group(0))
    for ip in sorted(ips):
        print(ip)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
