"""Demo province generator and end-to-end run."""
