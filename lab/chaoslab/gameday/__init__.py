"""Game days: a trainer's plan of rounds and teams, run unattended, scored on a board."""
