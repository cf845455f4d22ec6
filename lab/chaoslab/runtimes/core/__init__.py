"""What every runtime shares: the Runtime interface, the desired-state file and start order,
health and liveness checks, the companion process, the session clock and log rotation."""
