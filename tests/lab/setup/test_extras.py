"""A part of chaoslab whose extra is not installed says which extra installs it."""

from __future__ import annotations

import pytest

from chaoslab.errors import EnvironmentProblem
from chaoslab.setup.extras import import_extra


def test_a_missing_extra_names_the_pip_command() -> None:
    with pytest.raises(EnvironmentProblem) as raised:
        import_extra("chaoslab_no_such_package.sync_api", extra="browser", needed_by="The browser probe")
    rendered = raised.value.render()
    assert "The browser probe needs the Python package 'chaoslab_no_such_package'" in rendered
    assert "pip install 'chaoslab[browser]'" in rendered


def test_an_installed_extra_is_the_module() -> None:
    assert import_extra("json", extra="none", needed_by="nothing").dumps([]) == "[]"
