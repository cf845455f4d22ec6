"""Who exists in the seeded profile database, and which users the load may touch."""

# Must match :users in seed.sql (a test checks it).
SEEDED_USERS = 10_000
# The load reads and writes only users up to here; the ones above are the consistency
# probe's, so that each of its keys has exactly one writer and no cold-cache reader.
LOAD_POPULATION = 9_000
