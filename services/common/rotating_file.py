"""A text file for the span exporter that keeps at most a given size: the newest spans win.

The exporter writes whole spans, one line each, from one thread (the BatchSpanProcessor's),
so the file can roll over between two lines: when the next line would take the file past
half the cap, it becomes `<name>.1.jsonl` (replacing the older half) and a new file starts.
Nothing is lost mid-line, and `chaoslab traces` reads both files (`*.jsonl`). Done here in
the writer rather than from outside (as the service logs are: chaoslab.runtimes.core.log_rotation) because
this is our code: no copy, no window where lines go missing.
"""

import os
import threading
from pathlib import Path

TRACES_CAP_ENV = "CHAOSLAB_TRACES_MAX_MB"
DEFAULT_TRACES_CAP_MB = 64


def traces_cap_bytes() -> int:
    """Bytes kept per trace file pair: $CHAOSLAB_TRACES_MAX_MB (default 64)."""
    try:
        megabytes = float(os.environ.get(TRACES_CAP_ENV) or DEFAULT_TRACES_CAP_MB)
    except ValueError:
        megabytes = DEFAULT_TRACES_CAP_MB  # a typo must not stop the service from starting
    return max(int(megabytes * 2**20), 64 * 1024)


def older_half(path: Path) -> Path:
    """Where the older half of ``path`` goes: shop.jsonl -> shop.1.jsonl."""
    return path.with_name(f"{path.stem}.1{path.suffix}")


class SizeCappedFile:
    """Append-only text file, rolled over to `older_half` at half of ``cap_bytes``."""

    def __init__(self, path: str | os.PathLike[str], cap_bytes: int):
        self.path = Path(path)
        self.half = max(cap_bytes // 2, 1)
        self._lock = threading.Lock()
        self._file = self.path.open("a", encoding="utf-8")
        self._size = self._file.tell()

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        with self._lock:
            if self._size and self._size + len(data) > self.half:
                self._roll_over()
            self._file.write(text)
            self._size += len(data)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def _roll_over(self) -> None:
        self._file.close()
        os.replace(self.path, older_half(self.path))
        self._file = self.path.open("a", encoding="utf-8")
        self._size = 0
