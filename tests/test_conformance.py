"""The standard Jupyter kernel conformance suite (jupyter_kernel_test) run on jlora,
with Java snippets for every test it has, plus a few stricter checks of the same
message types.

Attributes the suite reads (jupyter_kernel_test 0.4.5): kernel_name, language_name,
file_extension, code_hello_world, code_stderr, completion_samples,
complete_code_samples, incomplete_code_samples, invalid_code_samples,
code_page_something, code_generate_error, code_execute_result, code_display_data,
code_history_pattern, supported_history_operations, code_inspect_sample,
code_clear_output.
"""
import base64
import os
import tempfile
import unittest

import jupyter_kernel_test as jkt  # not `from ... import KernelTests`: pytest would collect the base class
from jupyter_client.manager import start_new_kernel

from kernel_harness import KERNEL_NAME, STARTUP_TIMEOUT, TIMEOUT, execute, png_size, wait_reply

TINY_PNG_CODE = (
    "new java.awt.image.BufferedImage(4, 3, java.awt.image.BufferedImage.TYPE_INT_RGB)"
)


class JloraKernelTests(jkt.KernelTests):
    kernel_name = KERNEL_NAME

    # --- kernel_info ---------------------------------------------------------
    language_name = "java"
    file_extension = ".java"

    # --- execute_stdout / execute_stderr -------------------------------------
    code_hello_world = 'System.out.println("hello, world");'
    code_stderr = 'System.err.println("oops, on stderr");'

    # --- completion ----------------------------------------------------------
    # the two variables are defined in setUpClass; JShell completes names of
    # variables without a trailing "(", so the expected match set is exact.
    completion_samples = [
        {"text": "jloraCounterA", "matches": {"jloraCounterAlpha"}},
        {"text": "jloraCounter", "matches": {"jloraCounterAlpha", "jloraCounterBeta"}},
        {"text": "Math.ma"},  # reply validated only; test_completion_member checks the content
    ]

    # --- is_complete ---------------------------------------------------------
    complete_code_samples = [
        "1 + 1",
        "int x = 1;",
        'System.out.println("hi");',
        "class Foo { int bar() { return 1; } }",
        "for (int i = 0; i < 3; i++) { }",
    ]
    incomplete_code_samples = [
        "for (int i = 0; i < 3; i++) {",
        "class Foo {",
        "int y =",
        "void f() {",
        "int[] a = {1,",
    ]
    invalid_code_samples = [
        ")",
        "}",
        "x = ;",
    ]

    # --- pager: Java has no pager payloads (the suite skips when empty) -----
    code_page_something = ""

    # --- error: exactly one output message, the error ------------------------
    code_generate_error = 'throw new IllegalStateException("boom");'

    # --- execute_result -------------------------------------------------------
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "Math.max(3, 11)", "result": "11"},
        {"code": '"ab".length() + 1', "result": "3"},
        {"code": 'markdown("**bold** text")', "mime": "text/markdown", "result": "**bold** text"},
        {"code": 'html("<b>hi</b>")', "mime": "text/html", "result": "<b>hi</b>"},
        {"code": TINY_PNG_CODE, "mime": "image/png"},
    ]

    # --- display_data ---------------------------------------------------------
    code_display_data = [
        {"code": 'display(html("<i>shown</i>"));', "mime": "text/html"},
        {"code": 'display(markdown("# shown"));', "mime": "text/markdown"},
        {"code": f"display({TINY_PNG_CODE});", "mime": "image/png"},
    ]

    # --- history (pattern is a glob, must match one code_execute_result entry) -
    code_history_pattern = "Math.max*"
    supported_history_operations = ("tail", "range", "search")

    # --- inspect ----------------------------------------------------------------
    code_inspect_sample = "Math.max("

    # --- clear_output -------------------------------------------------------------
    code_clear_output = "clearOutput();"

    # -----------------------------------------------------------------------------

    @classmethod
    def setUpClass(cls):
        # a history of its own: the suite's history test counts the Math.max cells it finds
        cls.history = tempfile.TemporaryDirectory(prefix="jlora-conformance-")
        env = {**os.environ, "JLORA_HISTORY": os.path.join(cls.history.name, "history.jsonl")}
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, startup_timeout=STARTUP_TIMEOUT, env=env)
        try:
            execute(cls.kc, "int jloraCounterAlpha = 1;\nint jloraCounterBeta = 2;").assert_ok()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.history.cleanup()

    def get_non_kernel_info_reply(self, timeout=None):
        # the suite waits forever by default (completion, is_complete, history); bound it
        return super().get_non_kernel_info_reply(timeout=TIMEOUT if timeout is None else timeout)

    # ---- stricter checks beyond the standard suite ----------------------------

    def test_kernel_info_details(self):
        self.flush_channels()
        msg_id = self.kc.kernel_info()
        reply = wait_reply(self.kc, msg_id)
        content = reply["content"]
        self.assertEqual(content["status"], "ok")
        self.assertTrue(content["protocol_version"].startswith("5."), content["protocol_version"])
        li = content["language_info"]
        self.assertEqual(li["name"], "java")
        self.assertEqual(li["file_extension"], ".java")
        self.assertEqual(li["mimetype"], "text/x-java-source")

    def test_completion_member(self):
        """`Math.ma|` completes to max: code[:cursor_start] + match starts with "Math.max"."""
        code = "Math.ma"
        msg_id = self.kc.complete(code, len(code))
        content = wait_reply(self.kc, msg_id)["content"]
        self.assertEqual(content["status"], "ok")
        self.assertEqual(content["cursor_end"], len(code))
        self.assertLessEqual(content["cursor_start"], len(code))
        completed = {code[: content["cursor_start"]] + m for m in content["matches"]}
        self.assertTrue(any(c.startswith("Math.max") for c in completed), content)

    def test_is_complete_indent(self):
        """An incomplete block gets an indent hint made of whitespace, deeper than the block's line."""
        msg_id = self.kc.is_complete("for (int i = 0; i < 3; i++) {")
        content = wait_reply(self.kc, msg_id)["content"]
        self.assertEqual(content["status"], "incomplete")
        indent = content.get("indent")
        self.assertIsInstance(indent, str, content)
        self.assertTrue(indent and indent.strip() == "", f"indent hint {indent!r} should be non-empty whitespace")

    def test_inspect_content(self):
        code = "Math.max("
        msg_id = self.kc.inspect(code, len(code))
        content = wait_reply(self.kc, msg_id)["content"]
        self.assertEqual(content["status"], "ok")
        self.assertTrue(content["found"], content)
        self.assertIn("text/plain", content["data"])
        self.assertIn("max", content["data"]["text/plain"])

    def test_execute_result_count(self):
        """execute_result and execute_input carry the reply's execution_count; the count increases."""
        self.flush_channels()
        first = execute(self.kc, "10 + 5").assert_ok()
        second = execute(self.kc, "10 + 6").assert_ok()
        for res, expected in ((first, "15"), (second, "16")):
            self.assertEqual(res.text, expected)
            self.assertEqual(res.results[-1]["execution_count"], res.content["execution_count"])
            inputs = res.of_type("execute_input")
            self.assertEqual(len(inputs), 1)
            self.assertEqual(inputs[0]["content"]["execution_count"], res.content["execution_count"])
        self.assertGreater(second.content["execution_count"], first.content["execution_count"])

    def test_void_cell_has_no_execute_result(self):
        self.flush_channels()
        res = execute(self.kc, "int unusedVoidProbe = 3;\nSystem.out.print(\"\");").assert_ok()
        self.assertEqual(res.results, [], res.describe())

    def test_rich_results_values(self):
        self.flush_channels()
        md = execute(self.kc, 'markdown("# Title\\n*it*")').assert_ok()
        self.assertEqual(md.result_data.get("text/markdown"), "# Title\n*it*")
        html = execute(self.kc, 'html("<p>x</p>")').assert_ok()
        self.assertEqual(html.result_data.get("text/html"), "<p>x</p>")
        svg_src = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>'
        svg = execute(self.kc, 'svg("' + svg_src.replace('"', '\\"') + '")').assert_ok()
        self.assertIn("<rect", svg.result_data.get("image/svg+xml", ""), svg.describe())
        js = execute(self.kc, 'json("{\\"a\\": 1, \\"b\\": [true, null]}")').assert_ok()
        self.assertEqual(js.result_data.get("application/json"), {"a": 1, "b": [True, None]}, js.describe())
        img = execute(self.kc, TINY_PNG_CODE).assert_ok()
        self.assertEqual(png_size(base64.b64decode(img.result_data["image/png"])), (4, 3))

    def test_display_data_values(self):
        self.flush_channels()
        res = execute(self.kc, 'display(html("<i>shown</i>"));\ndisplay(markdown("# shown"));').assert_ok()
        displays = res.displays
        self.assertEqual(len(displays), 2, res.describe())
        self.assertEqual(displays[0]["data"].get("text/html"), "<i>shown</i>")
        self.assertEqual(displays[1]["data"].get("text/markdown"), "# shown")
        for d in displays:
            self.assertIsInstance(d.get("transient", {}).get("display_id"), str, d)

    def test_clear_output_wait(self):
        self.flush_channels()
        res = execute(self.kc, 'System.out.println("before");\nclearOutput(true);').assert_ok()
        clears = res.of_type("clear_output")
        self.assertEqual(len(clears), 1, res.describe())
        self.assertIs(clears[0]["content"]["wait"], True)
        res = execute(self.kc, "clearOutput(false);").assert_ok()
        self.assertIs(res.of_type("clear_output")[0]["content"]["wait"], False)


if __name__ == "__main__":
    unittest.main()
