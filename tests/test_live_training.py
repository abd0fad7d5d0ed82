"""A training cell seen through jupyter_client: the plot updates in place while the cell runs, and an
interrupt in the middle of training stops it and leaves a usable adapter."""
import threading
from pathlib import Path

import pytest

from kernel_harness import KERNEL_NAME, TIMEOUT, collect, execute, start_kernel, stop_kernel

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "tiny-llama"
DATA = ROOT / "notebooks" / "data" / "jlora-facts.jsonl"


@pytest.fixture()
def trained_kernel():
    km, kc = start_kernel(KERNEL_NAME)
    execute(kc, f"%lora load --model {MODEL}", timeout=120).assert_ok()
    execute(kc, "%lora attach --lora-r 8 --lora-dropout 0").assert_ok()
    execute(kc, f"%lora data --file {DATA} --max-seq-length 64").assert_ok()
    yield km, kc
    stop_kernel(km, kc)


def test_plot_updates_in_place_before_the_cell_ends(trained_kernel):
    _, kc = trained_kernel
    res = execute(kc, "%lora train --steps 12 --lr 5e-3 --plot-every 2", timeout=300).assert_ok()
    displays = res.of_type("display_data")
    plot_ids = [d["content"]["transient"]["display_id"] for d in displays if "image/png" in d["content"]["data"]]
    assert len(plot_ids) == 1
    plot_updates = [m for m in res.of_type("update_display_data")
                    if m["content"]["transient"]["display_id"] == plot_ids[0] and "image/png" in m["content"]["data"]]
    assert len(plot_updates) >= 3
    # the updates arrived while the cell was running: before its result, which comes when training ends
    ended = res.of_type("execute_result")[0]["_t"]
    assert sum(1 for m in plot_updates if m["_t"] < ended) >= 3


def test_interrupt_mid_training_keeps_a_usable_adapter(trained_kernel):
    km, kc = trained_kernel
    msg_id = kc.execute("%lora train --steps 100000 --lr 5e-3")
    threading.Timer(6.0, km.interrupt_kernel).start()
    res = collect(kc, msg_id, timeout=120)
    assert res.status == "error" and res.content["ename"] == "InterruptedException"
    assert res.of_type("update_display_data"), "training never got going before the interrupt"
    after = execute(kc, '%lora generate --prompt "LoRA adds" --max-new-tokens 5 --json', timeout=60).assert_ok()
    assert after.result_data["application/json"]["ids"]
    more = execute(kc, "%lora step 2", timeout=120).assert_ok()
    assert "after 2 steps" in more.text


def test_compare_chart_updates_in_place_as_each_run_proceeds():
    km, kc = start_kernel(KERNEL_NAME)
    try:
        execute(kc, f"%lora load --model {MODEL}", timeout=120).assert_ok()
        execute(kc, f"%lora data --file {DATA} --max-seq-length 64").assert_ok()
        res = execute(kc, 'Lora.compare("r4,full", 6)', timeout=300).assert_ok()
        charts = [d["content"]["transient"]["display_id"] for d in res.of_type("display_data") if "image/png" in d["content"]["data"]]
        assert len(charts) == 1, "one chart for every run"
        updates = [m for m in res.of_type("update_display_data")
                   if m["content"]["transient"]["display_id"] == charts[0] and "image/png" in m["content"]["data"]]
        assert len(updates) >= 3
        ended = res.of_type("execute_result")[0]["_t"]
        assert all(m["_t"] < ended for m in updates)
        table = res.result_data["text/html"]
        assert "LoRA r4" in table and "full" in table and "trainable params" in table
    finally:
        stop_kernel(km, kc)
