from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField

from crm.forms import IdField, choices
from crm.forms import lazy_gettext as _l
from crm.imports.fields import FIELDS
from crm.imports.planning import MODE_LABELS, Mode

MODE_CHOICES = choices((mode.value, label) for mode, label in MODE_LABELS.items())


class UploadForm(FlaskForm):
    file = FileField(_l("Fichier (CSV ou Excel .xlsx)"), validators=[FileRequired(_l("Choisissez un fichier."))])


def mapping_form(header: list[str], mapping: list[str], mode: str, strict: bool, formdata: Any = None) -> FlaskForm:
    """One select per column of the file, plus the mode; built for the headers of this file."""
    field_choices = choices([("", _l("— ne pas importer —")), *((f.code, f.label) for f in FIELDS)])

    class MappingForm(FlaskForm):
        mode = RadioField(_l("Fiches déjà présentes"), choices=MODE_CHOICES, default=Mode.SKIP.value)
        strict = BooleanField(_l("Tout ou rien : ne rien importer si une ligne est refusée"))

    for index, title in enumerate(header):
        label = title or _l("Colonne %(number)s", number=index + 1)
        setattr(MappingForm, f"col_{index}", SelectField(label, choices=field_choices,
                                                         default=mapping[index] if index < len(mapping) else ""))
    form = MappingForm(formdata=formdata, mode=mode, strict=strict)
    form.column_names = [f"col_{i}" for i in range(len(header))]  # type: ignore[attr-defined]
    return form


class RunForm(FlaskForm):
    expected = HiddenField()
    # The lines in conflict the user ticks on the simulation page (the page lists them, one box each).
    accept = SelectMultipleField(coerce=int, validate_choice=False)


class MergeForm(FlaskForm):
    keep = IdField()
    drop = IdField()
