"""write_atomically: readers and racing writers never see or cause a half-written file."""

from __future__ import annotations

import threading
from pathlib import Path

from chaoslab.atomic import write_atomically


def test_racing_writers_each_land_whole_and_leave_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    bodies = [str(n) * 50_000 for n in range(8)]
    errors: list[BaseException] = []

    def writer(body: str) -> None:
        try:
            for _ in range(50):
                write_atomically(target, body)
        except BaseException as error:  # a racing rename used to lose the other's temporary
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    seen = set()
    while any(t.is_alive() for t in threads):
        if target.exists():
            seen.add(target.read_text())
    for thread in threads:
        thread.join()

    assert not errors
    assert seen <= set(bodies)  # never a mix or a prefix
    assert target.read_text() in bodies
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
