"""Finding and installing the real programs the lab runs."""

from lab.setup.binaries import BINARIES, find_binary, install_missing, missing_binaries

__all__ = ["BINARIES", "find_binary", "install_missing", "missing_binaries"]
