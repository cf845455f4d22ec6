"""The docker runtime's images: tags that follow content, interchangeable sets, and what is inside."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoslab.errors import EnvironmentProblem
from chaoslab.runtimes.docker import images
from chaoslab.runtimes.docker.engine import LAB_LABEL, RUN_LABEL
from chaoslab.runtimes.docker.images import ImageSet, image_set
from tests import REPO_ROOT


@pytest.fixture
def toxiproxy_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in Toxiproxy binary, so the offline tags can be computed anywhere."""
    binary = tmp_path / "toxiproxy-server"
    binary.write_bytes(b"\x7fELF stand-in")
    binary.chmod(0o755)
    monkeypatch.setattr("chaoslab.setup.find_binary", lambda name: str(binary))
    for role in images.ROLES:
        monkeypatch.delenv(images.override_env(role), raising=False)
    return binary


@pytest.fixture
def services_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of services/ that the app's tag is computed from."""
    copy = tmp_path / "services"
    shutil.copytree(REPO_ROOT / "services", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(images, "SERVICES", copy)
    return copy


# ---------------------------------------------------------------------------------------------
# Pure parts: no engine needed


def test_the_upstream_set_is_the_registries_images_and_our_app(toxiproxy_binary: Path) -> None:
    upstream = image_set(offline=False)
    assert upstream.model_dump(exclude={"app", "browser"}) == images.UPSTREAM
    assert upstream.app.startswith("chaoslab/app:") and upstream.browser.startswith("chaoslab/browser:")


def test_the_offline_set_is_ours_and_differs_from_upstream_only_where_it_must(
    toxiproxy_binary: Path,
) -> None:
    offline = image_set(offline=True)
    for role, reference in offline.model_dump().items():
        assert reference.startswith(f"chaoslab/{role}:")
    assert offline.app != image_set(offline=False).app  # other base, other pip options


def test_every_image_is_overridable_so_the_sets_are_interchangeable(
    toxiproxy_binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSLAB_IMAGE_POSTGRES", "postgres:15-bookworm")
    assert image_set(offline=True).postgres == "postgres:15-bookworm"
    assert image_set(offline=True).redis.startswith("chaoslab/redis:")
    mine = {role: f"registry.example/{role}:7" for role in images.ROLES}
    for role, reference in mine.items():
        monkeypatch.setenv(images.override_env(role), reference)
    # Overridden, nothing is hashed: not even the Toxiproxy binary is needed.
    monkeypatch.setattr("chaoslab.setup.find_binary", _no_binary)
    assert image_set(offline=True) == image_set(offline=False) == ImageSet(**mine)


def _no_binary(name: str) -> str:
    raise EnvironmentProblem(f"no {name}")


def test_tags_are_stable_and_follow_the_content(toxiproxy_binary: Path, services_copy: Path) -> None:
    before = image_set(offline=True)
    assert image_set(offline=True) == before
    (services_copy / "shop" / "__pycache__").mkdir(exist_ok=True)
    (services_copy / "shop" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"bytecode")
    assert image_set(offline=True) == before  # bytecode changes nothing
    (services_copy / "shop" / "new.py").write_text("x = 1\n")
    after = image_set(offline=True)
    assert after.app != before.app and after.browser != before.browser  # the browser is built on the app
    assert after.model_dump(exclude={"app", "browser"}) == before.model_dump(exclude={"app", "browser"})
    toxiproxy_binary.write_bytes(b"\x7fELF another build")
    assert image_set(offline=True).toxiproxy != after.toxiproxy


def test_the_base_changes_only_with_its_package_list(
    toxiproxy_binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, offline = images.base_ref(), image_set(offline=True).model_dump()
    monkeypatch.setattr(images, "BASE_PACKAGES", (*images.BASE_PACKAGES, "curl"))
    assert images.base_ref() != base
    # Everything built on the base follows it.
    rebased = image_set(offline=True).model_dump()
    assert all(rebased[role] != offline[role] for role in images.ROLES)


def test_tree_digest_sees_names_contents_and_exec_bits(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a")
    first = images.tree_digest(tmp_path)
    (tmp_path / "a.py").chmod(0o755)
    second = images.tree_digest(tmp_path)
    (tmp_path / "a.py").rename(tmp_path / "b.py")
    third = images.tree_digest(tmp_path)
    assert len({first, second, third}) == 3


def test_the_dockerfile_default_base_is_the_upstream_python() -> None:
    assert f"ARG BASE={images.UPSTREAM_PYTHON}\n" in images.APP_DOCKERFILE.read_text()


def test_the_app_context_holds_only_what_the_dockerfile_copies(
    toxiproxy_binary: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "flask-3.1.3-py3-none-any.whl").write_bytes(b"wheel")
    (wheels / ".requirements-hash").write_text("stamp")
    recipe = images.recipe("app", offline=True)
    with images._context(recipe, wheels) as context, tarfile.open(fileobj=context) as tar:
        names = tar.getnames()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"Dockerfile", "requirements.lock", "services", "wheels"}
    assert "wheels/flask-3.1.3-py3-none-any.whl" in names
    assert "services/shop/app.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or ".requirements-hash" in n]


def _wheel(directory: Path, name: str, requires: list[str]) -> None:
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{name}-1.0.dist-info/METADATA", metadata)
    (directory / f"{name}-1.0-py3-none-any.whl").write_bytes(buffer.getvalue())


def test_the_wheelhouse_is_completed_for_the_base_python_markers(tmp_path: Path) -> None:
    _wheel(tmp_path, "redis", ['async-timeout>=4.0.3; python_full_version < "3.11.3"', "click"])
    _wheel(tmp_path, "click", ['colorama; platform_system == "Windows"', 'pytest; extra == "dev"'])
    assert images.unmet_requirements(tmp_path, "3.11.2") == ["async-timeout>=4.0.3"]
    assert images.unmet_requirements(tmp_path, "3.11.7") == []


# ---------------------------------------------------------------------------------------------
# The built images (cold: a few minutes; warm: seconds)


@pytest.fixture(scope="module")
def built() -> Iterator[ImageSet]:
    """The offline set, built (or found) in this engine."""
    from chaoslab.runtimes.docker.engine import engine

    try:
        engine()
    except EnvironmentProblem as problem:
        pytest.skip(problem.message)
    saved = {role: os.environ.pop(images.override_env(role), None) for role in images.ROLES}
    try:
        yield images.build_images(offline=True, echo=lambda line: None)
    finally:
        os.environ.update({images.override_env(r): v for r, v in saved.items() if v is not None})


@pytest.mark.docker
def test_a_second_build_is_a_no_op(built: ImageSet) -> None:
    said: list[str] = []
    started = time.monotonic()
    assert images.build_images(offline=True, echo=said.append) == built
    assert time.monotonic() - started < 10
    assert not [line for line in said if line.startswith(("building", "pulling", "bootstrapping"))]
    assert images.missing_images(built) == []


@pytest.mark.docker
def test_images_carry_the_lab_label_and_their_hash(built: ImageSet) -> None:
    from chaoslab.runtimes.docker.engine import engine

    for reference in [*built.model_dump().values(), images.base_ref()]:
        labels = engine().api.inspect_image(reference)["Config"]["Labels"]
        assert labels[LAB_LABEL] == "1"
        assert reference.endswith(":" + labels[images.HASH_LABEL])


CONTENTS = {
    "app": "python -c 'import flask, psycopg, locust, numpy, gunicorn'"
    " && python --version | grep -q '^Python 3[.]11[.]'"
    " && [ $(command -v python) = /opt/venv/bin/python ] && command -v socat"
    " && [ $PYTHONPATH = /app ] && test -f /app/services/shop/app.py",
    "postgres": "for p in postgres initdb pg_isready; do /usr/lib/postgresql/15/bin/$p --version; done"
    " && psql --version",
    "redis": "redis-server --version && redis-cli --version",
    "prometheus": "prometheus --version",
    "toxiproxy": "/toxiproxy -version",
}


@pytest.mark.docker
@pytest.mark.parametrize("role", sorted(CONTENTS))
def test_the_image_holds_what_the_runtime_runs(built: ImageSet, role: str) -> None:
    from docker.errors import ContainerError

    from chaoslab.runtimes.docker.engine import engine

    try:
        engine().containers.run(
            getattr(built, role),
            ["sh", "-c", CONTENTS[role]],
            entrypoint=[],
            remove=True,
            labels={RUN_LABEL: "test-images"},
        )
    except ContainerError as error:
        pytest.fail(f"{role}: {error.stderr!r}")
