"""Kernel hardening, through real Jupyter clients: message authentication on every channel
that receives messages, the address the kernel binds, what the connection file's key and
signature scheme mean, and cells that run out of memory or call System.exit.

Channels: shell, control and stdin receive signed messages and are tested here. IOPub is
publish-only (a client can only subscribe). The heartbeat channel echoes raw bytes and the
wire protocol does not sign it: anyone who can reach it learns only that the kernel is alive.

Every dropped message is proven to have had no effect: the forged or replayed request would
have set a variable, written a file, interrupted a cell or shut the kernel down, and a valid
request afterwards checks that it did not happen.
"""
import ipaddress
import json
import os
import subprocess
import time
from contextlib import contextmanager
from queue import Empty

import pytest
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.session import Session

from kernel_harness import (
    KERNEL_NAME,
    STARTUP_TIMEOUT,
    collect,
    drain,
    execute,
    parent_id,
    start_kernel,
    stop_kernel,
    wait_iopub,
    wait_reply,
)

#: how long we listen for a reply that must never come
SILENCE_WINDOW = 2.5
CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
FORGERIES = [b"definitely-not-the-kernel-key", b""]
FORGERY_IDS = ["wrong-key", "unsigned"]


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_kernel(KERNEL_NAME)
    yield km, kc
    stop_kernel(km, kc)


@pytest.fixture
def fresh_kernel():
    km, kc = start_kernel(KERNEL_NAME)
    yield km, kc
    stop_kernel(km, kc, now=True)


def _forger(kc, key: bytes) -> Session:
    """A client that knows everything about the session except its key."""
    return Session(key=key, session=kc.session.session, username=kc.session.username)


def _send(session: Session, socket, msg_type: str, content: dict) -> str:
    msg = session.msg(msg_type, content=content)
    session.send(socket, msg)
    return msg["header"]["msg_id"]


def _execute_content(code: str, allow_stdin: bool = False) -> dict:
    return dict(code=code, silent=False, store_history=True, user_expressions={},
                allow_stdin=allow_stdin, stop_on_error=True)


def _assert_unanswered(kc, msg_id: str, seconds: float = SILENCE_WINDOW) -> None:
    """Nothing on any channel may answer or report on msg_id for `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for get in (kc.get_shell_msg, kc.get_iopub_msg, kc.get_control_msg):
            try:
                msg = get(timeout=0.05)
            except Empty:
                continue
            assert parent_id(msg) != msg_id, f"the kernel acted on a dropped message: {msg['header']['msg_type']}"


def _java_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of a plain path is a valid Java string literal


def _wait_input_request(kc, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kc.get_stdin_msg(timeout=0.2)
        except Empty:
            continue
        if msg["header"]["msg_type"] == "input_request":
            return msg
    raise AssertionError(f"no input_request within {timeout:.0f}s")


# --------------------------------------------------------------------------- shell


@pytest.mark.parametrize("key", FORGERIES, ids=FORGERY_IDS)
def test_shell_drops_forged_execute_request(kernel, key, tmp_path):
    _, kc = kernel
    drain(kc)
    marker = tmp_path / "forged-shell"
    name = "forgedShell" + ("Unsigned" if not key else "WrongKey")
    code = f"int {name} = 1;\nFiles.writeString(Path.of({_java_string(str(marker))}), \"ran\");"
    forged = _send(_forger(kc, key), kc.shell_channel.socket, "execute_request", _execute_content(code))
    _assert_unanswered(kc, forged)
    # the kernel still serves, and the forged cell never ran
    assert execute(kc, "1+1").assert_ok().text == "2"
    assert execute(kc, name).status == "error", f"{name} was defined by a forged request"
    assert not marker.exists(), "a forged request wrote a file"


def test_shell_drops_replayed_execute_request(kernel, tmp_path):
    _, kc = kernel
    drain(kc)
    marker = tmp_path / "replayed-shell"
    execute(kc, "int replayCount = 0;").assert_ok()
    code = ("replayCount++;\nFiles.writeString(Path.of(" + _java_string(str(marker)) + "), \"x\", "
            "StandardOpenOption.CREATE, StandardOpenOption.APPEND);")
    msg = kc.session.msg("execute_request", content=_execute_content(code))
    frames = kc.session.serialize(msg)
    kc.shell_channel.socket.send_multipart(frames)
    collect(kc, msg["header"]["msg_id"], code).assert_ok()
    drain(kc)
    kc.shell_channel.socket.send_multipart(frames)  # the same bytes, signature and all
    _assert_unanswered(kc, msg["header"]["msg_id"])
    assert execute(kc, "replayCount").assert_ok().text == "1", "the replay ran the cell again"
    assert marker.read_text() == "x"


# --------------------------------------------------------------------------- control


@pytest.mark.parametrize("key", FORGERIES, ids=FORGERY_IDS)
def test_control_drops_forged_shutdown_and_interrupt(kernel, key):
    km, kc = kernel
    drain(kc)
    forger = _forger(kc, key)
    shutdown = _send(forger, kc.control_channel.socket, "shutdown_request", {"restart": False})
    _assert_unanswered(kc, shutdown)
    assert km.is_alive(), "a forged shutdown_request stopped the kernel"
    # a forged interrupt must not stop a running cell
    running = kc.execute("Thread.sleep(2500);\n42")
    time.sleep(0.8)
    interrupt = _send(forger, kc.control_channel.socket, "interrupt_request", {})
    res = collect(kc, running, "sleep")
    assert res.status == "ok" and res.text == "42", f"a forged interrupt reached the cell: {res.describe()}"
    _assert_unanswered(kc, interrupt, seconds=0.5)


def test_control_drops_replayed_interrupt(kernel):
    _, kc = kernel
    drain(kc)
    msg = kc.session.msg("interrupt_request", content={})
    frames = kc.session.serialize(msg)
    kc.control_channel.socket.send_multipart(frames)  # valid while idle: answered, interrupts nothing
    wait_reply(kc, msg["header"]["msg_id"], channel="control")
    running = kc.execute("Thread.sleep(2500);\n43")
    time.sleep(0.8)
    kc.control_channel.socket.send_multipart(frames)
    res = collect(kc, running, "sleep")
    assert res.status == "ok" and res.text == "43", f"a replayed interrupt reached the cell: {res.describe()}"
    _assert_unanswered(kc, msg["header"]["msg_id"], seconds=0.5)


# --------------------------------------------------------------------------- stdin

READ_TWO_LINES = ('var rd = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));\n'
                  'String a = rd.readLine();\nString b = rd.readLine();\nSystem.out.println("got:" + a + "+" + b);')


def test_stdin_drops_forged_and_replayed_input_replies(kernel):
    _, kc = kernel
    drain(kc)
    msg_id = kc.execute(READ_TWO_LINES, allow_stdin=True)
    _wait_input_request(kc)
    for key in FORGERIES:
        _send(_forger(kc, key), kc.stdin_channel.socket, "input_reply", {"value": "FORGED"})
    time.sleep(1.0)
    first = kc.session.msg("input_reply", content={"value": "one"})
    frames = kc.session.serialize(first)
    kc.stdin_channel.socket.send_multipart(frames)
    _wait_input_request(kc)
    kc.stdin_channel.socket.send_multipart(frames)  # a replay of the first answer
    time.sleep(1.0)
    kc.input("two")
    res = collect(kc, msg_id, READ_TWO_LINES).assert_ok()
    assert "got:one+two" in res.stdout, f"a forged or replayed input_reply was read: {res.describe()}"


# --------------------------------------------------------------------------- addresses and the connection file


def _address(table: str, hex_host: str) -> str:
    """The address of a /proc/net/tcp[6] entry; an IPv4-mapped IPv6 one (Java's sockets) as plain IPv4."""
    if table == "tcp":
        return str(ipaddress.IPv4Address(bytes.fromhex(hex_host)[::-1]))
    raw = b"".join(bytes.fromhex(hex_host[i:i + 8])[::-1] for i in range(0, 32, 8))
    v6 = ipaddress.IPv6Address(raw)
    return str(v6.ipv4_mapped or v6)


def _listeners(port: int) -> list:
    """The local address of every listening TCP socket on `port`, IPv4 and IPv6."""
    found = []
    for table in ("tcp", "tcp6"):
        try:
            lines = open(f"/proc/net/{table}").read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            host, hex_port = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(_address(table, host))
    return found


def test_every_port_is_bound_on_the_files_ip_only(kernel):
    km, _ = kernel
    info = km.get_connection_info()
    assert info["ip"] == "127.0.0.1"
    for channel in CHANNELS:
        assert _listeners(info[channel]) == ["127.0.0.1"], \
            f"{channel} {info[channel]} listens on {_listeners(info[channel])}, not only 127.0.0.1"


@contextmanager
def _launched(tmp_path, ip="127.0.0.1", key=b"a-test-key", scheme="hmac-sha256", jvm_options=()):
    """Starts the installed kernelspec's command on a connection file of our own; yields (process, file, log)."""
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    connection = str(tmp_path / "connection.json")
    write_connection_file(connection, ip=ip, key=key, signature_scheme=scheme)
    argv = [a.replace("{connection_file}", connection) for a in spec.argv]
    argv[1:1] = list(jvm_options)
    log_path = tmp_path / "kernel.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **spec.env})
    try:
        yield process, connection, log_path
    finally:
        process.kill()
        process.wait(timeout=30)


@contextmanager
def _client(connection):
    kc = BlockingKernelClient(connection_file=connection)
    kc.load_connection_file()
    # no heartbeat channel: without a KernelManager, the client would call a JVM that is still
    # starting dead after one second; wait_for_ready's own timeout is the limit
    kc.start_channels(hb=False)
    try:
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        yield kc
    finally:
        kc.stop_channels()


def test_wildcard_ip_in_the_file_is_what_the_kernel_binds_with_a_warning(tmp_path):
    with _launched(tmp_path, ip="0.0.0.0") as (process, connection, log):
        info = json.loads(open(connection).read())
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and not all(_listeners(info[c]) for c in CHANNELS):
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        for channel in CHANNELS:
            assert _listeners(info[channel]) in (["0.0.0.0"], ["::"]), f"{channel}: {_listeners(info[channel])}"
        assert "asks for ip 0.0.0.0" in log.read_text() and "other hosts" in log.read_text(), log.read_text()


def test_empty_key_means_unsigned_messages_with_a_warning(tmp_path):
    """Jupyter's rule, kept: an empty key turns signing off. The kernel says so at start-up."""
    with _launched(tmp_path, key=b"") as (_, connection, log):
        with _client(connection) as kc:
            assert kc.session.key == b""
            assert execute(kc, "6*7").assert_ok().text == "42"
        text = log.read_text()
        assert "WARNING" in text and "empty key" in text and "not signed" in text, text


def test_unknown_signature_scheme_is_refused_by_name(tmp_path):
    with _launched(tmp_path, scheme="hmac-sha3-999") as (process, connection, log):
        status = process.wait(timeout=STARTUP_TIMEOUT)
        text = log.read_text()
        assert status == 2, text
        assert "unsupported signature_scheme 'hmac-sha3-999'" in text and connection in text, text
        assert "hmac-sha256" in text, "the message lists what is supported"


def test_sha512_scheme_works(tmp_path):
    with _launched(tmp_path, scheme="hmac-sha512") as (_, connection, _log):
        with _client(connection) as kc:
            assert kc.session.signature_scheme == "hmac-sha512"
            assert execute(kc, "1+2").assert_ok().text == "3"


# --------------------------------------------------------------------------- resource errors


def test_out_of_memory_is_reported_and_the_kernel_recovers(tmp_path):
    with _launched(tmp_path, jvm_options=["-Xmx384m"]) as (process, connection, log):
        with _client(connection) as kc:
            fill = "List<long[]> hog = new ArrayList<>();\nwhile (true) hog.add(new long[1 << 20]);"
            res = execute(kc, fill, timeout=180)
            assert res.status == "error" and res.content["ename"] == "OutOfMemoryError", res.describe()
            tb = res.traceback
            assert "Java heap space" in tb and "still running" in tb, tb
            assert "set to null to free their memory: hog." in tb, tb
            assert "-Xmx" in tb and "install-kernel --jvm-option" in tb, tb
            assert [e["ename"] for e in res.errors] == ["OutOfMemoryError"]
            # what the cell held is free again: 160 MB more fits into the 384 MB heap only if hog's is gone
            assert execute(kc, "hog == null").assert_ok().text == "true"
            refill = "List<long[]> again = new ArrayList<>();\nfor (int i = 0; i < 20; i++) again.add(new long[1 << 20]);\nagain.size()"
            assert execute(kc, refill, timeout=60).assert_ok().text == "20"
            # a large array declared in a cell costs its own size, not a string of every element besides
            assert execute(kc, "again = null;\nlong[] big = new long[20_000_000];\nbig.length", timeout=60).assert_ok().text == "20000000"
            huge = execute(kc, "new long[Integer.MAX_VALUE]")
            assert huge.content["ename"] == "OutOfMemoryError" and "2^31" in huge.traceback, huge.describe()
            assert execute(kc, "1+1").assert_ok().text == "2"
        assert process.poll() is None, log.read_text()


@pytest.mark.parametrize("call, shown", [
    ("System.exit(3);", "System.exit(3)"),
    ("Runtime.getRuntime().exit(4);", "Runtime.exit(4)"),
    ("Runtime.getRuntime().halt(5);", "Runtime.halt(5)"),
    ("java.util.function.IntConsumer quit = System::exit;\nquit.accept(6);", "System.exit(6)"),
])
def test_exit_in_a_cell_is_refused_and_the_kernel_stays_up(kernel, call, shown):
    km, kc = kernel
    drain(kc)
    res = execute(kc, call)
    assert res.status == "error" and res.content["ename"] == "ExitCalledInCell", res.describe()
    assert res.content["evalue"] == f"{shown} called in a cell: the kernel stays up; use the Restart command to restart it"
    assert "at io.jlora" not in res.traceback, res.traceback
    assert execute(kc, "2+2").assert_ok().text == "4"
    assert km.is_alive()


def test_exit_from_code_the_kernel_did_not_rewrite_is_announced(fresh_kernel):
    """System.exit reached through reflection (as library code would) ends the kernel, but not silently."""
    km, kc = fresh_kernel
    code = 'System.out.println("before");\nSystem.class.getMethod("exit", int.class).invoke(null, 7);'
    msg_id = kc.execute(code)
    said = wait_iopub(kc, msg_id, lambda m: m["header"]["msg_type"] == "stream"
                      and "The kernel is exiting" in m["content"]["text"], timeout=60)
    assert said is not None, "the kernel died without a word on IOPub"
    text = said["content"]["text"]
    assert said["content"]["name"] == "stderr" and "System.exit was called by a cell (through reflection)" in text, text
    process = km.provisioner.process
    assert process.wait(timeout=30) == 7, "the exit status the code asked for"
