"""The running lab's own API: its status, alerts, PromQL and verdict, answered over a Unix socket in
the run's folder by a process that keeps the lab loaded (`server.py`), started and stopped with the
lab. The CLI asks it first (`client.py`, the standard library only) and starts in a tenth of a
second instead of loading the schema and the lab for every call; without it, the CLI works the
answer out itself (`answers.py`, the one implementation of both). The web console and agents to
come are meant to ask the same endpoints.
"""
