"""The feature pipeline: a job that keeps the recommender's user features in Redis fresh."""

from __future__ import annotations

import sys

from chaoslab.specs.catalog.base import LabContext, ServiceDefinition
from chaoslab.specs.catalog.recommender import feature_store_url
from chaoslab.specs.model import ServiceSpec

# Seconds between two rewrites of every user's features.
INTERVAL_S = 5


class Features(ServiceDefinition):
    """Rewrites every user's feature hash (and the popularity sets) every few seconds."""

    name = "features"

    def spec(self, ctx: LabContext) -> ServiceSpec:
        return ServiceSpec(
            name=self.name,
            role="feature pipeline job (user features → Redis)",
            command=[sys.executable, "-m", "services.features.pipeline", "--interval-s", str(INTERVAL_S)],
            cwd=str(ctx.run.source_dir),
            env={
                # The pipeline writes the feature store through the recommender's link to it.
                "CHAOSLAB_REDIS_URL": feature_store_url(ctx),
                "CHAOSLAB_SEED": str(ctx.seed),
                **ctx.app_env(self.name),
            },
            depends_on=["redis", "toxiproxy"],
            restart="always",
        )
