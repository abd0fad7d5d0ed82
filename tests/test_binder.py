"""The Binder image, checked statically (no Docker engine runs here) and by replaying its build step."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "binder" / "Dockerfile"
NPM_DIR = ROOT / "build" / "npm"
#: the real local Maven repository, read-only (tests/run-e2e exports it before it swaps HOME)
M2 = Path(os.environ.get("JLORA_E2E_M2", Path.home() / ".m2" / "repository"))


def dockerfile_text() -> str:
    return DOCKERFILE.read_text()


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm for dockerfilelint")
def test_dockerfile_passes_dockerfilelint():
    lint = NPM_DIR / "node_modules" / ".bin" / "dockerfilelint"
    if not lint.exists():
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(NPM_DIR),
                        "dockerfilelint@1.8.0"], check=True, timeout=300, capture_output=True)
    out = subprocess.run([str(lint), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Issues: None found" in out.stdout


def test_every_debian_package_exists():
    text = dockerfile_text().replace("\\\n", " ")
    install = re.search(r"apt-get install[^&]*", text).group(0)
    packages = [w for w in install.split()[2:] if not w.startswith("-")]
    assert "openjdk-17-jdk-headless" in packages and "jupyterhub" in packages
    for package in packages:
        shown = subprocess.run(["apt-cache", "show", package], capture_output=True, text=True)
        assert shown.returncode == 0 and shown.stdout.strip(), f"Debian has no package {package}"


def test_runs_as_the_notebook_user_with_binder_conventions():
    text = dockerfile_text()
    assert re.search(r"^ARG NB_UID=1000$", text, re.M)
    assert re.search(r"^USER \$\{NB_USER\}$", text, re.M)
    assert "COPY --chown=${NB_UID}" in text
    assert "RUN binder/build-jlora" in text


def test_replayed_build_installs_a_working_kernel(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ)
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_DATA_DIR", None)
    env.update(HOME=str(home), XDG_DATA_HOME="", MAVEN_ARGS=f"-o -Dmaven.repo.local={M2}")
    build = subprocess.run([str(ROOT / "binder" / "build-jlora")], env=env, capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stdout + build.stderr
    spec = home / ".local" / "share" / "jupyter" / "kernels" / "jlora" / "kernel.json"
    assert spec.exists()
    listed = subprocess.run(["/usr/bin/python3", "-m", "jupyter", "kernelspec", "list"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert str(spec.parent) in listed.stdout
    cell = "%lsmagic\nSystem.out.println(\"binder ok \" + (20 + 22));"
    nb = tmp_path / "check.ipynb"
    import nbformat
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)],
                                            metadata={"kernelspec": {"name": "jlora", "language": "java", "display_name": "Java (jlora)"}}), nb)
    run = subprocess.run(["/usr/bin/python3", "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                          "--stdout", str(nb)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "binder ok 42" in run.stdout
