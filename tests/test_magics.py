"""Line magics of the jlora kernel: %classpath, %jars, %maven."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kernel_harness import KERNEL_NAME, execute, start_kernel, stop_kernel

#: the real local Maven repository, read-only (tests/run-e2e exports it before it swaps HOME)
M2 = Path(os.environ.get("JLORA_E2E_M2", Path.home() / ".m2" / "repository"))
OPENTEST4J = M2 / "org" / "opentest4j" / "opentest4j" / "1.3.0"


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_kernel(KERNEL_NAME)
    yield km, kc
    stop_kernel(km, kc)


@pytest.fixture(scope="module")
def user_code(tmp_path_factory):
    """Two tiny user libraries: e2e.FromDir as a class folder, e2e.FromJar inside lib/fromjar.jar."""
    if not shutil.which("javac") or not shutil.which("jar"):
        pytest.skip("needs javac and jar")
    root = tmp_path_factory.mktemp("usercode")
    src = root / "src" / "e2e"
    src.mkdir(parents=True)
    (src / "FromDir.java").write_text(
        'package e2e; public class FromDir { public static String hi() { return "hi from dir"; } }\n')
    (src / "FromJar.java").write_text(
        'package e2e; public class FromJar { public static String hi() { return "hi from jar"; } }\n')
    classes, jarclasses, lib = root / "classes", root / "jarclasses", root / "lib"
    for d in (classes, jarclasses, lib):
        d.mkdir()
    subprocess.run(["javac", "--release", "17", "-d", str(classes), str(src / "FromDir.java")], check=True)
    subprocess.run(["javac", "--release", "17", "-d", str(jarclasses), str(src / "FromJar.java")], check=True)
    subprocess.run(["jar", "cf", str(lib / "fromjar.jar"), "-C", str(jarclasses), "."], check=True)
    return {"classes": classes, "lib": lib}


def test_classpath_folder(kernel, user_code):
    _, kc = kernel
    execute(kc, f"%classpath {user_code['classes']}").assert_ok()
    res = execute(kc, 'System.out.println(e2e.FromDir.hi());').assert_ok()
    assert "hi from dir" in res.stdout, res.describe()


def test_jars_glob_then_code_in_same_cell(kernel, user_code):
    _, kc = kernel
    res = execute(kc, f"%jars {user_code['lib']}/*.jar\nSystem.out.println(e2e.FromJar.hi());").assert_ok()
    assert "hi from jar" in res.stdout, res.describe()


def test_classpath_missing_path_is_an_error(kernel):
    _, kc = kernel
    res = execute(kc, "%classpath /definitely/not/here.jar")
    assert res.status == "error", res.describe()
    assert execute(kc, "1+1").assert_ok().text == "2"


def test_unknown_magic_is_an_error(kernel):
    _, kc = kernel
    res = execute(kc, "%noSuchMagicAnywhere 1 2 3")
    assert res.status == "error", res.describe()
    assert execute(kc, "3+3").assert_ok().text == "6"


@pytest.mark.skipif(not OPENTEST4J.exists(), reason="org.opentest4j:opentest4j:1.3.0 not in ~/.m2 (stay offline)")
def test_maven_from_local_repository(kernel):
    _, kc = kernel
    # %maven reads ~/.m2 of the kernel's home (the test home under tests/run-e2e): give it the artifact
    local = Path.home() / ".m2" / "repository" / OPENTEST4J.relative_to(M2)
    if local != OPENTEST4J:
        shutil.copytree(OPENTEST4J, local, dirs_exist_ok=True)
    execute(kc, "%maven org.opentest4j:opentest4j:1.3.0", timeout=120).assert_ok()
    res = execute(kc, 'new org.opentest4j.AssertionFailedError("from maven").getMessage()').assert_ok()
    assert "from maven" in res.text, res.describe()
