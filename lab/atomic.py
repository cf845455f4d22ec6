"""Files other processes poll (state, flags, desired specs): replaced whole, never seen half-written."""

from __future__ import annotations

import os
import threading
from pathlib import Path


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
    finally:
        tmp.unlink(missing_ok=True)
