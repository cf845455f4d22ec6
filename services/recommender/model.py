"""The recommendation model: implicit matrix factorisation (ALS) trained with numpy at start."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.recommender.world import ITEMS, World

FACTORS = 16
REGULARISATION = 0.1
ITERATIONS = 8
# Weight of an observed interaction against an unobserved one (implicit feedback).
CONFIDENCE = 20.0


@dataclass(frozen=True)
class Model:
    """Item factors in catalogue-v1 row order, and the matrix that folds a history into a user vector."""

    version: str
    item_factors: np.ndarray  # (ITEMS, FACTORS)
    fold_in: np.ndarray  # (FACTORS, FACTORS)

    @property
    def rows(self) -> int:
        return len(self.item_factors)

    def user_vector(self, history_rows: np.ndarray) -> np.ndarray:
        """A user's factors from the rows of the items they interacted with (the ALS user step)."""
        return self.fold_in @ (CONFIDENCE * self.item_factors[history_rows].sum(axis=0))

    def scores(self, user: np.ndarray) -> np.ndarray:
        """Predicted preference of the user for every row of the catalogue."""
        return self.item_factors @ user


def _solve_side(fixed: np.ndarray, interactions: np.ndarray) -> np.ndarray:
    # Hu, Koren & Volinsky's implicit ALS with binary preferences, confidence 1 + CONFIDENCE on
    # observed pairs: every row's system shares fixed.T @ fixed, plus its own observed rows.
    gram = fixed.T @ fixed
    out = np.empty((interactions.shape[0], fixed.shape[1]))
    for row, observed in enumerate(interactions):
        seen = fixed[observed]
        system = gram + CONFIDENCE * seen.T @ seen + REGULARISATION * np.eye(fixed.shape[1])
        out[row] = np.linalg.solve(system, (1 + CONFIDENCE) * seen.sum(axis=0))
    return out


def train(world: World, seed: int, version: str = "v1") -> Model:
    """Fit item factors to the world's interaction histories (rows = catalogue v1: item id - 1)."""
    rng = np.random.default_rng(seed + 1)
    observed = np.zeros((len(world.histories), ITEMS), dtype=bool)
    for person, history in enumerate(world.histories):
        observed[person, history - 1] = True
    items = rng.standard_normal((ITEMS, FACTORS)) * 0.1
    for _ in range(ITERATIONS):
        users = _solve_side(items, observed)
        items = _solve_side(users, observed.T)
    gram = items.T @ items
    # The user step for a new history without its per-item confidence term: a fixed matrix.
    fold_in = np.linalg.inv(gram + REGULARISATION * np.eye(FACTORS))
    return Model(version=version, item_factors=items, fold_in=fold_in)
