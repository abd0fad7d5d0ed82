"""Shared helpers for the jlora end-to-end tests (real jupyter_client, no mocks).

Kernel names come from the environment so the harness itself can be checked
against other kernels:  JLORA_KERNEL (default "jlora", message interrupt mode)
and JLORA_SIGNAL_KERNEL (default "jlora-signal", signal interrupt mode).
tests/run-e2e installs both specs and exports JUPYTER_PATH.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from queue import Empty
from typing import Callable, Optional

from jupyter_client.manager import KernelManager
from jupyter_kernel_test.msgspec_v5 import validate_message

KERNEL_NAME = os.environ.get("JLORA_KERNEL", "jlora")
SIGNAL_KERNEL_NAME = os.environ.get("JLORA_SIGNAL_KERNEL", "jlora-signal")

#: generous per-request timeout (seconds); JShell compiles the first cells slowly
TIMEOUT = float(os.environ.get("JLORA_E2E_TIMEOUT", "30"))
#: kernel start-up timeout (JVM start + first kernel_info reply)
STARTUP_TIMEOUT = float(os.environ.get("JLORA_E2E_STARTUP_TIMEOUT", "60"))

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def start_kernel(name: str = KERNEL_NAME, startup_timeout: float = STARTUP_TIMEOUT, **launch):
    """Start kernel `name`, return (KernelManager, BlockingKernelClient) once it answers kernel_info.

    `launch` goes to KernelManager.start_kernel: env= (the whole environment, the spec's env on top),
    stderr= (a file for the kernel process's own stderr), cwd=."""
    km = KernelManager(kernel_name=name)
    km.shutdown_wait_time = 5.0
    km.start_kernel(**launch)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=startup_timeout)
    except BaseException:
        stop_kernel(km, kc, now=True)
        raise
    return km, kc


def stop_kernel(km, kc, now: bool = False) -> None:
    try:
        kc.stop_channels()
    finally:
        try:
            if km.has_kernel:
                km.shutdown_kernel(now=now)
        except Exception:  # the test already failed or the kernel is gone; don't mask it
            try:
                km.shutdown_kernel(now=True)
            except Exception:
                pass


def drain(kc, seconds: float = 0.05) -> list:
    """Discard whatever is queued on iopub/shell/stdin (returns the discarded messages)."""
    out = []
    for get in (kc.get_iopub_msg, kc.get_shell_msg, kc.get_stdin_msg):
        while True:
            try:
                out.append(get(timeout=seconds))
            except Empty:
                break
    return out


def parent_id(msg) -> Optional[str]:
    return (msg.get("parent_header") or {}).get("msg_id")


def wait_reply(kc, msg_id: str, timeout: float = TIMEOUT, channel: str = "shell") -> dict:
    """The reply whose parent is msg_id on `channel`; AssertionError if none comes in `timeout` s."""
    get = {"shell": kc.get_shell_msg, "control": kc.get_control_msg}[channel]
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {channel} reply to {msg_id} within {timeout:.0f}s")
        try:
            msg = get(timeout=left)
        except Empty:
            continue
        if parent_id(msg) == msg_id:
            return msg


@dataclass
class Result:
    """Everything a kernel sent for one execute_request."""

    code: str
    reply: dict
    msgs: list = field(default_factory=list)  # iopub messages (minus status) in arrival order
    stdin_requests: list = field(default_factory=list)

    @property
    def content(self) -> dict:
        return self.reply["content"]

    @property
    def status(self) -> str:
        return self.content["status"]

    def of_type(self, msg_type: str) -> list:
        return [m for m in self.msgs if m["header"]["msg_type"] == msg_type]

    def stream(self, name: str) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == name)

    @property
    def stdout(self) -> str:
        return self.stream("stdout")

    @property
    def stderr(self) -> str:
        return self.stream("stderr")

    @property
    def results(self) -> list:
        return [m["content"] for m in self.of_type("execute_result")]

    @property
    def displays(self) -> list:
        return [m["content"] for m in self.of_type("display_data")]

    @property
    def errors(self) -> list:
        return [m["content"] for m in self.of_type("error")]

    @property
    def result_data(self) -> dict:
        res = self.results
        assert res, f"no execute_result for {self.code!r}; got {self.describe()}"
        return res[-1]["data"]

    @property
    def text(self) -> str:
        return self.result_data.get("text/plain", "")

    @property
    def traceback(self) -> str:
        return strip_ansi("\n".join(self.content.get("traceback") or []))

    def describe(self) -> str:
        parts = [f"reply status={self.content.get('status')!r}"]
        if self.content.get("status") == "error":
            parts.append(f"ename={self.content.get('ename')!r} evalue={self.content.get('evalue')!r}")
            parts.append("traceback:\n" + self.traceback)
        for m in self.msgs:
            parts.append(f"{m['header']['msg_type']}: {str(m['content'])[:300]}")
        return "\n  ".join(parts)

    def assert_ok(self) -> "Result":
        assert self.status == "ok", f"cell {self.code!r} failed: {self.describe()}"
        return self


def execute(
    kc,
    code: str,
    timeout: float = TIMEOUT,
    allow_stdin: bool = False,
    stdin_handler: Optional[Callable[[dict], str]] = None,
    store_history: bool = True,
    stop_on_error: bool = True,
) -> Result:
    """Run `code`, collect iopub output until the kernel goes idle, return it with the reply."""
    msg_id = kc.execute(
        code,
        allow_stdin=allow_stdin or stdin_handler is not None,
        store_history=store_history,
        stop_on_error=stop_on_error,
    )
    return collect(kc, msg_id, code, timeout=timeout, stdin_handler=stdin_handler)


def collect(kc, msg_id: str, code: str = "", timeout: float = TIMEOUT, stdin_handler=None) -> Result:
    deadline = time.monotonic() + timeout
    msgs, stdin_reqs = [], []
    idle = False
    while not idle:
        if time.monotonic() > deadline:
            got = ", ".join(m["header"]["msg_type"] for m in msgs) or "nothing"
            raise AssertionError(f"kernel not idle within {timeout:.0f}s after {code!r} (iopub so far: {got})")
        if stdin_handler is not None:
            try:
                req = kc.get_stdin_msg(timeout=0.02)
            except Empty:
                pass
            else:
                if req["header"]["msg_type"] == "input_request":
                    stdin_reqs.append(req)
                    kc.input(stdin_handler(req))
        try:
            msg = kc.get_iopub_msg(timeout=0.05 if stdin_handler else 0.5)
        except Empty:
            continue
        if parent_id(msg) != msg_id:
            continue
        validate_message(msg)
        msg["_t"] = time.monotonic()
        if msg["header"]["msg_type"] == "status":
            idle = msg["content"]["execution_state"] == "idle"
            continue
        msgs.append(msg)
    reply = wait_reply(kc, msg_id, timeout=max(1.0, deadline - time.monotonic()))
    validate_message(reply, "execute_reply", msg_id)
    return Result(code=code, reply=reply, msgs=msgs, stdin_requests=stdin_reqs)


def wait_iopub(kc, msg_id: str, pred: Callable[[dict], bool], timeout: float) -> Optional[dict]:
    """First iopub message from request msg_id satisfying pred within timeout, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=min(0.5, max(0.01, deadline - time.monotonic())))
        except Empty:
            continue
        if parent_id(msg) == msg_id and pred(msg):
            return msg
    return None


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes):
    """(width, height) of a PNG, asserting it is one."""
    assert data[:8] == PNG_MAGIC, f"not a PNG: {data[:16]!r}"
    assert data[12:16] == b"IHDR", "PNG without IHDR chunk first"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
