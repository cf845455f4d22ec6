"""Which seeds a repeat runs: a count, a range, or the seeds that draw one variant."""

from __future__ import annotations

import re

from chaoslab.errors import UsageError
from chaoslab.scenarios import Scenario

DEFAULT_RUNS = 10


# A typo like 1-100000 would mean weeks of runs; a real repeat is tens of seeds.
MAX_RUNS = 1000


def parse_seed_range(text: str) -> list[int]:
    """``A-B`` (inclusive) or a single ``A`` as a list of seeds; anything else is a UsageError."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not match:
        raise UsageError(
            f"--seeds {text!r} is not a range of seeds.", hint="write it as A-B, e.g. --seeds 1-10."
        )
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise UsageError(
            f"--seeds {text!r} ends before it starts.", hint=f"write the smaller seed first: {last}-{first}."
        )
    if last - first + 1 > MAX_RUNS:
        raise UsageError(
            f"--seeds {text!r} is {last - first + 1} runs, more than {MAX_RUNS}.",
            hint="repeat on a smaller range.",
        )
    return list(range(first, last + 1))


def select_seeds(
    scenario: Scenario, *, runs: int | None = None, seeds: str | None = None, variant: str | None = None
) -> list[int]:
    """The seeds to run: 1..runs, or the ``seeds`` range; with ``variant``, only seeds that draw it.

    With a variant and no range, seeds are walked upward from 1 until ``runs`` of them
    draw it, so ``--runs 10 --variant X`` is ten runs of X.
    """
    if runs is not None and seeds is not None:
        raise UsageError(
            "Give --runs or --seeds, not both.", hint="--seeds A-B runs seeds A to B; --runs N runs 1 to N."
        )
    count = DEFAULT_RUNS if runs is None else runs
    if not 1 <= count <= MAX_RUNS:
        raise UsageError(f"--runs must be between 1 and {MAX_RUNS}.", hint="e.g. --runs 10.")
    known = [v.id for v in scenario.variants]
    if variant is not None and variant not in known:
        raise UsageError(
            f"Scenario {scenario.id} has no variant {variant!r}.", hint=f"known variants: {', '.join(known)}."
        )

    def draws(seed: int) -> bool:
        return variant is None or scenario.variant(seed).id == variant

    if seeds is not None:
        chosen = [s for s in parse_seed_range(seeds) if draws(s)]
        if not chosen:
            some = [s for s in range(1, 10 * len(known) + 1) if draws(s)][:5]
            raise UsageError(
                f"No seed in {seeds} draws variant {variant} of {scenario.id}.",
                hint=f"seeds that draw it: {', '.join(map(str, some))}, …; or drop --seeds.",
            )
        return chosen
    chosen = []
    seed = 1
    # Variants are drawn cyclically, so this finds `count` seeds long before the bound.
    while len(chosen) < count and seed <= count * len(known) * 10 + 100:
        if draws(seed):
            chosen.append(seed)
        seed += 1
    if len(chosen) < count:
        raise UsageError(f"Found only {len(chosen)} seeds drawing variant {variant} of {scenario.id}.")
    return chosen
