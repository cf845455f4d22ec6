"""The recommender: a matrix-factorisation model served by Flask + gunicorn, fed by a Redis feature store."""

from __future__ import annotations

import json
from pathlib import Path

from chaoslab.shipped import service_module
from chaoslab.specs.catalog.base import GunicornApp, LabContext, ScrapeJob
from chaoslab.specs.catalog.redis import redis_url
from chaoslab.specs.model import Link

# This service's home: its rules and its load live beside this file.
HOME = Path(__file__).resolve().parent

# One worker so /metrics sees every request (and the model is trained once).
GUNICORN_THREADS = 8
ITEM_INDEX_VERSIONS = ("v1", "v2")


def feature_store_url(ctx: LabContext) -> str:
    """The feature store (the lab's Redis) as the recommender and the feature pipeline reach it."""
    return redis_url(ctx.ports["recommender-redis"], ctx.run.secrets.redis)


class Recommender(GunicornApp):
    """Top-k recommendations per user; popular items when it has no features for the user."""

    name = "recommender"
    role = "recommendations API, MF model + Redis feature store (Flask + gunicorn)"
    threads = GUNICORN_THREADS
    depends_on = ("redis", "toxiproxy")
    web = "the recommender's HTTP API (/recommendations/<user>)"
    ports = {"recommender": 16, "recommender-redis": 27}
    scrape = ScrapeJob("recommender")
    rules = HOME / "rules.yml"
    locustfile = HOME / "locustfile.py"

    def prepare(self, ctx: LabContext) -> None:
        # The catalogue team's exports, as deployed artifacts: the model was trained on v1.
        item_index = service_module("services.recommender.world").item_index

        artifacts = ctx.run.data_dir / "recommender"
        artifacts.mkdir(exist_ok=True)
        for version in ITEM_INDEX_VERSIONS:
            index = {"version": version, "items": item_index(ctx.seed, version)}
            (artifacts / f"item-index-{version}.json").write_text(json.dumps(index))

    def links(self, ctx: LabContext) -> list[Link]:
        return [ctx.link("recommender-redis", "redis")]

    def env(self, ctx: LabContext) -> dict[str, str]:
        return {
            "CHAOSLAB_REDIS_URL": feature_store_url(ctx),
            "CHAOSLAB_SEED": str(ctx.seed),
            **ctx.traced("recommender"),
            "RECOMMENDER_ARTIFACTS_DIR": str(ctx.run.data_dir / "recommender"),
            "CHAOSLAB_FLAGS_FILE": str(ctx.run.config_dir / "flags.json"),
            # numpy's BLAS would start a thread per core for each tiny matrix product.
            "OPENBLAS_NUM_THREADS": "1",
            # A missing feature is looked up once more after this pause, then popularity is read:
            # three round trips to the feature store instead of one (the fallback's latency).
            "RECOMMENDER_FEATURE_RETRY_BACKOFF_S": "0.02",
        }
