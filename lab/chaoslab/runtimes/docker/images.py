"""The docker runtime's images: which ones (upstream or built offline), their tags, and building them.

Two interchangeable sets. *Upstream* uses the registries' postgres, redis, toxiproxy and
prometheus images and builds only the app image (from PyPI). *Offline* needs no registry at
all: a Debian bookworm base made with debootstrap and `docker import`, the infrastructure
images installed on it from Debian's packages (Toxiproxy is the host's own binary), and the
app image installed from a wheelhouse that the host fills with pip.

Every image we build is tagged with a hash of what goes into it (Dockerfile, build args,
context files), so a tag that exists is up to date and a rebuild with nothing changed only
hashes a few files and asks the engine about six tags.
"""

from __future__ import annotations

import collections
import contextlib
import email.parser
import fcntl
import functools
import hashlib
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict

from chaoslab.echo import Echo
from chaoslab.errors import EnvironmentProblem
from chaoslab.runtimes.docker.base_image import (
    BASE_PACKAGES,
    BASE_RECIPE,
    MIRROR,
    SUITE,
    bootstrap_base,
    run_logged,
)
from chaoslab.runtimes.docker.engine import LAB_LABEL, engine
from chaoslab.shipped import DOCKER, REQUIREMENTS, ROOT, SERVICES

APP_DOCKERFILE = DOCKER / "Dockerfile"
BROWSER_DOCKERFILE = DOCKER / "browser.Dockerfile"
OFFLINE_DIR = DOCKER / "offline"

HASH_LABEL = f"{LAB_LABEL}.hash"
ROLE_LABEL = f"{LAB_LABEL}.image"
# On the offline base: its python3's full version, which the wheelhouse is resolved for.
PYTHON_LABEL = f"{LAB_LABEL}.python"
OVERRIDE_PREFIX = "CHAOSLAB_IMAGE_"

UPSTREAM_PYTHON = "python:3.11-slim-bookworm"  # the Dockerfile's default BASE (a test keeps them equal)
UPSTREAM: dict[str, str] = {
    "postgres": "postgres:15-bookworm",
    "redis": "redis:7.0-bookworm",
    "toxiproxy": "ghcr.io/shopify/toxiproxy:2.12.0",
    "prometheus": "prom/prometheus:v2.42.0",
}

# The app's pip options offline: the wheelhouse the build context carries, never PyPI.
OFFLINE_PIP_OPTIONS = "--no-index --find-links=/wheels"


class ImageSet(BaseModel):
    """The image reference each kind of container runs."""

    model_config = ConfigDict(frozen=True)

    postgres: str
    redis: str
    toxiproxy: str
    prometheus: str
    app: str
    # The app with Debian's Chromium, for the services that drive a real browser (built after app).
    browser: str


ROLES: tuple[str, ...] = tuple(ImageSet.model_fields)


def override_env(role: str) -> str:
    """The environment variable that replaces ``role``'s image (CHAOSLAB_IMAGE_POSTGRES, …)."""
    return OVERRIDE_PREFIX + role.upper()


def _override(role: str) -> str | None:
    return os.environ.get(override_env(role)) or None


# ---------------------------------------------------------------------------------------------
# Content hashes


def _digest(*parts: str | bytes) -> str:
    """A short, stable hash of ``parts`` (length-prefixed, so parts cannot run into each other)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()[:12]


def _skipped(name: str) -> bool:
    """Bytecode is made on the fly and must change neither a hash nor an image."""
    return name == "__pycache__" or name.endswith(".pyc")


def tree_digest(path: Path) -> str:
    """The hash of a file, or of a folder's relative paths, exec bits and contents (bytecode aside)."""
    if path.is_file():
        return _digest(path.read_bytes(), str(os.access(path, os.X_OK)))
    parts: list[str | bytes] = []
    for directory, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        for name in sorted(f for f in files if not _skipped(f)):
            file = Path(directory) / name
            parts += [str(file.relative_to(path)), tree_digest(file)]
    return _digest(*parts)


def base_ref() -> str:
    """The offline base's tag: it changes only with the suite, mirror, package list or recipe."""
    return f"chaoslab/base:{_digest(SUITE, MIRROR, 'minbase', *BASE_PACKAGES, BASE_RECIPE)}"


# ---------------------------------------------------------------------------------------------
# Recipes and presets


@dataclass(frozen=True)
class Recipe:
    """One image we build: a Dockerfile, the files its context holds, and its build args."""

    role: str
    dockerfile: Path
    buildargs: dict[str, str] = field(default_factory=dict)
    # Name in the build context -> host file or folder; all of it is hashed.
    files: dict[str, Path] = field(default_factory=dict)
    # Whether the context gets the wheelhouse as wheels/ offline (not hashed: the lock decides it).
    wheels: bool = False

    @functools.cached_property
    def content_hash(self) -> str:
        """Computed once per recipe, so its tag and its label cannot disagree."""
        return _digest(
            self.dockerfile.read_text(),
            *(f"{k}={v}" for k, v in sorted(self.buildargs.items())),
            *(f"{name}:{tree_digest(path)}" for name, path in sorted(self.files.items())),
        )

    @property
    def ref(self) -> str:
        return f"chaoslab/{self.role}:{self.content_hash}"


def recipe(role: str, offline: bool) -> Recipe:
    """How we build ``role``'s image: the app in both sets, the infrastructure only offline."""
    if role == "app":
        return Recipe(
            "app",
            APP_DOCKERFILE,
            {"BASE": base_ref(), "PIP_OPTIONS": OFFLINE_PIP_OPTIONS} if offline else {},
            {"requirements.lock": REQUIREMENTS, "services": SERVICES},
            wheels=True,
        )
    if role == "browser":
        return Recipe("browser", BROWSER_DOCKERFILE, {"APP": recipe("app", offline).ref})
    if not offline:
        raise ValueError(f"the upstream set builds no {role} image")
    files: dict[str, Path] = {}
    if role == "toxiproxy":
        from chaoslab.setup import find_binary

        files["toxiproxy-server"] = Path(find_binary("toxiproxy-server"))
    return Recipe(role, OFFLINE_DIR / f"{role}.Dockerfile", {"BASE": base_ref()}, files)


def _builds(role: str, offline: bool) -> bool:
    return _override(role) is None and (offline or role in ("app", "browser"))


def image_set(offline: bool) -> ImageSet:
    """The images the lab would run (env overrides applied); computes tags, builds nothing."""
    refs = {}
    for role in ROLES:
        if reference := _override(role):
            refs[role] = reference
        elif _builds(role, offline):
            refs[role] = recipe(role, offline).ref
        else:
            refs[role] = UPSTREAM[role]
    return ImageSet(**refs)


def missing_images(images: ImageSet) -> list[str]:
    """The references of ``images`` the engine does not have, in field order."""
    client = engine()
    return [ref for ref in dict.fromkeys(images.model_dump().values()) if not _present(client, ref)]


def _present(client: Any, ref: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.api.inspect_image(ref)
    except ImageNotFound:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Building


def build_images(offline: bool, echo: Echo = print) -> ImageSet:
    """Build (or pull) every image the set needs that the engine lacks; return the set.

    Offline: the debootstrap base, postgres, redis, prometheus, toxiproxy and the app, no
    registry. Upstream: the app from PyPI, and the registries' images pulled if missing.
    Overridden images (CHAOSLAB_IMAGE_*) are pulled if missing, never built.
    """
    client = engine()
    started = time.monotonic()
    with _exclusive(_work_dir() / "build.lock"):
        images = image_set(offline)
        recipes = [recipe(role, offline) for role in ROLES if _builds(role, offline)]
        todo = [r for r in recipes if not _present(client, r.ref)]
        foreign = [getattr(images, role) for role in ROLES if not _builds(role, offline)]
        for ref in dict.fromkeys(foreign):
            if not _present(client, ref):
                _pull(client, ref, echo)
        if offline and todo and not _present(client, base_ref()):
            bootstrap_base(
                client,
                base_ref(),
                _labels("base", base_ref().rsplit(":", 1)[1]),
                PYTHON_LABEL,
                _work_dir(),
                echo,
            )
        for r in todo:
            wheels = _wheelhouse(_base_python(client), echo) if offline and r.wheels else None
            _build(client, r, wheels, echo)
    echo(f"images ready in {time.monotonic() - started:.1f} s ({len(todo)} built)")
    return images


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """One build at a time per machine: parallel test workers or two shells would race on tags."""
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _work_dir() -> Path:
    """Where the wheelhouse, logs and the base's scratch root live (the cache home)."""
    from chaoslab.homes import cache_home

    path = cache_home() / "docker"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _labels(role: str, content_hash: str) -> dict[str, str]:
    return {LAB_LABEL: "1", HASH_LABEL: content_hash, ROLE_LABEL: role}


def _pull(client: Any, ref: str, echo: Echo) -> None:
    from docker.errors import DockerException

    echo(f"pulling {ref}")
    try:
        client.api.pull(ref)
    except DockerException as error:
        raise EnvironmentProblem(
            f"Cannot pull {ref}.",
            details=[str(error).splitlines()[0][:200]],
            hint="without a registry, build every image from Debian's packages: "
            "`chaoslab images build --offline`; or point CHAOSLAB_IMAGE_* at images you have.",
        ) from None


def _build(client: Any, r: Recipe, wheels: Path | None, echo: Echo) -> None:
    """Build ``r`` from a context assembled in a tar (so the repo itself is never sent)."""
    from docker.errors import DockerException

    echo(f"building {r.ref}")
    started = time.monotonic()
    tail: collections.deque[str] = collections.deque(maxlen=25)
    try:
        with _context(r, wheels) as context:
            stream = client.api.build(
                fileobj=context,
                custom_context=True,
                tag=r.ref,
                buildargs=r.buildargs,
                labels=_labels(r.role, r.content_hash),
                rm=True,
                forcerm=True,  # no intermediate container is left behind, even when a step fails
                pull=False,
                decode=True,
            )
            for chunk in stream:
                if "error" in chunk:
                    raise _build_failed(r, [*tail, _ANSI.sub("", chunk["error"]).strip()])
                for line in _ANSI.sub("", chunk.get("stream", "")).splitlines():
                    if line.strip():
                        tail.append(line)
                    if line.startswith("Step "):
                        echo(f"  {r.role}: {line[:140]}")
    except DockerException as error:
        raise _build_failed(r, [*tail, str(error)]) from None
    if not _present(client, r.ref):
        raise _build_failed(r, list(tail))
    echo(f"built {r.ref} in {time.monotonic() - started:.0f} s")


# pip colours its errors; the build log passes the escapes through.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _build_failed(r: Recipe, lines: list[str]) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"Building {r.ref} from {os.path.relpath(r.dockerfile, ROOT)} failed.",
        details=lines[-25:],
        hint="the last lines above name the failing step; offline builds need deb.debian.org "
        "over http from containers (apt-get), online ones a registry and PyPI.",
    )


@contextlib.contextmanager
def _context(r: Recipe, wheels: Path | None) -> Iterator[IO[bytes]]:
    """The build context as a tar: the Dockerfile, the recipe's files, and ``wheels`` as wheels/."""

    def no_bytecode(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        return None if _skipped(Path(info.name).name) else info

    with tempfile.TemporaryFile(dir=_work_dir()) as handle:
        with tarfile.open(fileobj=handle, mode="w") as tar:
            tar.add(r.dockerfile, arcname="Dockerfile")
            for name, path in sorted(r.files.items()):
                tar.add(path, arcname=name, filter=no_bytecode)
            for wheel in sorted(wheels.glob("*.whl")) if wheels else []:
                tar.add(wheel, arcname=f"wheels/{wheel.name}")
        handle.seek(0)
        yield handle


def _wheelhouse(python: str, echo: Echo) -> Path:
    """Wheels for every pin of requirements.lock, made on the host (containers cannot reach PyPI).

    ``python`` is the base's python3 version: wheels must fit it, and so must the
    dependencies, since markers differ (redis needs async-timeout before 3.11.3, and
    bookworm has 3.11.2). Refilled from scratch when the lock or that version changes.
    """
    wheels = _work_dir() / "wheels"
    stamp = wheels / ".requirements-hash"
    wanted = _digest(REQUIREMENTS.read_bytes(), python)
    if stamp.is_file() and stamp.read_text() == wanted:
        return wheels
    if sys.version_info[:2] != tuple(int(n) for n in python.split(".")[:2]):
        raise EnvironmentProblem(
            f"The offline app image needs wheels for the base's Python {python}; "
            f"this is Python {sys.version_info.major}.{sys.version_info.minor}.",
            hint="run chaoslab from a virtualenv of the same Python minor version "
            "(`./chaoslab.sh setup` on Debian bookworm).",
        )
    echo(f"filling the wheelhouse {wheels} from requirements.lock (pip wheel)")
    started = time.monotonic()
    fresh = Path(tempfile.mkdtemp(prefix="wheels-", dir=_work_dir()))
    try:
        pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check"]
        pip += ["--wheel-dir", str(fresh), "--constraint", str(REQUIREMENTS)]
        run_logged([*pip, "-r", str(REQUIREMENTS)], "pip wheel", _work_dir() / "pip-wheel.log")
        # pip resolved for this interpreter; add what the base's markers require on top.
        tried: list[str] = []
        while extra := unmet_requirements(fresh, python):
            if extra == tried:
                raise EnvironmentProblem(
                    f"pip wheel did not provide {', '.join(extra)} for the base's Python {python}.",
                    hint="add them to requirements.lock, then build again.",
                )
            echo(f"adding wheels Python {python} needs: {', '.join(extra)}")
            run_logged([*pip, *extra], "pip wheel", _work_dir() / "pip-wheel-extra.log")
            tried = extra
        (fresh / stamp.name).write_text(wanted)
        shutil.rmtree(wheels, ignore_errors=True)
        fresh.rename(wheels)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    echo(f"filled the wheelhouse in {time.monotonic() - started:.0f} s")
    return wheels


def unmet_requirements(wheels: Path, python: str) -> list[str]:
    """Requirements of the wheels in ``wheels`` that apply on Python ``python`` and no wheel meets.

    Only by name: pip on the host already chose versions for everything it saw. Dependencies
    of extras are not followed (the lock requests none).
    """
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename

    environment = {key: str(value) for key, value in default_environment().items()}
    environment |= {"python_full_version": python, "python_version": ".".join(python.split(".")[:2])}
    environment["extra"] = ""
    found = {parse_wheel_filename(w.name)[0] for w in wheels.glob("*.whl")}
    unmet: dict[str, str] = {}
    for wheel in sorted(wheels.glob("*.whl")):
        for line in _requires_dist(wheel):
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate(environment):
                continue
            name = canonicalize_name(requirement.name)
            if name not in found:
                requirement.marker = None
                unmet[name] = str(requirement)
    return sorted(unmet.values())


def _requires_dist(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = email.parser.BytesParser().parsebytes(archive.read(metadata), headersonly=True)
    return message.get_all("Requires-Dist") or []


def _base_python(client: Any) -> str:
    """The full version of the offline base's python3, which it carries as a label."""
    labels = client.api.inspect_image(base_ref())["Config"]["Labels"] or {}
    return labels[PYTHON_LABEL]
