"""Fictional demo data: a few saved segments."""

from __future__ import annotations

from crm.segments.services import SegmentCriteria, save_segment


def load() -> None:
    save_segment("Club des Industriels", "Les membres actuels du Club.", SegmentCriteria(club="yes"))
    save_segment("Plasturgie", "La filière plasturgie et composites.", SegmentCriteria(sector="plasturgie"))
    save_segment("Sarthe", "Les partenaires du département 72.", SegmentCriteria(department="72"))
    save_segment("Foncier industriel", "Intéressés par l'axe foncier.", SegmentCriteria(axis="foncier"))
    save_segment("Orne ou Sarthe, hors Club", "Départements 61 ou 72, sauf les membres du Club.",
                 SegmentCriteria(department=["61", "72"], exclude={"club": ["yes"]}))
