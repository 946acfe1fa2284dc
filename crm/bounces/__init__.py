"""Bounces: delivery status notifications read from a mailbox, and 5xx refusals at send time.

A permanent failure suppresses the address at once; temporary ones are scored and suppress the address after
``SOFT_BOUNCE_THRESHOLD`` of them within ``SOFT_BOUNCE_WINDOW_DAYS``. Only a report tied to a delivery we made
applies (crm.bounces.matching); the others are counted on the bounces page. A CLI command, a job and that page.
"""

from crm.bounces import cli, jobs, services, views
from crm.extensions import Feature, Job, NavItem, PrivacyTable
from crm.forms import lazy_gettext as _l

feature = Feature(
    name="bounces",
    blueprints=[views.bp],
    nav=[NavItem("bounces.index", _l("Retours d'erreur"), order=95)],
    commands=[cli.bounces_cli],
    jobs=[Job("bounce_ingest", jobs.ingest_bounces, {"minutes": 15})],
    privacy=[PrivacyTable("bounces", "Retours d'erreur de messagerie")],
    hooks={"mail.address_failed": services.record_refusal},
)
