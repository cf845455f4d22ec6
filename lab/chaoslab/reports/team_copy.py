"""The team's copy of a post-mortem: refreshed from the draft until a person edits it, then theirs.

``postmortem.md`` is made from the draft when absent, refreshed while it still holds exactly
what chaoslab last wrote into it (its digest is kept beside it), and never overwritten once a
person edited it: kept, or with ``--force`` moved to a ``.bak`` first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chaoslab.atomic import write_atomically

DRAFT_NAME = "postmortem.draft.md"
TEAM_COPY_NAME = "postmortem.md"
# The digest of what chaoslab last wrote into the team's copy: a copy that differs was edited.
DIGEST_NAME = ".postmortem.md.sha256"


@dataclass
class ReportFiles:
    """Where a report was written, and what became of the team's copy."""

    markdown: Path  # the generated draft, rewritten every time
    html: Path
    graphs: list[Path]
    team_copy: Path
    # The team's copy was edited since chaoslab wrote it, and left as it is.
    team_copy_kept: bool = False
    # Where `force` moved an edited team's copy before putting the fresh draft in its place.
    backup: Path | None = None

    def notice(self) -> str | None:
        """One line (and its Hint) when the team's copy was kept or moved aside; None otherwise."""
        if self.team_copy_kept:
            return (
                f"Kept {self.team_copy}: it was edited since chaoslab wrote it, so the fresh draft went "
                f"to {self.markdown.name} only.\n"
                f"Hint: read or diff {self.markdown}; `chaoslab report [RUN] --force` moves your copy to "
                f"{TEAM_COPY_NAME}.<timestamp>.bak and puts the fresh draft in its place."
            )
        if self.backup is not None:
            return (
                f"Moved your edited copy to {self.backup} and put the fresh draft in {self.team_copy}.\n"
                f"Hint: carry your edits over from {self.backup.name}, e.g. with `diff -u`."
            )
        return None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _backup_name(copy: Path) -> Path:
    """``postmortem.md.<UTC timestamp>.bak``, numbered when a backup of that second exists."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = copy.with_name(f"{copy.name}.{stamp}.bak")
    number = 1
    while backup.exists():
        number += 1
        backup = copy.with_name(f"{copy.name}.{stamp}-{number}.bak")
    return backup


def refresh_team_copy(draft: Path, copy: Path, *, force: bool) -> tuple[bool, Path | None]:
    """Put the draft into the team's copy unless a person edited it; (kept, backup).

    The copy is the team's once it no longer holds what chaoslab last wrote into it (the
    digest beside it), or when no digest says what that was (a copy written by hand, or by an
    older chaoslab): then it is kept, or with ``force`` moved to a ``.bak`` first.
    """
    record = copy.with_name(DIGEST_NAME)
    backup = None
    if copy.exists():
        written = record.read_text().strip() if record.exists() else None
        current = _digest(copy)
        if current not in (written, _digest(draft)):
            if not force:
                return True, None
            backup = _backup_name(copy)
            copy.rename(backup)
    write_atomically(copy, draft.read_text())
    write_atomically(record, _digest(copy) + "\n")
    return False, backup
