"""Observability and feature flags shared by every lab service."""
