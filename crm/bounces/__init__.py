"""Bounces: delivery status notifications read from a mailbox, and 5xx refusals at send time.

A permanent failure suppresses the address at once; temporary ones are scored and suppress the address after
``SOFT_BOUNCE_THRESHOLD`` of them within ``SOFT_BOUNCE_WINDOW_DAYS``. No web pages: a CLI command and a job.
"""
