"""Log rotation by copy-and-truncate: a writer that keeps its file open stays under the cap."""

from __future__ import annotations

from pathlib import Path

from chaoslab.runtimes.core.log_rotation import LogCaps, cap_logs, rotate_if_over

KB = 1024


def test_an_appending_writer_is_capped_and_keeps_its_newest_lines(tmp_path: Path) -> None:
    log = tmp_path / "shop.log"
    cap = 64 * KB
    # As the supervisor hands it to a service: opened for appending, never reopened.
    with log.open("ab", buffering=0) as writer:
        for number in range(5000):
            writer.write(f"line {number:05d} {'x' * 80}\n".encode())
            if number % 50 == 0:
                cap_logs(tmp_path, cap)
    cap_logs(tmp_path, cap)
    older = tmp_path / "shop.log.1"
    assert log.stat().st_size <= cap // 2 and older.stat().st_size <= cap // 2 + 50 * 100
    kept = older.read_text() + log.read_text()
    assert kept.endswith("line 04999 " + "x" * 80 + "\n")
    # After a truncation the writer's lines start at the file's beginning: no hole of zeros.
    assert "\0" not in log.read_text() and log.read_text().startswith("line ")
    lines = kept.splitlines()
    numbers = [int(line.split()[1]) for line in lines]
    assert numbers == sorted(numbers) and len(lines) < 5000


def test_a_small_log_is_left_alone(tmp_path: Path) -> None:
    log = tmp_path / "redis.log"
    log.write_text("ready\n")
    assert not rotate_if_over(log, 64 * KB)
    assert not (tmp_path / "redis.log.1").exists()


def test_the_periodic_check_runs_at_most_every_few_seconds(tmp_path: Path) -> None:
    log = tmp_path / "profile.log"
    log.write_bytes(b"x" * 100 * KB)
    caps = LogCaps(tmp_path, cap_bytes=64 * KB)
    assert caps.check(now=1000.0) == [log]
    log.write_bytes(b"y" * 100 * KB)
    assert caps.check(now=1001.0) == []  # too soon
    assert caps.check(now=1006.0) == [log]


def test_the_newest_lines_are_read_across_both_halves(tmp_path: Path) -> None:
    from chaoslab.runtimes.core.log_rotation import rotated_tail

    log = tmp_path / "profile.log"
    (tmp_path / "profile.log.1").write_text("".join(f"old {n}\n" for n in range(100)))
    log.write_text("new 0\nnew 1\n")
    assert rotated_tail(log, 4) == "old 98\nold 99\nnew 0\nnew 1\n"
    assert rotated_tail(log, 1) == "new 1\n"
    assert rotated_tail(log, 0) == ""
    assert rotated_tail(log, 1000).count("\n") == 102
