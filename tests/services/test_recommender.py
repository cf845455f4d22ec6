"""The recommender and its feature pipeline: the model learns tastes; missing features mean popular items."""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import redis

from chaoslab.releases import apply_patch
from chaoslab.scenarios import SCENARIOS_DIR
from services.features import pipeline
from services.recommender.model import train
from services.recommender.world import (
    ITEMS,
    NEW_ITEMS_IN_V2,
    PEOPLE,
    affinity,
    click_probability,
    item_index,
    world,
)
from tests.real_redis import running_redis

SEED = 3
RENAME_PATCH = (
    SCENARIOS_DIR / "recommender-degradation" / "patches" / "features-v1.5.0-rename-recent-items.patch"
)


def top_k(model, history: np.ndarray, k: int = 10) -> list[int]:
    rows = history - 1
    scores = model.scores(model.user_vector(rows))
    scores[rows] = -np.inf
    return [int(r) + 1 for r in np.argsort(-scores)[:k]]


def test_the_world_is_a_function_of_the_seed() -> None:
    assert np.array_equal(world(SEED).histories, world(SEED).histories)
    assert not np.array_equal(world(SEED).histories, world(SEED + 1).histories)
    assert world(SEED).histories.shape == (PEOPLE, 40)
    assert world(SEED).histories.min() >= 1 and world(SEED).histories.max() <= ITEMS


def test_the_model_ranks_a_persons_hidden_taste_far_above_random_and_popular_items() -> None:
    w = world(SEED)
    model = train(w, SEED)
    popular = [int(i) + 1 for i in np.argsort(-w.popularity)[:10]]
    rng = np.random.default_rng(0)
    ranked, random_items, popular_items = [], [], []
    for person in range(1, PEOPLE + 1):
        ranked.append(affinity(SEED, person, top_k(model, w.histories[person - 1][-20:])).mean())
        random_items.append(affinity(SEED, person, list(rng.integers(1, ITEMS + 1, 10))).mean())
        popular_items.append(affinity(SEED, person, popular).mean())
    # The model only saw interactions, never the tastes: it learned them.
    assert np.mean(ranked) > 0.3
    assert abs(np.mean(random_items)) < 0.05 and abs(np.mean(popular_items)) < 0.1
    assert np.mean(np.array(ranked) > np.array(random_items)) > 0.95


def test_simulated_people_click_what_matches_their_taste() -> None:
    assert click_probability(0.6) > 0.99
    assert click_probability(0.3) == pytest.approx(0.5)
    assert click_probability(0.0) < 0.01
    assert all(0 <= click_probability(m) <= 1 for m in (-1.0, 1.0))
    assert math.isclose(affinity(SEED, 1, [ITEMS + 1])[0], 0.0)  # an item nobody knows matches nobody


def test_item_index_v2_reorders_the_catalogue_and_adds_items() -> None:
    v1, v2 = item_index(SEED, "v1"), item_index(SEED, "v2")
    assert v1 == list(range(1, ITEMS + 1))
    assert sorted(v2) == list(range(1, ITEMS + NEW_ITEMS_IN_V2 + 1))
    # Row r no longer means the same item: the model's scores land on other items.
    assert sum(a == b for a, b in zip(v1, v2, strict=False)) < ITEMS // 100
    with pytest.raises(ValueError, match="v3"):
        item_index(SEED, "v3")


def test_the_renamed_feature_release_changes_only_the_field_name(tmp_path: Path) -> None:
    shutil.copytree(Path(pipeline.__file__).parent, tmp_path / "services" / "features")
    apply_patch(tmp_path, RENAME_PATCH)
    patched = load_module(tmp_path / "services" / "features" / "pipeline.py")
    before, after = (
        pipeline.user_features(world(SEED).histories[0]),
        patched.user_features(world(SEED).histories[0]),
    )
    assert "recent_items" in before and "recent_items" not in after
    assert after["recent_item_ids"] == before["recent_items"]


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("patched_pipeline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- with a real Redis ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    from tests.conftest import free_port_base

    with running_redis(free_port_base(), tmp_path_factory.mktemp("redis")) as client:
        yield client


@pytest.fixture(scope="module")
def recommender(store: redis.Redis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    artifacts = tmp_path_factory.mktemp("artifacts")
    for version in ("v1", "v2"):
        index = {"version": version, "items": item_index(SEED, version)}
        (artifacts / f"item-index-{version}.json").write_text(json.dumps(index))
    saved = dict(os.environ)
    os.environ.update({"CHAOSLAB_SEED": str(SEED), "RECOMMENDER_ARTIFACTS_DIR": str(artifacts)})
    try:
        app = importlib.import_module("services.recommender.app")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    real_store = app.store
    app.store = store
    yield app
    app.store = real_store


def metric(app: ModuleType, name: str, **labels: str) -> float:
    text = app.app.test_client().get("/metrics").get_data(as_text=True)
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.integration
def test_with_the_pipelines_features_the_model_personalises(
    store: redis.Redis, recommender: ModuleType
) -> None:
    pipeline.write_popularity(store, SEED)
    assert pipeline.write_features(store, SEED) == PEOPLE
    assert store.ttl("features:user:7") > 0 and store.ttl("popularity:top") == -1
    fallbacks = metric(recommender, "recommender_fallbacks_total")

    client = recommender.app.test_client()
    answers = {p: client.get(f"/recommendations/{p}").get_json()["items"] for p in range(1, 21)}

    assert metric(recommender, "recommender_fallbacks_total") == fallbacks
    assert all(len(items) == 10 for items in answers.values())
    assert len({tuple(items) for items in answers.values()}) == 20  # everybody gets their own
    matches = [affinity(SEED, p, items).mean() for p, items in answers.items()]
    assert np.mean(matches) > 0.3


@pytest.mark.integration
def test_without_features_it_falls_back_to_popular_items_after_a_second_look(
    store: redis.Redis, recommender: ModuleType
) -> None:
    pipeline.write_popularity(store, SEED)
    pipeline.write_features(store, SEED)
    store.delete("features:user:5")
    missing = metric(
        recommender, "recommender_fallbacks_total", recommender_fallback_reason="features_missing"
    )

    started = time.monotonic()
    answer = recommender.app.test_client().get("/recommendations/5?k=5")
    elapsed = time.monotonic() - started

    assert answer.status_code == 200  # silent: no error
    top = [int(i) for i in store.zrevrange("popularity:top", 0, 4)]
    assert answer.get_json()["items"] == top
    assert elapsed >= recommender.FEATURE_RETRY_BACKOFF_S
    assert (
        metric(recommender, "recommender_fallbacks_total", recommender_fallback_reason="features_missing")
        == missing + 1
    )
    assert metric(recommender, "recommender_feature_lookups_total", feature_status="missing") >= 2


@pytest.mark.integration
def test_a_renamed_field_reads_as_missing_features(store: redis.Redis, recommender: ModuleType) -> None:
    pipeline.write_popularity(store, SEED)
    features = pipeline.user_features(world(SEED).histories[8])
    store.delete("features:user:9")
    store.hset("features:user:9", mapping={"recent_item_ids": features["recent_items"]})

    rows, status = recommender.model_rows(9, recommender.INDEXES["v1"])

    assert rows is None and status == "missing"


@pytest.mark.integration
def test_with_item_index_v2_most_histories_name_items_the_model_cannot_place(
    store: redis.Redis, recommender: ModuleType
) -> None:
    pipeline.write_features(store, SEED)
    v1, v2 = recommender.INDEXES["v1"], recommender.INDEXES["v2"]
    assert recommender.deployed_index() is v1  # the flag is off by default

    statuses = [recommender.model_rows(p, v2)[1] for p in range(1, PEOPLE + 1)]

    assert all(recommender.model_rows(p, v1)[1] == "found" for p in range(1, 21))
    assert 0.7 < statuses.count("unknown_items") / PEOPLE < 0.98
    # The rest are ranked by the model through the wrong rows: items that miss their taste.
    person = statuses.index("found") + 1
    rows, _ = recommender.model_rows(person, v2)
    wrong = recommender.ranked_by_model(rows, 10, v2)
    right = recommender.ranked_by_model(recommender.model_rows(person, v1)[0], 10, v1)
    assert affinity(SEED, person, right).mean() > affinity(SEED, person, wrong).mean() + 0.2


@pytest.mark.integration
def test_the_pipeline_reports_a_full_store_and_keeps_running(store: redis.Redis) -> None:
    pipeline.write_popularity(store, SEED)
    store.config_set("maxmemory-policy", "volatile-lru")
    store.config_set("maxmemory", "1mb")
    try:
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            pipeline.write_features(store, SEED)
        pipeline.run(store, SEED, interval_s=0, cycles=1)  # logs the refusal, does not raise
        assert not store.exists("features:user:1")
    finally:
        store.config_set("maxmemory", "0")
        store.config_set("maxmemory-policy", "noeviction")
    assert pipeline.write_features(store, SEED) == PEOPLE


@pytest.mark.integration
def test_model_info_names_both_versions(recommender: ModuleType) -> None:
    text = recommender.app.test_client().get("/metrics").get_data(as_text=True)
    info = next(line for line in text.splitlines() if line.startswith("recommender_model_info{"))
    assert re.search(r'model_version="v1"', info) and re.search(r'index_version="v1"', info)
