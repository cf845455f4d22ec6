"""Observability of the lab: Prometheus config, recording and alerting rules, queries."""
