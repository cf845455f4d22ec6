"""Finding and installing the real programs the lab runs."""

from chaoslab.setup.binaries import BINARIES, find_binary, install_missing, missing_binaries

__all__ = ["BINARIES", "find_binary", "install_missing", "missing_binaries"]
