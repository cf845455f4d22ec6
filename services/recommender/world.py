"""The synthetic world the recommender learns from: items, people's hidden tastes, their interactions.

Everything is a pure function of the lab's seed, so the model (trained on the
interactions), the feature pipeline (which summarises them) and the load's
simulated people (who click what matches their taste) all agree on one world
without sharing any file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

ITEMS = 5000
PEOPLE = 200
TASTE_DIMS = 16
HISTORY_LENGTH = 40
# How sharply people's choices follow their taste rather than what is popular.
TASTE_SHARPNESS = 12.0
# A person clicks an item matching their taste this well (cosine) half of the time; the
# steepness makes clicks follow relevance closely, so CTR is steady over a few thousand items.
CLICK_AT_AFFINITY = 0.3
CLICK_STEEPNESS = 0.05
# Items added by the catalogue export v2 that no model trained on v1 has seen.
NEW_ITEMS_IN_V2 = 500


@dataclass(frozen=True)
class World:
    """Item and taste vectors (unit length), item popularity, and each person's history."""

    item_vectors: np.ndarray  # (ITEMS, TASTE_DIMS), row i is item id i + 1
    popularity: np.ndarray  # (ITEMS,), sums to 1
    tastes: np.ndarray  # (PEOPLE, TASTE_DIMS), row p is person id p + 1
    histories: np.ndarray  # (PEOPLE, HISTORY_LENGTH) item ids, oldest first


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


@cache
def world(seed: int) -> World:
    """The world of ``seed``."""
    rng = np.random.default_rng(seed)
    item_vectors = _unit_rows(rng.standard_normal((ITEMS, TASTE_DIMS)))
    # Zipf-like popularity: a few items are seen by everybody, most by few.
    popularity = 1.0 / np.arange(1, ITEMS + 1) ** 0.8
    popularity = popularity[rng.permutation(ITEMS)]
    popularity /= popularity.sum()
    tastes = _unit_rows(rng.standard_normal((PEOPLE, TASTE_DIMS)))
    logits = TASTE_SHARPNESS * tastes @ item_vectors.T + np.log(popularity)
    histories = np.empty((PEOPLE, HISTORY_LENGTH), dtype=np.int64)
    for person, row in enumerate(logits):
        weights = np.exp(row - row.max())
        histories[person] = rng.choice(ITEMS, HISTORY_LENGTH, replace=False, p=weights / weights.sum()) + 1
    return World(item_vectors, popularity, tastes, histories)


def affinity(seed: int, person: int, item_ids: list[int]) -> np.ndarray:
    """How well items match a person's hidden taste (cosine, -1 to 1); unknown items match nothing."""
    w = world(seed)
    ids = np.asarray(item_ids, dtype=np.int64)
    known = (ids >= 1) & (ids <= ITEMS)
    scores = np.zeros(len(ids))
    scores[known] = w.item_vectors[ids[known] - 1] @ w.tastes[person - 1]
    return scores


def click_probability(match: float) -> float:
    """How likely a person clicks a shown item that matches their taste by ``match`` (cosine)."""
    return 1.0 / (1.0 + math.exp(-(match - CLICK_AT_AFFINITY) / CLICK_STEEPNESS))


def item_index(seed: int, version: str) -> list[int]:
    """The catalogue export ``version`` as the model sees it: item ids in row order.

    v1 lists the items by id. v2, the catalogue team's new export, adds new items and
    orders everything by category, so row numbers no longer mean the same items.
    """
    if version == "v1":
        return list(range(1, ITEMS + 1))
    if version == "v2":
        ids = np.arange(1, ITEMS + NEW_ITEMS_IN_V2 + 1)
        category = np.random.default_rng(seed + 2).integers(0, 50, len(ids))
        return [int(i) for i in ids[np.argsort(category, kind="stable")]]
    raise ValueError(f"unknown item index version {version!r}")
