"""Bounded disk: what the lab uses (`usage`), the budget and its LRU eviction, `prune`, log rotation."""
