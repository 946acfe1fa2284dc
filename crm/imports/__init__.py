"""Data in: import of partner spreadsheets, search and merge of duplicates."""

from crm.extensions import Feature, Job, NavItem
from crm.forms import lazy_gettext as _l
from crm.imports import cli, jobs, views

feature = Feature(
    name="imports",
    blueprints=[views.bp],
    nav=[NavItem("imports.upload", _l("Import"), order=100)],
    commands=[cli.contacts_cli],
    jobs=[Job("import_uploads_purge", jobs.purge_uploads, {"hours": 24})],
)
