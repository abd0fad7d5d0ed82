"""jlora through jupyter_client (KernelManager / BlockingKernelClient): interrupts in
message and signal mode, stdin, display updates, restart, shutdown, HMAC checking,
error reporting."""
import re
import time
from queue import Empty

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.session import Session

from kernel_harness import (
    KERNEL_NAME,
    SIGNAL_KERNEL_NAME,
    TIMEOUT,
    drain,
    execute,
    parent_id,
    start_kernel,
    stop_kernel,
    wait_iopub,
    wait_reply,
)

#: how long an interrupted cell may take to answer (the contract says ~1 s)
INTERRUPT_REPLY_WITHIN = 5.0
#: how long we listen for a reply that must never come
SILENCE_WINDOW = 3.0

# frames that belong to the kernel / JShell machinery, never to be shown to the user
KERNEL_FRAME_MARKERS = (
    "io.jlora",
    "jdk.jshell",
    "jdk.internal.reflect",
    "java.lang.reflect.Method",
    "org.dflib.jjava",
    "org.zeromq",
)


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_kernel(KERNEL_NAME)
    yield km, kc
    stop_kernel(km, kc)


@pytest.fixture(scope="module")
def signal_kernel():
    km, kc = start_kernel(SIGNAL_KERNEL_NAME)
    yield km, kc
    stop_kernel(km, kc)


@pytest.fixture(params=["message", "signal"])
def any_mode_kernel(request):
    fixture = "kernel" if request.param == "message" else "signal_kernel"
    km, kc = request.getfixturevalue(fixture)
    drain(kc)
    return km, kc


@pytest.fixture
def fresh_kernel():
    km, kc = start_kernel(KERNEL_NAME)
    yield km, kc
    stop_kernel(km, kc, now=True)


# --------------------------------------------------------------------------- kernelspecs


def test_kernelspecs_installed():
    ksm = KernelSpecManager()
    spec = ksm.get_kernel_spec(KERNEL_NAME)
    assert spec.language == "java"
    assert spec.display_name == "Java (jlora)"
    assert spec.interrupt_mode == "message"
    sig = ksm.get_kernel_spec(SIGNAL_KERNEL_NAME)
    assert sig.language == "java"
    assert sig.interrupt_mode == "signal"


# --------------------------------------------------------------------------- basics


def test_kernel_info(kernel):
    _, kc = kernel
    msg_id = kc.kernel_info()
    content = wait_reply(kc, msg_id)["content"]
    assert content["status"] == "ok"
    li = content["language_info"]
    assert (li["name"], li["file_extension"], li["mimetype"]) == ("java", ".java", "text/x-java-source")


def test_state_persists_across_cells(kernel):
    _, kc = kernel
    execute(kc, "int persisted = 20;\nString greet(String n) { return \"hi \" + n; }").assert_ok()
    res = execute(kc, "persisted + 22").assert_ok()
    assert res.text == "42"
    res = execute(kc, 'System.out.println(greet("there"));').assert_ok()
    assert "hi there" in res.stdout


def test_stdout_streams_while_cell_runs(kernel):
    """The first line must reach the client while the cell still sleeps, not at the end."""
    _, kc = kernel
    res = execute(
        kc,
        'System.out.println("first");\nThread.sleep(1500);\nSystem.err.println("second");\nSystem.out.println("third");',
    ).assert_ok()
    streams = res.of_type("stream")
    first = next((m for m in streams if "first" in m["content"]["text"]), None)
    second = next((m for m in streams if "second" in m["content"]["text"]), None)
    assert first is not None and second is not None, res.describe()
    assert first["content"]["name"] == "stdout" and second["content"]["name"] == "stderr"
    assert second["_t"] - first["_t"] > 0.8, (
        f"'first' arrived only {second['_t'] - first['_t']:.2f}s before 'second': stdout is not streamed while the cell runs"
    )
    assert "third" in res.stdout


# --------------------------------------------------------------------------- interrupt

BUSY_LOOP = 'System.out.println("spinning");\nwhile (true) { }'
SLEEP = 'System.out.println("sleeping");\nThread.sleep(100000);'


def _interrupt_and_check(km, kc, code, marker):
    execute(kc, "int survivor = 41;").assert_ok()
    msg_id = kc.execute(code)
    # let the cell get going: wait for its marker line (bounded; interrupt anyway if streaming is broken)
    wait_iopub(kc, msg_id, lambda m: m["header"]["msg_type"] == "stream" and marker in m["content"]["text"], 10)
    t0 = time.monotonic()
    km.interrupt_kernel()
    try:
        reply = wait_reply(kc, msg_id, timeout=INTERRUPT_REPLY_WITHIN)
    except AssertionError:
        pytest.fail(f"no execute_reply within {INTERRUPT_REPLY_WITHIN}s of interrupting {code!r}")
    elapsed = time.monotonic() - t0
    assert reply["content"]["status"] in ("error", "abort", "aborted"), reply["content"]
    assert wait_iopub(kc, msg_id, lambda m: m["header"]["msg_type"] == "status"
                      and m["content"]["execution_state"] == "idle", TIMEOUT), "no idle after the interrupt"
    # still usable, and the interrupt did not restart it
    assert execute(kc, "1+1").assert_ok().text == "2"
    assert execute(kc, "survivor + 1").assert_ok().text == "42"
    return elapsed


def test_interrupt_busy_loop(any_mode_kernel):
    km, kc = any_mode_kernel
    elapsed = _interrupt_and_check(km, kc, BUSY_LOOP, "spinning")
    print(f"interrupt of busy loop answered in {elapsed:.2f}s")


def test_interrupt_sleep(any_mode_kernel):
    km, kc = any_mode_kernel
    elapsed = _interrupt_and_check(km, kc, SLEEP, "sleeping")
    print(f"interrupt of sleep answered in {elapsed:.2f}s")


def test_interrupt_idle_kernel_is_harmless(any_mode_kernel):
    """Interrupting an idle kernel must not kill it nor be held over to the next cell."""
    km, kc = any_mode_kernel
    if km.kernel_spec.interrupt_mode == "message":
        msg = kc.session.msg("interrupt_request", content={})
        kc.control_channel.send(msg)
        reply = wait_reply(kc, msg["header"]["msg_id"], channel="control")
        assert reply["content"]["status"] == "ok", reply["content"]
    else:
        km.interrupt_kernel()
        time.sleep(1.0)  # SIGINT has no acknowledgement message; let the kernel take it while idle
    assert km.is_alive()
    assert execute(kc, "2+2").assert_ok().text == "4"


# --------------------------------------------------------------------------- stdin


def test_stdin_scanner_line(kernel):
    _, kc = kernel
    res = execute(
        kc,
        'String line = new java.util.Scanner(System.in).nextLine();\nSystem.out.println("got:" + line);',
        stdin_handler=lambda req: "hello stdin",
    ).assert_ok()
    assert len(res.stdin_requests) == 1, res.describe()
    req = res.stdin_requests[0]["content"]
    assert isinstance(req["prompt"], str) and req.get("password") in (False, 0)
    assert "got:hello stdin" in res.stdout, res.describe()


def test_stdin_two_reads(kernel):
    _, kc = kernel
    answers = iter(["alpha", "beta"])
    res = execute(
        kc,
        "var rd = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));\n"
        "String a = rd.readLine();\n"
        "String b = rd.readLine();\n"
        'System.out.println(a + "+" + b);',
        stdin_handler=lambda req: next(answers),
    ).assert_ok()
    assert len(res.stdin_requests) == 2, res.describe()
    assert "alpha+beta" in res.stdout, res.describe()


def test_stdin_without_allow_stdin_does_not_hang(kernel):
    """Notebook runners (nbclient) send allow_stdin=false: reading System.in must end (EOF or an
    error), never wait forever for an input_reply nobody will send."""
    _, kc = kernel
    res = execute(kc, "new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine()",
                  allow_stdin=False, timeout=15)
    assert res.status in ("ok", "error"), res.describe()
    with pytest.raises(Empty):
        req = kc.get_stdin_msg(timeout=0.2)
        pytest.fail(f"kernel sent {req['header']['msg_type']} although allow_stdin was false")
    assert execute(kc, "5+5").assert_ok().text == "10"


# --------------------------------------------------------------------------- displays


def test_display_and_update_display(kernel):
    _, kc = kernel
    res = execute(kc, 'String did = display(markdown("**v1**"));\nSystem.out.println("id=" + did);').assert_ok()
    assert len(res.displays) == 1, res.describe()
    shown = res.displays[0]
    display_id = shown.get("transient", {}).get("display_id")
    assert isinstance(display_id, str) and display_id, shown
    assert shown["data"].get("text/markdown") == "**v1**"
    assert f"id={display_id}" in res.stdout, f"display() returned {res.stdout!r}, transient display_id is {display_id!r}"

    upd = execute(kc, 'updateDisplay(did, markdown("**v2**"));').assert_ok()
    updates = upd.of_type("update_display_data")
    assert len(updates) == 1, upd.describe()
    assert updates[0]["content"]["transient"]["display_id"] == display_id
    assert updates[0]["content"]["data"].get("text/markdown") == "**v2**"
    assert upd.displays == [], "updateDisplay must not create a new display"


def test_display_with_explicit_id(kernel):
    _, kc = kernel
    res = execute(kc, 'display(html("<i>a</i>"), "jlora-fixed-id");').assert_ok()
    assert [d["transient"]["display_id"] for d in res.displays] == ["jlora-fixed-id"], res.describe()
    upd = execute(kc, 'updateDisplay("jlora-fixed-id", html("<i>b</i>"));').assert_ok()
    updates = upd.of_type("update_display_data")
    assert len(updates) == 1, upd.describe()
    assert updates[0]["content"]["transient"]["display_id"] == "jlora-fixed-id"
    assert updates[0]["content"]["data"].get("text/html") == "<i>b</i>"


# --------------------------------------------------------------------------- errors


def test_compile_error_shows_diagnostic_and_line(kernel):
    _, kc = kernel
    res = execute(kc, "int fine = 1;\nString s = 42;")
    assert res.status == "error", res.describe()
    assert res.content["ename"] == "CompilationException", res.describe()
    tb = res.traceback + "\n" + res.content["evalue"]
    assert "incompatible types" in tb, res.describe()
    assert "String s = 42" in tb, f"the offending source line is not shown:\n{tb}"
    errors = res.errors
    assert len(errors) == 1 and errors[0]["ename"] == "CompilationException", res.describe()


def test_compile_error_unknown_symbol(kernel):
    _, kc = kernel
    res = execute(kc, "int a = 1;\nint b = noSuchThing(a);")
    assert res.status == "error" and res.content["ename"] == "CompilationException", res.describe()
    tb = res.traceback + "\n" + res.content["evalue"]
    assert "cannot find symbol" in tb and "noSuchThing" in tb, tb


def test_runtime_exception_traceback_is_user_code(kernel):
    _, kc = kernel
    code = (
        "int base = 10;\n"
        "// a helper that throws three frames down\n"
        "int depth(int n) {\n"
        '    if (n == 0) throw new IllegalStateException("bottom " + base);\n'
        "    return depth(n - 1);\n"
        "}\n"
        "depth(2)"
    )
    res = execute(kc, code)
    assert res.status == "error", res.describe()
    assert res.content["ename"] == "IllegalStateException", res.describe()
    assert "bottom 10" in res.content["evalue"]
    tb = res.traceback
    assert "IllegalStateException" in tb and "bottom 10" in tb, tb
    user_line = ('throw new IllegalStateException("bottom " + base)' in tb
                 or re.search(r"(?i)\bline\s*4\b", tb) or re.search(r":4\)", tb))
    assert user_line, f"traceback does not point at cell line 4:\n{tb}"
    leaked = [ln for ln in tb.splitlines() if any(k in ln for k in KERNEL_FRAME_MARKERS)]
    assert not leaked, "kernel frames in the traceback:\n" + "\n".join(leaked)
    assert len(res.errors) == 1 and res.errors[0]["ename"] == "IllegalStateException"
    # the kernel is fine afterwards
    assert execute(kc, "base * 2").assert_ok().text == "20"


# --------------------------------------------------------------------------- HMAC


def _send_forged(kc, key: bytes, code: str) -> str:
    forger = Session(key=key, session=kc.session.session, username=kc.session.username)
    msg = forger.msg(
        "execute_request",
        content=dict(code=code, silent=False, store_history=True, user_expressions={},
                     allow_stdin=False, stop_on_error=True),
    )
    forger.send(kc.shell_channel.socket, msg)
    return msg["header"]["msg_id"]


@pytest.mark.parametrize("key", [b"definitely-not-the-kernel-key", b""], ids=["wrong-key", "unsigned"])
def test_bad_hmac_is_dropped(kernel, key):
    _, kc = kernel
    drain(kc)
    forged = _send_forged(kc, key, 'int hmacProbe = 1;\nSystem.out.println("FORGED-RAN");')
    deadline = time.monotonic() + SILENCE_WINDOW
    while time.monotonic() < deadline:
        for get in (kc.get_shell_msg, kc.get_iopub_msg):
            try:
                msg = get(timeout=0.1)
            except Empty:
                continue
            assert parent_id(msg) != forged, f"kernel answered a badly signed message: {msg['header']['msg_type']}"
            if msg["header"]["msg_type"] == "stream":
                assert "FORGED-RAN" not in msg["content"]["text"]
    # a well-signed request still works, and the forged code never ran
    assert execute(kc, "1+1").assert_ok().text == "2"
    res = execute(kc, "hmacProbe")
    assert res.status == "error", f"forged cell was executed: {res.describe()}"


# --------------------------------------------------------------------------- lifecycle


def _pid(km):
    prov = getattr(km, "provisioner", None)
    proc = getattr(prov, "process", None) or getattr(km, "kernel", None)
    return getattr(proc, "pid", None)


def test_restart_clears_state(fresh_kernel):
    km, kc = fresh_kernel
    execute(kc, "int restartProbe = 7;").assert_ok()
    assert execute(kc, "restartProbe").assert_ok().text == "7"
    old_pid = _pid(km)
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=60)
    assert km.is_alive()
    if old_pid is not None:
        assert _pid(km) != old_pid
    drain(kc)
    res = execute(kc, "restartProbe")
    assert res.status == "error" and res.content["ename"] == "CompilationException", res.describe()
    assert execute(kc, "1+1").assert_ok().text == "2"
    assert execute(kc, "int again = 3; again * 3").assert_ok().text == "9"


def test_shutdown_request_exits_process(fresh_kernel):
    km, kc = fresh_kernel
    assert execute(kc, "1+1").assert_ok().text == "2"
    msg_id = kc.shutdown()
    reply = wait_reply(kc, msg_id, timeout=TIMEOUT, channel="control")
    assert reply["content"]["status"] == "ok"
    assert reply["content"].get("restart") is False
    deadline = time.monotonic() + 15
    while km.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not km.is_alive(), "kernel process still running 15 s after shutdown_reply"
