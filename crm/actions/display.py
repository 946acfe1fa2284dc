"""What the pages show, prepared for the templates (no query in a template)."""

from __future__ import annotations

from typing import Any

from crm.actions import plan, services, versions
from crm.actions.forms import (
    FundingForm,
    IndicatorForm,
    MilestoneDoneForm,
    MilestoneForm,
    NoteForm,
    PartnerForm,
    StatusForm,
    ValueForm,
)
from crm.actions.models import Action, PlanVersion
from crm.extensions import db
from crm.forms import choices


def detail_forms(action: Action) -> dict[str, Any]:
    organisations = services.organisation_choices()
    partner, funding = PartnerForm(formdata=None), FundingForm(formdata=None)
    partner.organisation_id.choices = funding.funder_id.choices = organisations
    value = ValueForm(formdata=None)
    value.indicator_id.choices = choices((i.id, i.name) for i in action.indicators)
    return {"status_form": StatusForm(formdata=None), "partner_form": partner, "milestone_form": MilestoneForm(
        formdata=None), "done_form": MilestoneDoneForm(formdata=None), "funding_form": funding,
        "indicator_form": IndicatorForm(formdata=None), "value_form": value,
        "note_form": NoteForm(formdata=None)}


def indicator_rows(action: Action) -> list[dict[str, Any]]:
    rows = []
    for indicator in action.indicators:
        last = indicator.values[-1] if indicator.values else None
        rows.append({"indicator": indicator, "last": last,
                     "progress": services.progress(indicator.baseline, indicator.target,
                                                   last.value if last else None)})
    return rows


def report_context(since_id: int | None) -> dict[str, Any]:
    """The live plan by axis, and what changed since a version (by default the last committee's)."""
    document = plan.load()
    since: PlanVersion | None = db.session.get(PlanVersion, since_id) if since_id else versions.latest()
    sections, totals = plan.sections(document)
    return {"sections": sections, "totals": totals, "since": since,
            "changes": versions.compare(since.snapshot, document) if since else None,
            "all_versions": versions.all_versions()}
