"""The e-commerce API used by the database-connection-exhaustion scenario."""
