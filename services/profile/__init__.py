"""The user-profile API used by the stale-profile-cache scenario."""
