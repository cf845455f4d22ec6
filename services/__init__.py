"""Services that chaoslab runs and breaks: each is a small, instrumented web app."""
