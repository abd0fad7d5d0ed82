#!/usr/bin/env python3
"""Kernel start-up time and execute round-trip latency: jlora vs Debian's ipykernel.

    bench/kernel/run.sh                  # builds if needed, installs the jlora kernelspec, runs this
    /usr/bin/python3 bench/kernel/bench_kernel.py --kernel jlora --baseline python3 -n 200

Start-up: from KernelManager.start_kernel() until the first kernel_info_reply
arrives (repeated --starts times; median reported).
Round trip: send execute_request for a trivial cell (`1+1`, valid Java and Python)
and wait for both its execute_reply and the iopub `idle` status, i.e. what a
notebook waits for; -n measured executes after --warmup unmeasured ones. A second
series runs a different trivial cell each time (`1 + 1`, `2 + 1`, ...) so that a
kernel caching compiled cells shows its real compile cost too (informational).
The client is plain synchronous pyzmq + jupyter_client.session.Session, the same
code for both kernels.

Goals (printed PASS/FAIL): median round trip within 1.5x of the baseline's and
start-up under 3 s. Exit status 0 regardless of the goals unless --strict;
2 if a kernel could not be measured at all.
"""
import argparse
import json
import os
import statistics
import sys
import time
import uuid

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

import zmq  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

ROUND_TRIP_RATIO_GOAL = 1.5
STARTUP_GOAL_S = 3.0


class RawClient:
    """Minimal synchronous shell + iopub client on a started KernelManager."""

    def __init__(self, km, ctx):
        self.session = km.session
        info = km.get_connection_info()
        base = f"{info['transport']}://{info['ip']}:" if info["transport"] == "tcp" else f"{info['transport']}://{info['ip']}-"
        self.shell = ctx.socket(zmq.DEALER)
        self.shell.linger = 0
        self.shell.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
        self.shell.connect(f"{base}{info['shell_port']}")
        self.iopub = ctx.socket(zmq.SUB)
        self.iopub.linger = 0
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(f"{base}{info['iopub_port']}")
        self.poller = zmq.Poller()
        self.poller.register(self.shell, zmq.POLLIN)
        self.poller.register(self.iopub, zmq.POLLIN)

    def send(self, msg_type, content):
        msg = self.session.msg(msg_type, content=content)
        self.session.send(self.shell, msg)
        return msg["header"]["msg_id"]

    def recv(self, sock):
        _, msg = self.session.recv(sock, mode=zmq.NOBLOCK, content=False)
        return msg

    def kernel_info(self, timeout, resend_every=2.0):
        """Seconds until a kernel_info_reply arrives (request re-sent every resend_every s)."""
        deadline = time.perf_counter() + timeout
        ids = {self.send("kernel_info_request", {})}
        next_send = time.perf_counter() + resend_every
        while time.perf_counter() < deadline:
            for sock, _ in self.poller.poll(100):
                msg = self.recv(sock)
                if (sock is self.shell and msg and msg["msg_type"] == "kernel_info_reply"
                        and msg["parent_header"].get("msg_id") in ids):
                    return
            if time.perf_counter() > next_send:
                ids.add(self.send("kernel_info_request", {}))
                next_send = time.perf_counter() + resend_every
        raise TimeoutError(f"no kernel_info_reply within {timeout}s")

    def wait_iopub_connected(self, timeout=30.0):
        """Defeat the PUB/SUB slow-joiner: ping with kernel_info until its status shows on iopub."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            msg_id = self.send("kernel_info_request", {})
            until = time.perf_counter() + 0.5
            while time.perf_counter() < until:
                for sock, _ in self.poller.poll(50):
                    msg = self.recv(sock)
                    if sock is self.iopub and msg and msg["parent_header"].get("msg_id") == msg_id:
                        self.drain(0.2)
                        return
        raise TimeoutError(f"iopub not connected within {timeout}s")

    def drain(self, quiet_s):
        while self.poller.poll(int(quiet_s * 1000)):
            for sock in (self.shell, self.iopub):
                while self.recv(sock):
                    pass

    def execute_round_trip(self, code, timeout=30.0):
        """Seconds from sending execute_request to having both execute_reply and iopub idle."""
        t0 = time.perf_counter()
        msg_id = self.send("execute_request", dict(code=code, silent=False, store_history=True,
                                                   user_expressions={}, allow_stdin=False, stop_on_error=True))
        got_reply = got_idle = False
        status = None
        deadline = t0 + timeout
        self.last_marks = marks = {}  # first arrival (s after sending) of each message kind
        while not (got_reply and got_idle):
            left_ms = int((deadline - time.perf_counter()) * 1000)
            if left_ms <= 0:
                raise TimeoutError(f"execute of {code!r} not done within {timeout}s")
            for sock, _ in self.poller.poll(left_ms):
                msg = self.recv(sock)
                if not msg or msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind = ("shell " if sock is self.shell else "iopub ") + msg["msg_type"]
                if msg["msg_type"] == "status":
                    kind += ":" + self.session.unpack(msg["content"])["execution_state"]
                marks.setdefault(kind, time.perf_counter() - t0)
                if sock is self.shell and msg["msg_type"] == "execute_reply":
                    got_reply = True
                    status = self.session.unpack(msg["content"])["status"]
                elif (sock is self.iopub and msg["msg_type"] == "status"
                      and self.session.unpack(msg["content"])["execution_state"] == "idle"):
                    got_idle = True
        elapsed = time.perf_counter() - t0
        if status != "ok":
            raise RuntimeError(f"execute of {code!r} returned status {status!r}")
        return elapsed

    def close(self):
        self.shell.close(0)
        self.iopub.close(0)


def percentile(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def start_and_time(name, args, ctx):
    """Start kernel `name` --starts times, timing each to its kernel_info_reply; keep the last one running."""
    startups = []
    for i in range(args.starts):
        km = KernelManager(kernel_name=name)
        t0 = time.perf_counter()
        km.start_kernel()
        client = RawClient(km, ctx)
        try:
            client.kernel_info(timeout=args.startup_timeout)
        except BaseException:
            client.close()
            km.shutdown_kernel(now=True)
            raise
        startups.append(time.perf_counter() - t0)
        if i < args.starts - 1:
            client.close()
            km.shutdown_kernel(now=False)
    client.wait_iopub_connected()
    return km, client, startups


def series_stats(trips, marks):
    return {
        "round_trip_ms": [t * 1000 for t in trips],
        "round_trip_median_ms": statistics.median(trips) * 1000,
        "round_trip_p90_ms": percentile(trips, 90) * 1000,
        "round_trip_min_ms": min(trips) * 1000,
        "timeline_median_ms": {k: statistics.median(v) * 1000 for k, v in
                               sorted(marks.items(), key=lambda kv: statistics.median(kv[1]))},
    }


def run_benchmarks(args, ctx):
    """Start-ups one kernel after the other, then round trips interleaved in chunks of 10
    so that both kernels see the same machine load. Two series per kernel: the same trivial
    cell every time (--code, the goal) and a different trivial cell every time (--distinct,
    which defeats any cache of compiled cells). Returns (results by role, failed)."""
    running, startups, failed = {}, {}, False
    for role, name in (("kernel", args.kernel), ("baseline", args.baseline)):
        print(f"starting {name} {args.starts}x", file=sys.stderr, flush=True)
        try:
            km, client, startups[role] = start_and_time(name, args, ctx)
            running[role] = (name, km, client)
        except Exception as e:  # report and go on with the other kernel
            print(f"ERROR: could not start kernel {name!r}: {type(e).__name__}: {e}", file=sys.stderr)
            failed = True
    series = {"same": lambda i: args.code, "distinct": lambda i: args.distinct.format(i=i)}
    trips = {role: {sname: [] for sname in series} for role in running}
    marks = {role: {sname: {} for sname in series} for role in running}
    alive = set(running)
    try:
        print(f"round trips per kernel: {args.warmup} warm-up + {args.n} measured executes of {args.code!r}, "
              f"and as many of {args.distinct!r} with i = 1, 2, ...", file=sys.stderr, flush=True)
        for role in list(alive):
            name, km, client = running[role]
            try:
                for i in range(args.warmup):
                    client.execute_round_trip(args.code)
                    client.execute_round_trip(args.distinct.format(i=-1 - i))
            except Exception as e:
                print(f"ERROR: kernel {name!r} failed warm-up: {type(e).__name__}: {e}", file=sys.stderr)
                failed = True
                alive.discard(role)
        for sname, make in series.items():
            while any(len(trips[r][sname]) < args.n for r in alive):
                for role in sorted(alive):
                    name, km, client = running[role]
                    try:
                        for _ in range(min(10, args.n - len(trips[role][sname]))):
                            i = len(trips[role][sname]) + 1
                            trips[role][sname].append(client.execute_round_trip(make(i)))
                            for kind, t in client.last_marks.items():
                                marks[role][sname].setdefault(kind, []).append(t)
                    except Exception as e:
                        print(f"ERROR: kernel {name!r} failed an execute: {type(e).__name__}: {e}", file=sys.stderr)
                        failed = True
                        alive.discard(role)
    finally:
        for name, km, client in running.values():
            client.close()
            if km.has_kernel:
                km.shutdown_kernel(now=False)
    results = {}
    for role in alive:
        name = running[role][0]
        results[role] = {
            "kernel": name,
            "startup_s": startups[role],
            "startup_median_s": statistics.median(startups[role]),
            **{sname: series_stats(trips[role][sname], marks[role][sname]) for sname in series},
        }
    return results, failed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", default="jlora", help="kernel under test (default jlora)")
    ap.add_argument("--baseline", default="python3", help="baseline kernel (default python3 = Debian ipykernel)")
    ap.add_argument("-n", type=int, default=200, help="measured executes per kernel (default 200)")
    ap.add_argument("--warmup", type=int, default=50, help="unmeasured executes first (default 50)")
    ap.add_argument("--starts", type=int, default=3, help="kernel starts timed per kernel (default 3)")
    ap.add_argument("--code", default="1+1", help="the trivial cell, run every time (default 1+1)")
    ap.add_argument("--distinct", default="{i} + 1",
                    help="a trivial cell made different each time by formatting in a counter i (default '{i} + 1')")
    ap.add_argument("--startup-timeout", type=float, default=60.0)
    ap.add_argument("--json", help="also write all figures to this JSON file")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a goal is missed")
    args = ap.parse_args(argv)

    ctx = zmq.Context()
    results, failed = run_benchmarks(args, ctx)

    k, b = results.get("kernel"), results.get("baseline")

    def get(r, path):
        for part in path.split("."):
            r = r[part]
        return r

    rows = [("start-up median (s)", "startup_median_s", "{:.3f}")]
    for sname, label in (("same", args.code), ("distinct", args.distinct)):
        rows += [
            (f"[{label}] median (ms)", f"{sname}.round_trip_median_ms", "{:.2f}"),
            (f"[{label}] p90 (ms)", f"{sname}.round_trip_p90_ms", "{:.2f}"),
            (f"[{label}] min (ms)", f"{sname}.round_trip_min_ms", "{:.2f}"),
        ]
    lw = max(len(r[0]) for r in rows)
    w = max(len(args.kernel), len(args.baseline), 10)
    print(f"\n{'':<{lw}} {args.kernel:>{w}} {args.baseline:>{w}} {'ratio':>7}")
    for label, key, fmt in rows:
        kv = fmt.format(get(k, key)) if k else "n/a"
        bv = fmt.format(get(b, key)) if b else "n/a"
        ratio = f"{get(k, key) / get(b, key):.2f}x" if k and b and get(b, key) else "n/a"
        print(f"{label:<{lw}} {kv:>{w}} {bv:>{w}} {ratio:>7}")
    for r in (k, b):
        if r:
            print(f"start-up runs, {r['kernel']} (s): " + ", ".join(f"{s:.3f}" for s in r["startup_s"]))
    for r in (k, b):
        for sname, label in (("same", args.code), ("distinct", args.distinct)):
            if r:
                print(f"timeline of [{label}] on {r['kernel']} (median ms after sending): "
                      + ", ".join(f"{kind} {t:.1f}" for kind, t in r[sname]["timeline_median_ms"].items()))

    goals_ok = True
    print()
    if k and b:
        km_, bm_ = k["same"]["round_trip_median_ms"], b["same"]["round_trip_median_ms"]
        ratio = km_ / bm_
        ok = ratio <= ROUND_TRIP_RATIO_GOAL
        goals_ok &= ok
        print(f"{'PASS' if ok else 'FAIL'}: round trip median of {args.code!r} {km_:.2f} ms is {ratio:.2f}x "
              f"{args.baseline}'s {bm_:.2f} ms (goal <= {ROUND_TRIP_RATIO_GOAL}x)")
        dk, db = k["distinct"]["round_trip_median_ms"], b["distinct"]["round_trip_median_ms"]
        print(f"info: with a different cell each time ({args.distinct!r}) the median is {dk:.2f} ms vs {db:.2f} ms, "
              f"{dk / db:.2f}x (not a goal; shows the cost of compiling a new cell)")
    else:
        goals_ok = False
        print("FAIL: round trip ratio not measured")
    if k:
        ok = k["startup_median_s"] < STARTUP_GOAL_S
        goals_ok &= ok
        print(f"{'PASS' if ok else 'FAIL'}: start-up median {k['startup_median_s']:.3f} s (goal < {STARTUP_GOAL_S:.0f} s)")
    else:
        goals_ok = False
        print("FAIL: start-up not measured")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results, "goals_ok": goals_ok}, f, indent=2)
    ctx.term()
    if failed:
        return 2
    if args.strict and not goals_ok:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
