"""Recording and alerting rules per service; alert names follow the chapter.

The chapter writes its alerts as API_Service.P99_Latency, Database_Connection_Pool_Usage
and HTTP_5xx_Error_Rate; Prometheus names cannot hold dots, so they become
APIServiceP99Latency and so on, and the chapter's name is kept in an annotation.
Recording rules give each key signal a short name that alerts, probes and
learners share (`chaoslab query 'shop:http_p99_seconds'`).
"""

from __future__ import annotations

from typing import Any

WINDOW = "20s"
SLOW_WINDOW = "1m"
HTTP = "http_server_request_duration_seconds"
RELEVANCE_WINDOW = "30s"
RECOMMENDATIONS = 'http_route="/recommendations/<int:user_id>",http_request_method="GET"'

CHECKOUT_ROUTE = 'http_route="/checkout/<int:user_id>"'
CHECKOUT_WINDOW = "30s"

RECORDING_RULES: dict[str, list[dict[str, str]]] = {
    "shop": [
        {
            "record": "shop:http_p99_seconds",
            "expr": f'histogram_quantile(0.99, sum by (le) (rate({HTTP}_bucket{{job="shop"}}[{WINDOW}])))',
        },
        {
            "record": "shop:http_requests_per_second",
            "expr": f'sum(rate({HTTP}_count{{job="shop"}}[{WINDOW}]))',
        },
        {
            "record": "shop:http_5xx_ratio",
            "expr": (
                f'(sum(rate({HTTP}_count{{job="shop",http_response_status_code=~"5.."}}[{WINDOW}]))'
                f" or vector(0))"
                f' / sum(rate({HTTP}_count{{job="shop"}}[{WINDOW}]))'
            ),
        },
        {
            "record": "shop:db_pool_usage_ratio",
            "expr": (
                'sum(db_client_connection_count{job="shop",db_client_connection_state="used"})'
                ' / sum(db_client_connection_max{job="shop"})'
            ),
        },
        {
            "record": "shop:db_pool_pending_requests",
            "expr": 'sum(db_client_connection_pending_requests{job="shop"})',
        },
    ],
    # Service health only, as in the chapter: nothing here measures whether the data is right.
    # Over a minute, not 20 s: no scenario needs the profile alerts fast, and a busy machine
    # must not page for a few slow seconds (this is the incident that does not page).
    "profile": [
        {
            "record": "profile:http_p99_seconds",
            "expr": (
                f'histogram_quantile(0.99, sum by (le) (rate({HTTP}_bucket{{job="profile"}}[{SLOW_WINDOW}])))'
            ),
        },
        {
            "record": "profile:http_requests_per_second",
            "expr": f'sum(rate({HTTP}_count{{job="profile"}}[{WINDOW}]))',
        },
        {
            "record": "profile:http_5xx_ratio",
            "expr": (
                f'(sum(rate({HTTP}_count{{job="profile",http_response_status_code=~"5.."}}[{SLOW_WINDOW}]))'
                f" or vector(0))"
                f' / sum(rate({HTTP}_count{{job="profile"}}[{SLOW_WINDOW}]))'
            ),
        },
        {
            "record": "profile:cache_hit_ratio",
            "expr": (
                f'sum(rate(cache_hits_total{{job="profile"}}[{WINDOW}])) / '
                f'(sum(rate(cache_hits_total{{job="profile"}}[{WINDOW}]))'
                f' + sum(rate(cache_misses_total{{job="profile"}}[{WINDOW}])))'
            ),
        },
    ],
    # The frontend's own timings start when a request thread picks the request up: a request
    # queued behind hung ones is not in them. Busy threads and JS errors are what show it.
    "frontend": [
        {
            "record": "frontend:api_p99_seconds",
            "expr": (
                f"histogram_quantile(0.99, sum by (le) "
                f'(rate({HTTP}_bucket{{job="frontend",http_route!="/api/share"}}[{WINDOW}])))'
            ),
        },
        {
            "record": "frontend:share_p99_seconds",
            "expr": (
                f"histogram_quantile(0.99, sum by (le) "
                f'(rate({HTTP}_bucket{{job="frontend",http_route="/api/share"}}[1m])))'
            ),
        },
        {
            "record": "frontend:http_requests_per_second",
            "expr": f'sum(rate({HTTP}_count{{job="frontend"}}[{WINDOW}]))',
        },
        {
            "record": "frontend:http_5xx_ratio",
            "expr": (
                f'(sum(rate({HTTP}_count{{job="frontend",http_response_status_code=~"5.."}}[1m]))'
                f" or vector(0))"
                f' / sum(rate({HTTP}_count{{job="frontend"}}[1m]))'
            ),
        },
        {
            "record": "frontend:busy_worker_ratio",
            "expr": (
                'sum(http_server_active_requests{job="frontend"})'
                ' / sum(frontend_worker_threads{job="frontend"})'
            ),
        },
        {
            "record": "frontend:js_errors_per_minute",
            "expr": 'sum(increase(frontend_client_errors_total{job="frontend"}[1m]))',
        },
    ],
    # Relevance is only visible in the service's own signals (click-through, fallbacks, missing
    # features). 30 s windows: clicks are random, and a window holds ~6000 impressions.
    "recommender": [
        {
            "record": "recommender:http_p99_seconds",
            "expr": (
                f"histogram_quantile(0.99, sum by (le) "
                f'(rate({HTTP}_bucket{{job="recommender",{RECOMMENDATIONS}}}[{RELEVANCE_WINDOW}])))'
            ),
        },
        {
            "record": "recommender:http_requests_per_second",
            "expr": f'sum(rate({HTTP}_count{{job="recommender"}}[{WINDOW}]))',
        },
        {
            "record": "recommender:http_5xx_ratio",
            "expr": (
                f'(sum(rate({HTTP}_count{{job="recommender",http_response_status_code=~"5.."}}[{WINDOW}]))'
                f" or vector(0))"
                f' / sum(rate({HTTP}_count{{job="recommender"}}[{WINDOW}]))'
            ),
        },
        {
            "record": "recommender:ctr",
            "expr": (
                f'sum(rate(recommender_clicks_total{{job="recommender"}}[{RELEVANCE_WINDOW}]))'
                f' / sum(rate(recommender_impressions_total{{job="recommender"}}[{RELEVANCE_WINDOW}]))'
            ),
        },
        {
            "record": "recommender:fallback_ratio",
            "expr": (
                f'sum(rate(recommender_fallbacks_total{{job="recommender"}}[{RELEVANCE_WINDOW}]))'
                f' / sum(rate({HTTP}_count{{job="recommender",{RECOMMENDATIONS}}}[{RELEVANCE_WINDOW}]))'
            ),
        },
        {
            "record": "recommender:feature_missing_ratio",
            "expr": (
                f"sum(rate(recommender_feature_lookups_total"
                f'{{job="recommender",feature_status="missing"}}[{RELEVANCE_WINDOW}]))'
                f' / sum(rate(recommender_feature_lookups_total{{job="recommender"}}[{RELEVANCE_WINDOW}]))'
            ),
        },
        {
            "record": "recommender:cpu_cores",
            "expr": f'sum(rate(process_cpu_seconds_total{{job="recommender"}}[{WINDOW}]))',
        },
    ],
    # What the shopper sees of the checkout service is the shop's /checkout route. 30 s windows:
    # a crash loop's 503s come in bursts a few seconds long, every 10 to 20 s.
    "checkout": [
        {
            "record": "shop:checkout_5xx_ratio",
            "expr": (
                f'(sum(rate({HTTP}_count{{job="shop",{CHECKOUT_ROUTE},http_response_status_code=~"5.."}}'
                f"[{CHECKOUT_WINDOW}])) or vector(0))"
                f' / sum(rate({HTTP}_count{{job="shop",{CHECKOUT_ROUTE}}}[{CHECKOUT_WINDOW}]))'
            ),
        },
        {
            "record": "shop:checkout_requests_per_second",
            "expr": f'sum(rate({HTTP}_count{{job="shop",{CHECKOUT_ROUTE}}}[{WINDOW}]))',
        },
        {
            # The chapter's "API latency is normal": every route of the shop but /checkout.
            "record": "shop:api_p99_seconds",
            "expr": (
                f"histogram_quantile(0.99, sum by (le) "
                f'(rate({HTTP}_bucket{{job="shop",http_route!~"/checkout.*"}}[{CHECKOUT_WINDOW}])))'
            ),
        },
        {
            # The worker's resident memory (the process that serves /metrics): a leak's saw-tooth.
            "record": "checkout:memory_rss_bytes",
            "expr": 'max(process_resident_memory_bytes{job="checkout"})',
        },
        {
            # Each restart is a new process start time (what kube-state-metrics counts as restarts).
            "record": "checkout:restarts_1m",
            "expr": 'changes(process_start_time_seconds{job="checkout"}[1m])',
        },
    ],
}

ALERT_RULES: dict[str, list[dict[str, Any]]] = {
    "shop": [
        {
            "alert": "APIServiceP99Latency",
            "expr": "shop:http_p99_seconds > 0.25",
            "for": "4s",
            "labels": {"severity": "page", "service": "shop"},
            "annotations": {
                "chapter_name": "API_Service.P99_Latency",
                "summary": "Shop API P99 latency is {{ $value | humanizeDuration }} (normal: under 50ms).",
            },
        },
        {
            "alert": "DatabaseConnectionPoolUsage",
            "expr": "avg_over_time(shop:db_pool_usage_ratio[10s]) >= 0.9",
            "for": "4s",
            "labels": {"severity": "page", "service": "shop"},
            "annotations": {
                "chapter_name": "Database_Connection_Pool_Usage",
                "summary": "Shop database connection pool usage at {{ $value | humanizePercentage }}.",
            },
        },
        {
            "alert": "HTTP5xxErrorRate",
            "expr": "shop:http_5xx_ratio > 0.01",
            "for": "4s",
            "labels": {"severity": "warning", "service": "shop"},
            "annotations": {
                "chapter_name": "HTTP_5xx_Error_Rate",
                "summary": "Shop API 5xx error rate is {{ $value | humanizePercentage }}.",
            },
        },
    ],
    "profile": [
        {
            "alert": "ProfileAPIP99Latency",
            "expr": "profile:http_p99_seconds > 1",
            "for": "30s",
            "labels": {"severity": "page", "service": "profile"},
            "annotations": {
                "chapter_name": "API_Service.P99_Latency",
                "summary": "Profile API P99 latency is {{ $value | humanizeDuration }} (normal: ~50ms).",
            },
        },
        {
            "alert": "ProfileHTTP5xxErrorRate",
            "expr": "profile:http_5xx_ratio > 0.05",
            "for": "30s",
            "labels": {"severity": "warning", "service": "profile"},
            "annotations": {
                "chapter_name": "HTTP_5xx_Error_Rate",
                "summary": "Profile API 5xx error rate is {{ $value | humanizePercentage }}.",
            },
        },
    ],
    "frontend": [
        {
            "alert": "FrontendJSErrorRate",
            # Normal is none at all: each one is a person whose page broke.
            "expr": "frontend:js_errors_per_minute > 0",
            "for": "4s",
            "labels": {"severity": "warning", "service": "frontend"},
            "annotations": {
                "chapter_name": "Frontend application error rate (JavaScript errors)",
                "summary": "The page reported {{ $value | humanize }} JavaScript errors in the last minute "
                "(normal: none).",
            },
        },
    ],
    # The usual service-health alerts, and nothing on relevance: as in the chapter, the
    # recommender's own health stays green while its recommendations get worse.
    "recommender": [
        {
            "alert": "RecommenderP99Latency",
            "expr": "recommender:http_p99_seconds > 0.5",
            "for": "10s",
            "labels": {"severity": "page", "service": "recommender"},
            "annotations": {
                "chapter_name": "API_Service.P99_Latency",
                "summary": "Recommender P99 latency is {{ $value | humanizeDuration }} (normal: ~100ms).",
            },
        },
        {
            "alert": "RecommenderHTTP5xxErrorRate",
            "expr": "recommender:http_5xx_ratio > 0.01",
            "for": "10s",
            "labels": {"severity": "warning", "service": "recommender"},
            "annotations": {
                "chapter_name": "HTTP_5xx_Error_Rate",
                "summary": "Recommender 5xx error rate is {{ $value | humanizePercentage }}.",
            },
        },
    ],
    "checkout": [
        {
            "alert": "CheckoutServiceRestarts",
            # More than one start a minute: a deploy alone is one, a crash loop more.
            "expr": "checkout:restarts_1m > 1",
            "for": "0s",
            "labels": {"severity": "warning", "service": "checkout"},
            "annotations": {
                "chapter_name": "checkout-service container restarts",
                "summary": "The checkout service started {{ $value }} times in the last minute.",
            },
        },
    ],
}


def rules_for(services: list[str]) -> dict[str, Any]:
    """The Prometheus rules file for a lab made of ``services``."""
    groups = []
    for service in services:
        if service in RECORDING_RULES:
            groups.append({"name": f"{service}-signals", "rules": RECORDING_RULES[service]})
        if service in ALERT_RULES:
            groups.append({"name": f"{service}-alerts", "rules": ALERT_RULES[service]})
    return {"groups": groups}


def alert_names(services: list[str]) -> list[str]:
    """Every alert a lab of ``services`` can fire."""
    return [rule["alert"] for s in services for rule in ALERT_RULES.get(s, [])]
