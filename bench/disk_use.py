"""What a 30-minute interactive session and a full CI run leave on disk, extrapolated from minutes.

A session cannot be waited out here, so this starts a real lab (`stale-profile-cache` by default:
its load writes the most traces), samples every kind of file in its run folder for `--minutes`
(default 3) with the trace and log caps lifted, so the raw growth per minute of each trace file
and log is seen, then stops it and measures what the run folder keeps. The 30-minute figure is
that growth carried on to 30 minutes with the caps applied (each trace file pair keeps at most
$CHAOSLAB_TRACES_MAX_MB, each log with its `.1` at most $CHAOSLAB_LOG_MAX_MB), plus the database
template the lab copied. A full CI run (`chaoslab run --all --seed 1`: each scenario once) is
the run folders of a state home that ran them (`--ci-home`, read only), with the caps applied,
plus the one template of seed 1 and the toolchain cache.

    .venv/bin/python bench/disk_use.py --minutes 3 --port-base 17600 --ci-home /var/lib/chaoslab

The lab runs in a private state home; set CHAOSLAB_CACHE to keep its template out of the shared
cache (it is built there once, ~615 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lab_home import private_home

from chaoslab.disk.sizes import human, tree_bytes
from chaoslab.disk.templates import list_templates
from chaoslab.runtimes.core.log_rotation import DEFAULT_LOG_CAP_MB
from services.common.rotating_file import DEFAULT_TRACES_CAP_MB

ROOT = Path(__file__).resolve().parent.parent
MB = 2**20
SESSION_MIN = 30
UNCAPPED_MB = "1000000"


def chaoslab(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "chaoslab.cli", *args], capture_output=True, text=True)
    if check and done.returncode:
        sys.exit(f"`chaoslab {' '.join(args)}` failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done


def stream(path: Path) -> str:
    """The writer a file belongs to: shop.1.jsonl and shop.jsonl are one, as are x.log.1 and x.log."""
    return path.name.replace(".1.jsonl", ".jsonl").removesuffix(".1")


def sample(run_dir: Path) -> dict[str, dict[str, int]]:
    """Bytes per kind of the run folder; traces and logs also per writer."""
    per: dict[str, dict[str, int]] = {"traces": {}, "logs": {}}
    for kind in per:
        for path in (run_dir / kind).iterdir():
            per[kind][stream(path)] = per[kind].get(stream(path), 0) + path.stat().st_blocks * 512
    total = tree_bytes(run_dir)
    data = tree_bytes(run_dir / "data")
    kept = sum(per["traces"].values()) + sum(per["logs"].values())
    return {
        **per,
        "kinds": {
            "traces": sum(per["traces"].values()),
            "logs": sum(per["logs"].values()),
            "data": data,
            "rest": total - data - kept,
        },
    }


def capped(rates: dict[str, float], start: dict[str, int], cap_mb: float, minutes: float) -> float:
    """Bytes the writers hold after ``minutes`` at ``rates`` (bytes/min), each at most ``cap_mb``."""
    return sum(min(start.get(name, 0) + rate * minutes, cap_mb * MB) for name, rate in rates.items())


def measure_session(scenario: str, minutes: float, port_base: int) -> dict[str, object]:
    os.environ["CHAOSLAB_TRACES_MAX_MB"] = UNCAPPED_MB
    os.environ["CHAOSLAB_LOG_MAX_MB"] = UNCAPPED_MB
    started = time.monotonic()
    chaoslab("start", scenario, "--seed", "1", "--port-base", str(port_base))
    print(f"started {scenario} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    run_dir = next((Path(os.environ["CHAOSLAB_HOME"]) / "runs").iterdir())  # a fresh home holds one
    try:
        first, t0 = sample(run_dir), time.monotonic()
        samples = [(0.0, first)]
        while (elapsed := time.monotonic() - t0) < minutes * 60:
            time.sleep(min(15, minutes * 60 - elapsed))
            samples.append(((time.monotonic() - t0) / 60, sample(run_dir)))
            kinds = samples[-1][1]["kinds"]
            print(
                f"  {samples[-1][0]:4.1f} min: " + ", ".join(f"{k} {human(v)}" for k, v in kinds.items()),
                file=sys.stderr,
            )
    finally:
        chaoslab("stop", check=False)
    span, last = samples[-1]
    left = sample(run_dir)
    rates = {
        kind: {name: (last[kind][name] - first[kind].get(name, 0)) / span for name in last[kind]}
        for kind in ("traces", "logs")
    }
    per_minute = {k: (last["kinds"][k] - first["kinds"][k]) / span / MB for k in last["kinds"]}
    at_30 = {
        "traces": capped(rates["traces"], first["traces"], DEFAULT_TRACES_CAP_MB, SESSION_MIN),
        "logs": capped(rates["logs"], first["logs"], DEFAULT_LOG_CAP_MB, SESSION_MIN),
        "rest": left["kinds"]["rest"] + max(per_minute["rest"], 0) * MB * (SESSION_MIN - span),
    }
    uncapped = {
        kind: sum(first[kind].get(n, 0) + r * SESSION_MIN for n, r in rates[kind].items())
        for kind in ("traces", "logs")
    }
    return {
        "scenario": scenario,
        "measured_min": round(span, 2),
        "mb_per_min": {k: round(v, 2) for k, v in per_minute.items()},
        "per_writer_mb_per_min": {
            kind: {n: round(r / MB, 2) for n, r in sorted(rates[kind].items()) if r > 0} for kind in rates
        },
        "peak_data_mb": round(max(s["kinds"]["data"] for _, s in samples) / MB, 1),
        "run_folder_after_stop_mb": round(sum(left["kinds"].values()) / MB, 1),
        "session_30_min_uncapped_mb": {k: round(v / MB, 1) for k, v in uncapped.items()},
        "session_30_min_mb": {k: round(v / MB, 1) for k, v in at_30.items()},
        "session_30_min_total_mb": round(sum(at_30.values()) / MB, 1),
    }


def capped_run_folder(folder: Path) -> int:
    """A past run folder as it would be with today's caps."""
    total = tree_bytes(folder)
    for kind, cap_mb in (("traces", DEFAULT_TRACES_CAP_MB), ("logs", DEFAULT_LOG_CAP_MB)):
        per: dict[str, int] = {}
        for path in (folder / kind).glob("*") if (folder / kind).is_dir() else []:
            per[stream(path)] = per.get(stream(path), 0) + path.stat().st_blocks * 512
        total -= sum(per.values()) - sum(min(size, cap_mb * MB) for size in per.values())
    return total


def measure_ci(ci_home: Path, ci_cache: Path, session_run_mb: float) -> dict[str, object]:
    """The newest run folder of each scenario under ``ci_home``, capped, plus seed 1's templates.

    A scenario with no run folder there is counted as the largest one that has (at least the
    profile lab's `session_run_mb`, whose load writes the most).
    """
    newest: dict[str, Path] = {}
    for folder in sorted((ci_home / "runs").iterdir()):
        info = folder / "run.json"
        if info.is_file():
            newest[json.loads(info.read_text())["scenario"]] = folder
    runs = {name: capped_run_folder(folder) / MB for name, folder in sorted(newest.items())}
    scenarios = sorted(p.name for p in (ROOT / "scenarios").iterdir() if (p / "scenario.yaml").is_file())
    stand_in = max([*runs.values(), session_run_mb])
    missing = [name for name in scenarios if name not in runs]
    templates = sum(t.bytes for t in list_templates(ci_cache / "postgres") if "-seed1-" in t.name) / MB
    toolchain = sum(tree_bytes(p) for p in ci_cache.iterdir() if p.name != "postgres") / MB
    total = sum(runs.get(name, stand_in) for name in scenarios) + templates + toolchain
    return {
        "ci_home": str(ci_home),
        "runs_mb": {name: round(size, 1) for name, size in runs.items()},
        "scenarios_without_a_run_there": missing,
        "counted_for_each_of_those_mb": round(stand_in, 1),
        "seed_1_templates_mb": round(templates, 1),
        "toolchain_mb": round(toolchain, 1),
        "total_mb": round(total, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default="stale-profile-cache")
    parser.add_argument("--minutes", type=float, default=3.0, help="How long to sample the lab.")
    parser.add_argument("--port-base", type=int, default=17600)
    parser.add_argument(
        "--ci-home", type=Path, help="A state home that ran `chaoslab run --all` (read only)."
    )
    parser.add_argument(
        "--ci-cache", type=Path, default=Path("/var/cache/chaoslab"), help="Its cache home (read only)."
    )
    args = parser.parse_args()
    from chaoslab.homes import cache_home

    with private_home():
        session = measure_session(args.scenario, args.minutes, args.port_base)
        used = list_templates(cache_home() / "postgres")  # the one this lab copied was used last
        session["template_mb"] = round(used[-1].bytes / MB, 1) if used else None
        run_mb = float(session["session_30_min_total_mb"])  # type: ignore[arg-type]
        session["leaves_mb"] = round(run_mb + (used[-1].bytes / MB if used else 0), 1)
    print(f"measured {session['measured_min']} min of {args.scenario}, extrapolated to {SESSION_MIN} min:")
    print(json.dumps(session, indent=2))
    if args.ci_home:
        print("a full CI run (`chaoslab run --all --seed 1`), from its run folders, caps applied:")
        run_mb = float(session["run_folder_after_stop_mb"])  # type: ignore[arg-type]
        print(json.dumps(measure_ci(args.ci_home, args.ci_cache, run_mb), indent=2))


if __name__ == "__main__":
    main()
