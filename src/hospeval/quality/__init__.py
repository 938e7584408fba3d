"""Stage: quality."""
