"""Privacy rights (RGPD): export of what is held about a person, erasure, retention review, register."""

from crm.extensions import Feature, Job, NavItem, PrivacyTable
from crm.forms import lazy_gettext as _l
from crm.privacy import jobs, views

feature = Feature(
    name="privacy",
    blueprints=[views.bp],
    nav=[NavItem("privacy.register_page", _l("RGPD"), order=110)],
    jobs=[Job("privacy_retention", jobs.retention, {"hours": 24})],
    privacy=[
        PrivacyTable("erasures", "Effacements"),
        PrivacyTable("retention_reviews", "Revue de conservation"),
    ],
)
