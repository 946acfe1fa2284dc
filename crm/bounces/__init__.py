"""Bounces: delivery status notifications read from a mailbox, and 5xx refusals at send time.

A permanent failure suppresses the address at once; temporary ones are scored and suppress the address after
``SOFT_BOUNCE_THRESHOLD`` of them within ``SOFT_BOUNCE_WINDOW_DAYS``. No web pages: a CLI command and a job.
"""

from crm.bounces import cli, jobs, services
from crm.extensions import Feature, Job, PrivacyTable

feature = Feature(
    name="bounces",
    commands=[cli.bounces_cli],
    jobs=[Job("bounce_ingest", jobs.ingest_bounces, {"minutes": 15})],
    privacy=[PrivacyTable("bounces", "Retours d'erreur de messagerie")],
    hooks={"mail.address_failed": services.record_refusal},
)
