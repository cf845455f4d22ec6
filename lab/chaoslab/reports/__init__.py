"""Reports: what a run saw, rendered for people (terminal tables now, post-mortems later)."""
