"""Files other processes poll (state, flags, desired specs): replaced whole, never seen half-written.

Reading them back goes through ``read_json_file`` too, so a file that is empty, cut short,
garbled or of the wrong shape gets one sentence naming it and how to recover, whoever reads it.
A write that hits a full or read-only disk says which disk, and where to go instead.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from chaoslab.errors import EnvironmentProblem

if TYPE_CHECKING:
    from pydantic import BaseModel

Model = TypeVar("Model", bound="BaseModel")

# A state home needs room for a run folder before anything starts; a lab needs far more later.
MIN_FREE_BYTES = 16 * 1024 * 1024
ELSEWHERE_HINT = "set CHAOSLAB_HOME=<a folder on a disk with room> (e.g. /var/tmp/chaoslab) and try again."


class CorruptStateFile(EnvironmentProblem):
    """A file chaoslab wrote cannot be read back: empty, truncated, garbled, or not a file."""


def disk_problem(exc: OSError, where: Path) -> EnvironmentProblem | None:
    """The full or read-only disk behind ``exc``, as an error naming ``where``; None for other errors."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return EnvironmentProblem(f"No space left on {where}.", hint=f"free some space, or {ELSEWHERE_HINT}")
    if exc.errno == errno.EROFS:
        return EnvironmentProblem(f"{where} is read-only.", hint=ELSEWHERE_HINT)
    return None


def check_writable(directory: Path, needed: int = MIN_FREE_BYTES) -> None:
    """Create ``directory`` and fail early, before anything starts, if its disk is read-only or full."""
    make_folder(directory, "the folder")
    stats = os.statvfs(directory)
    if stats.f_flag & os.ST_RDONLY:
        raise EnvironmentProblem(f"{directory} is read-only.", hint=ELSEWHERE_HINT)
    if not os.access(directory, os.W_OK):
        raise EnvironmentProblem(
            f"{directory} is not writable by this user.", hint=f"fix its permissions, or {ELSEWHERE_HINT}"
        )
    free = stats.f_bavail * stats.f_frsize
    if free <= needed:
        raise EnvironmentProblem(
            f"No space left on {directory} ({free // 1024} KiB free).",
            hint=f"free some space, or {ELSEWHERE_HINT}",
        )


def make_folder(directory: Path, what: str) -> Path:
    """Create ``directory`` (``what`` names it for people), or say in one sentence why it cannot be."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if directory.is_dir():
            return directory
        problem = "a file is in the way"
    except FileExistsError:
        problem = "a file is in the way"
    except OSError as exc:
        if known := disk_problem(exc, directory):
            raise known from None
        problem = _why(exc)
    raise EnvironmentProblem(f"Cannot make {what} {str(directory)!r}: {problem}.", hint="pick another path.")


def check_output_file(path: Path, what: str) -> None:
    """Fail now, before a long job, if ``path`` cannot become the file ``what`` at its end."""
    try:
        if path.is_dir():
            raise EnvironmentProblem(
                f"{what.capitalize()} {str(path)!r} is a folder, not a file.", hint="give a file name in it."
            )
    except OSError as exc:
        raise EnvironmentProblem(
            f"Cannot write {what} {str(path)!r}: {_why(exc)}.", hint="pick another path."
        ) from None
    make_folder(path.parent, f"the folder of {what}")
    check_writable(path.parent, needed=0)


def _why(exc: OSError) -> str:
    """An OSError as the few words people need (no errno, no repeated path)."""
    if exc.errno == errno.ENOTDIR:
        return "part of the path is a file, not a folder"
    return (exc.strerror or type(exc).__name__).lower()


def write_atomically(path: Path, text: str, *, private: bool = False) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the new one, never part of either.

    The temporary name is the writer's own (process and thread), so two writers racing on one
    file cannot rename each other's half-written temporary away.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        if private:  # 0600 from the first byte: the file holds passwords
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
                out.write(text)
        else:
            tmp.write_text(text)
        tmp.replace(path)
    except OSError as exc:
        raise disk_problem(exc, path.parent) or exc from None
    finally:
        tmp.unlink(missing_ok=True)


def read_json_file(path: Path, what: str, recover: str) -> Any:
    """The JSON in ``path``, or an error saying it is unreadable and how to ``recover``.

    ``what`` names the file for people ("the run record"); a missing file raises
    FileNotFoundError as usual, since callers each know what absence means.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except (IsADirectoryError, NotADirectoryError):
        raise _corrupt(path, what, "not a file", recover) from None
    except OSError as exc:
        raise _corrupt(path, what, exc.strerror or type(exc).__name__, recover) from None
    if not raw.strip():
        raise _corrupt(path, what, "empty", recover)
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _corrupt(path, what, "not text", recover) from None
    except json.JSONDecodeError as exc:
        raise _corrupt(path, what, f"not valid JSON at line {exc.lineno}", recover) from None


def read_json_model(path: Path, model: type[Model], what: str, recover: str) -> Model:
    """``path`` read as ``model``, with the same sentence as ``read_json_file`` when it does not fit."""
    from pydantic import ValidationError  # here: flags and releases write through this module, lightly

    data = read_json_file(path, what, recover)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        raise _corrupt(path, what, f"{where}: {first['msg'].lower()}", recover) from None


def _corrupt(path: Path, what: str, reason: str, recover: str) -> CorruptStateFile:
    return CorruptStateFile(f"{what.capitalize()} {path} is unreadable ({reason}).", hint=recover)
