"""Every option of every command, fed random and extreme values: no traceback, exit 0, 1 or 2.

The command tree is walked from the typer app itself, so a new command or option is fuzzed
without a change here. Invocations are batched through `tests/lab/cli_batch.py` (one process
runs them all through `chaoslab.cli.main`); a few go through `python -m chaoslab.cli` for real. No lab
runs: what would start one is a stand-in there, and a bad value that reaches it is a failure
(validated too late). Exit 2 must read as one `error:` line and an optional `Hint:` line.
"""

from __future__ import annotations

import functools
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from chaoslab.cli import app
from tests.chaoslab_command import run_chaoslab

BATCH = Path(__file__).with_name("cli_batch.py")
TRACEBACK = "Traceback (most recent call last)"
SEED = 20261130
RANDOM_INVOCATIONS = 1000
# The teams and incident slots of the plan below: a game day takes 40 ports per lab.
PLAN_TEAMS = 2
PLAN = "name: drill\nteams: [red, blue]\nrounds:\n  - incidents: [{scenario: db-pool-exhaustion, seed: 1}]\n"

# Values that are wrong for any number, name, id or count, and some that look almost right.
NUMBERS = ["-1", "0", "1", "2", str(2**64), str(-(2**63)), "NaN", "inf", "-inf", "1e9", "1.5", "0x10"]
NUMBERS += ["", " ", " 7 ", "٣", "9" * 5000, "65536", "70000", "-0", "+5", "1_000"]
TEXTS = ["", " ", "-", "--", "../../etc/passwd", "..", "/", "a/../../b", "é✓🔥", "x" * 5000, "a\nb"]
TEXTS += ["$(id)", "%s%n", "[red]x", "[/]", "NaN", "-1", "\t", "shop\x7f", "CON", "*"]


@dataclass(frozen=True)
class Param:
    """One option or argument of one command, as the parser sees it."""

    command: tuple[str, ...]
    name: str
    flag: str | None  # the option's first spelling; None for an argument
    kind: str  # "int", "bool", "path", "choice" or "text"
    low: int | None
    high: int | None
    choices: tuple[str, ...]
    is_flag: bool
    required: bool


def walk_commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, command) for every leaf command of the app, found by introspection."""

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield path, command

    yield from walk(typer.main.get_command(app), ())


# typer hands click its own parameter types, by name: a Literal is a choice, `int` an int (range).
PARAM_KINDS = {"boolean": "bool", "int": "int", "int range": "int", "path": "path"}


def params_of(path: tuple[str, ...], command: Any) -> list[Param]:
    found = []
    for param in command.params:
        choices: tuple[str, ...] = tuple(getattr(param.type, "choices", None) or ())
        kind = "choice" if choices else PARAM_KINDS.get(param.type.name, "text")
        is_option = param.param_type_name == "option"
        found.append(
            Param(
                path,
                param.name,
                param.opts[0] if is_option else None,
                kind,
                getattr(param.type, "min", None),
                getattr(param.type, "max", None),
                choices,
                bool(getattr(param, "is_flag", False)),
                bool(param.required),
            )
        )
    return found


def neutral_arguments(plan: Path) -> dict[str, str]:
    """Valid values for commands' required arguments, so that the fuzzed value is what decides."""
    return {
        "scenario_id": "db-pool-exhaustion",
        "scenario_ids": "db-pool-exhaustion",
        "target": str(plan),
        "promql": "up",
        "service": "shop",
        "what": "consistency",  # `check`'s; `open`'s is optional and left out
        "mitigation_id": "flag-off",
    }


def as_int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def looks_valid(param: Param, value: str, tmp: Path) -> bool:
    """Whether ``value`` may rightly get as far as starting something (else: rejected first)."""
    if param.kind == "int":
        number = as_int(value)
        if number is None or (param.low is not None and number < param.low):
            return False
        if param.high is not None and number > param.high:
            return False
        if param.name == "port_base" and param.command == ("gameday",):
            return number + 40 * PLAN_TEAMS <= 65535
        if param.name == "busy_cores":
            return 0 <= number < (os.cpu_count() or 1)
        return param.high is not None or number <= 1000
    if param.kind == "choice":
        return value in param.choices
    if param.kind == "path":
        return value not in bad_paths(tmp)
    return False  # no fuzzed text is a real id, name or mitigation


def path_values(tmp: Path) -> list[str]:
    return [
        str(tmp / "a-dir"),
        str(tmp / "a-file"),
        str(tmp / "new-file"),
        str(tmp / "missing" / "deeper" / "x"),
        str(tmp / "a-file" / "under-a-file"),
        str(tmp / ("x" * 300)),
        "",
        str(tmp / "é✓🔥"),
    ]


def bad_paths(tmp: Path) -> set[str]:
    """The fuzzed paths no command can write to or read a folder from."""
    return {
        str(tmp / "a-file" / "under-a-file"),
        str(tmp / ("x" * 300)),
        "/proc/self/fd/0",
    }


def values_for(param: Param, tmp: Path) -> list[str]:
    if param.kind == "int":
        bounds = [param.low, param.high] if param.low is not None and param.high is not None else []
        return NUMBERS + [str(n + step) for n in bounds for step in (-1, 0, 1)]
    if param.kind == "choice":
        return ["", "LOCAL", "podman", "local ", *param.choices]
    if param.kind == "path":
        return [*path_values(tmp), "../../etc", "/proc/self/fd/0"]
    if param.kind == "bool":
        return ["yes", "", "1"]
    return TEXTS


def invocation(param: Param, value: str, neutral: dict[str, str], params: list[Param]) -> list[str]:
    """The command with valid required arguments, and ``value`` in ``param``'s place."""
    args = list(param.command)
    for other in params:
        if other.flag is None:
            if other.name == param.name:
                args.append(value)
            elif other.name in neutral and (other.required or other.name == "scenario_ids"):
                args.append(neutral[other.name])
    if param.flag is not None:
        args += [f"{param.flag}={value}"] if param.is_flag else [param.flag, value]
    return args


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "a-dir").mkdir()
    (tmp / "a-file").write_text("not a plan, not a run\n")
    (tmp / "home").mkdir()
    (tmp / "plan.yaml").write_text(PLAN)
    return tmp


def run_batch(invocations: list[Any], cwd: Path) -> list[dict]:
    """Each invocation through `chaoslab.cli.main` in one child process, with a private state home."""
    env = {**os.environ, "CHAOSLAB_HOME": str(cwd / "home")}
    env.pop("CHAOSLAB_PORT_BASE", None)
    done = subprocess.run(
        [sys.executable, str(BATCH)],
        input=json.dumps(invocations),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def problems_with(result: dict, valid: Callable[[], bool]) -> str | None:
    """What is wrong with one invocation's answer, or None."""
    code, stderr = result["code"], result["stderr"]
    if code == "traceback" or TRACEBACK in stderr or TRACEBACK in result["stdout"]:
        return "traceback:\n" + stderr[-1500:]
    if result["started"] is not None:
        return None if valid() else f"a bad value got as far as starting {result['started']}"
    if code not in (0, 1, 2):
        return f"exit {code}: {stderr[-500:]}"
    if code == 2 and not result["stdout"].lstrip().startswith("Usage:"):
        lines = [line for line in stderr.splitlines() if line.strip()]
        if not lines or not lines[0].startswith("error: "):
            return f"exit 2 without an `error:` line: {stderr[:500]!r}"
        # Indented lines are a LabError's details (what was seen): part of the one message.
        rest = [line for line in lines[1:] if not line.startswith("  ")]
        if len(rest) > 1 or (rest and not rest[0].startswith("Hint: ")):
            return f"exit 2 with more than a sentence and a hint: {stderr[:800]!r}"
    return None


def test_every_option_of_every_command_rejects_bad_values_in_one_line(fuzz_dir: Path) -> None:
    started = time.monotonic()
    neutral = neutral_arguments(fuzz_dir / "plan.yaml")
    cases: list[tuple[list[str], Callable[[], bool]]] = []
    commands = list(walk_commands())
    every_param: list[Param] = []
    for path, command in commands:
        params = params_of(path, command)
        every_param += params
        for param in params:
            for value in values_for(param, fuzz_dir):
                args = invocation(param, value, neutral, params)
                cases.append((args, functools.partial(looks_valid, param, value, fuzz_dir)))
        cases.append(([*path, "--no-such-option"], lambda: False))
    rng = random.Random(SEED)
    for _ in range(RANDOM_INVOCATIONS):
        path, command = rng.choice(commands)
        params = params_of(path, command)
        args = list(path)
        for param in rng.sample(params, k=min(len(params), rng.randint(1, 3))):
            value = rng.choice(values_for(param, fuzz_dir) + TEXTS + NUMBERS)
            args += [value] if param.flag is None else [param.flag] if param.is_flag else [param.flag, value]
        cases.append((args, lambda: True))  # a random mix may be valid: only the answer is judged

    results = run_batch([args for args, _ in cases], fuzz_dir)

    assert len(results) == len(cases)
    failures: dict[str, str] = {}  # one example per kind of failure
    for (args, valid), result in zip(cases, results, strict=True):
        if problem := problems_with(result, valid):
            kind = f"{args[0]}: {problem.splitlines()[-1][:120]}"
            failures.setdefault(kind, f"chaoslab {' '.join(a[:60] for a in args)}\n  {problem}")
    reached = sum(1 for r in results if r["started"])
    print(
        f"{len(commands)} commands, {len(every_param)} options and arguments, {len(cases)} invocations "
        f"({reached} valid ones stopped at a stand-in) in {time.monotonic() - started:.1f}s"
    )
    assert not failures, f"{len(failures)} kinds of failure:\n\n" + "\n\n".join(failures.values())
    assert not (fuzz_dir / "home" / "current").exists(), "a lab was marked running"


REAL_RUNS = [
    (["start", "db-pool-exhaustion", "--port-base", "70000"], {}),
    (["start", "db-pool-exhaustion", "--seed", str(2**64)], {}),
    (["start", "db-pool-exhaustion"], {"CHAOSLAB_PORT_BASE": "NaN"}),
    (["start", "db-pool-exhaustion"], {"CHAOSLAB_PORT_BASE": "65536"}),
    (["run", "../../etc/passwd"], {}),
    (["report", "../../.."], {}),
    (["logs", "../../../etc/passwd", "-n", "-5"], {}),
    (["gameday", "board", "/nonexistent"], {}),
    (["verify", "--wait", "NaN"], {}),
]


@pytest.mark.parametrize(("args", "env"), REAL_RUNS, ids=[" ".join(a)[:50] for a, _ in REAL_RUNS])
def test_the_real_entry_point_answers_bad_values_in_one_line(
    args: list[str], env: dict[str, str], fuzz_dir: Path
) -> None:
    done = run_chaoslab(*args, home=fuzz_dir / "home", env=env, timeout=60)

    result = {"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr, "started": None}
    assert problems_with(result, lambda: False) is None, done.stderr
    assert done.returncode == 2
    assert not (fuzz_dir / "home" / "current").exists()
