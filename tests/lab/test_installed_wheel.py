"""chaoslab as a trainer installs it: a wheel from `python -m build`, non-editable, in a fresh venv,
run from a directory that is no clone. Its scenarios, services and Dockerfiles come inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests import REPO_ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel alone; the locked dependencies come from the test's own venv."""
    root = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(root / "dist"), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = (root / "dist").glob("chaoslab-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # A path line, not a site dir: the test venv's own .pth files (its editable chaoslab among
    # them) are not read, so `chaoslab` can only come from the wheel.
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "locked-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(pip, check=True, timeout=300)
    return venv


def _elsewhere(cwd: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``argv`` run from ``cwd``, no clone on any path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CHAOSLAB_SCENARIOS")}
    return subprocess.run(
        list(argv), cwd=cwd, env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=timeout
    )


def test_the_wheel_holds_one_package_with_its_scenarios_and_no_generic_names(
    installed: Path, tmp_path: Path
) -> None:
    python = str(installed / "bin" / "python")
    script = (
        "import importlib.util, json, sys\n"
        "import chaoslab.pytest_plugin\n"
        "from chaoslab import shipped\n"
        "print(json.dumps({\n"
        "    'package': chaoslab.__file__,\n"
        "    'generic': [n for n in ('lab', 'services') if importlib.util.find_spec(n)],\n"
        "    'heavy': sorted({'flask', 'locust'} & set(sys.modules)),\n"
        "    'scenarios': sorted(p.name for p in shipped.SCENARIOS.iterdir()),\n"
        "    'services': (shipped.SERVICES / 'shop' / 'app.py').is_file(),\n"
        "    'dockerfile': (shipped.DOCKER / 'Dockerfile').is_file(),\n"
        "    'lock': shipped.REQUIREMENTS.is_file(),\n"
        "}))\n"
    )
    done = _elsewhere(tmp_path, python, "-c", script)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["package"].startswith(str(installed)), seen["package"]
    assert seen["generic"] == []
    assert seen["heavy"] == [], "the pytest plugin must import without Flask or Locust"
    shipped = sorted(p.parent.name for p in (REPO_ROOT / "scenarios").glob("*/scenario.yaml"))
    assert seen["scenarios"] == shipped
    assert seen["services"] and seen["dockerfile"] and seen["lock"]


@pytest.mark.scenario
@pytest.mark.integration
def test_the_installed_command_runs_an_incident_end_to_end(
    installed: Path, tmp_path: Path, port_base: int
) -> None:
    chaoslab = str(installed / "bin" / "chaoslab")
    listed = _elsewhere(tmp_path, chaoslab, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "db-pool-exhaustion" in {s["id"] for s in json.loads(listed.stdout)["scenarios"]}
    # missing-metrics: a release patch, a service of the lab's own and Prometheus, all from the
    # wheel's data; it judges no latency, so the test need not have the machine to itself.
    done = _elsewhere(
        tmp_path,
        chaoslab,
        "run",
        "missing-metrics",
        "--seed",
        "1",
        "--port-base",
        str(port_base),
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "PASSED" in done.stdout
