"""Stage: payment."""
