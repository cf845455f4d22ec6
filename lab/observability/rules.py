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
HTTP = "http_server_request_duration_seconds"

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
