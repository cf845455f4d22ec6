"""A bare local runtime on free ports, for tests that bring up their own specs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lab import PROJECT_ROOT
from lab.runs import Run
from lab.runtimes.local.runtime import LocalRuntime


@pytest.fixture
def runtime(port_base: int) -> Iterator[LocalRuntime]:
    """A local runtime of a throwaway run; everything it started is down after the test."""
    run = Run.create(
        scenario="runtime-test",
        seed=1,
        variant="none",
        runtime="local",
        port_base=port_base,
        root=PROJECT_ROOT,
    )
    rt = LocalRuntime(run)
    yield rt
    rt.down()
