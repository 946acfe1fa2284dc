"""Who changed what, when: an append-only log shown on the timelines."""
