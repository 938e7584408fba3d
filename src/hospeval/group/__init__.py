"""Stage: group."""
