"""Stage: present."""
