"""The category names seed.sql generates; the load generator browses the same ones."""

# Must match the departments array in seed.sql (a test checks it).
DEPARTMENTS = (
    "electronics", "books", "clothing", "home", "garden", "toys", "sports", "beauty",
    "grocery", "automotive", "music", "movies", "office", "pets", "health", "jewelry",
    "shoes", "tools", "baby", "outdoors",
)  # fmt: skip
CATEGORIES_PER_DEPARTMENT = 50


def category_names() -> list[str]:
    """All 1000 categories, e.g. `electronics-0042`."""
    return [f"{d}-{n:04d}" for d in DEPARTMENTS for n in range(1, CATEGORIES_PER_DEPARTMENT + 1)]
