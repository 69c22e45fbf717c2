#!/usr/bin/env python3
"""The Python side of `cargo xtask bench --suite exec`: the cases of
crates/ops-exec/examples/exec_peer.rs with subprocess.run, as a platform
script would write them. One line per case:
case<TAB>implementation<TAB>seconds<TAB>note

usage: exec_subprocess.py SPAWNS BYTES
"""
import os
import resource
import signal
import subprocess
import sys
import time


def survivors(text):
    """How many of the pids printed in text are alive; kills them."""
    alive = 0
    for line in text.split():
        if not line.strip().isdigit():
            continue
        pid = int(line)
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            alive += 1
            os.kill(pid, signal.SIGKILL)
    return alive


def cpu_seconds():
    """User and system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(case, elapsed, note):
    print(f"{case}\tpython\t{elapsed:.6f}\t{note}", flush=True)


def main():
    spawns = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    nbytes = int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 30

    times = []
    for _ in range(spawns):
        t = time.perf_counter()
        subprocess.run(["true"], capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    times.sort()
    report("spawn", times[len(times) // 2], f"median of {spawns} runs of true, output captured")

    t, cpu = time.perf_counter(), cpu_seconds()
    dd = ["dd", "if=/dev/zero", "bs=1M", f"count={nbytes}", "iflag=count_bytes", "status=none"]
    out = subprocess.run(dd, capture_output=True, check=True)
    assert len(out.stdout) == nbytes
    report("capture", time.perf_counter() - t, "all of it in memory")
    report("capture_cpu", cpu_seconds() - cpu, "CPU time of the reading process")
    del out

    # subprocess.run kills only the shell on timeout: the background sleep
    # lives on.
    t = time.perf_counter()
    try:
        subprocess.run(["sh", "-c", "sleep 30 & echo $!; sleep 30"], capture_output=True, timeout=0.5)
        raise SystemExit("the timeout did not fire")
    except subprocess.TimeoutExpired as e:
        elapsed = time.perf_counter() - t
        left = survivors((e.stdout or b"").decode())
    report("timeout", elapsed, f"{left} process(es) of the tree left alive")

    # A grandchild holding stdout: run() waits until it exits.
    t = time.perf_counter()
    out = subprocess.run(["sh", "-c", "sleep 5 & echo $!"], capture_output=True)
    elapsed = time.perf_counter() - t
    survivors(out.stdout.decode())
    report("grandchild", elapsed, "waited for the grandchild to close stdout")


if __name__ == "__main__":
    main()
