"""Stage: reference."""
