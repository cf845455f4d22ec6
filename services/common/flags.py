"""Feature flags: OpenFeature with flagd's in-process provider reading a flag-definition file."""

import logging
import os
import threading

from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType

# In FILE mode flagd's FileWatcher re-stats the file every `deadline_ms` (its README's "5 s"
# is stale): passing it explicitly keeps FLAGD_DEADLINE_MS in the environment from changing it.
FLAGS_POLL_MS = 500

log = logging.getLogger(__name__)
_lock = threading.RLock()
_client: OpenFeatureClient | None = None


def use_flags_file(path: str | None, poll_ms: int = FLAGS_POLL_MS) -> OpenFeatureClient:
    """Bind OpenFeature to flagd reading `path` (no path: every flag takes its default)."""
    global _client
    with _lock:
        if path:
            provider = FlagdProvider(
                resolver_type=ResolverType.FILE, offline_flag_source_path=path, deadline_ms=poll_ms
            )
            try:
                api.set_provider_and_wait(provider)
            except Exception:
                # flagd keeps polling: the flags apply as soon as a valid file shows up.
                log.warning("flag file not readable yet, using defaults", extra={"path": path})
        else:
            api.clear_providers()
        _client = api.get_client()
        return _client


def flag_enabled(name: str, default: bool = False) -> bool:
    """Whether boolean flag `name` currently resolves to true."""
    client = _client
    if client is None:
        with _lock:
            client = _client or use_flags_file(os.environ.get("CHAOSLAB_FLAGS_FILE"))
    return client.get_boolean_value(name, default)
