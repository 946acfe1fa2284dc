"""Back-office pages for organisations, contacts, the Club and the timeline. Thin: forms in, services out."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from crm.extensions import db
from crm.forms import flash_errors, save_form
from crm.partners import export, queries, services, sirene, timeline
from crm.partners.forms import (
    AmbassadorForm,
    ClubJoinForm,
    ClubLeaveForm,
    ConfirmForm,
    ContactForm,
    FilterForm,
    NoteForm,
    OrganisationForm,
)
from crm.partners.models import ClubMembership, Contact, Note, Organisation
from crm.partners.queries import PartnerFilters
from crm.partners.services import PartnerValidationError
from crm.security import protect_admin
from crm.templating import hook_sections

bp = Blueprint("partners", __name__, url_prefix="/admin")
# Features add a section to an organisation's page: ``hook(organisation)`` -> (template, context) or None.
ORGANISATION_SECTIONS_HOOK = "partners.organisation_sections"
protect_admin(bp)


def _page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


def _csv_response(chunks: Any, filename: str) -> Response:
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- Organisations -----------------------------------------------------------------------------


@bp.route("/structures/")
def organisations() -> str:
    filters = PartnerFilters.from_args(request.args)
    problems = filters.understand()
    page = queries.list_organisations(filters, _page_number(), current_app.config["PAGE_SIZE"])
    return render_template("partners/organisations.html", page=page, filters=filters,
                           form=FilterForm(request.args), problems=problems)


@bp.route("/structures/export.csv")
def organisations_export() -> Response:
    filters = PartnerFilters.from_args(request.args)
    filters.understand()
    return _csv_response(export.organisations_csv(queries.organisations_statement(filters)), "structures.csv")


@bp.route("/structures/nouvelle", methods=["GET", "POST"])
def organisation_create() -> str | WerkzeugResponse:
    form = OrganisationForm()
    if _wants_lookup():  # "Rechercher" beside the SIRET: fill the form from the directory, save nothing
        return render_template("partners/organisation_form.html", form=form, organisation=None,
                               lookup=_fill_from_directory(form))
    if saved := save_form(form, lambda: services.save_organisation(form.to_input()), success=_("Structure créée.")):
        return redirect(url_for("partners.organisation_detail", organisation_id=saved.value.id))
    return render_template("partners/organisation_form.html", form=form, organisation=None)


def _wants_lookup() -> bool:
    return request.method == "POST" and "lookup" in request.form


def _directory_lookup(number: str | None) -> sirene.CompanyFacts:
    return sirene.lookup(number, current_app.config["SIRENE_API_URL"], current_app.config["SIRENE_API_TIMEOUT"])


def _fill_from_directory(form: OrganisationForm) -> dict[str, str]:
    """The no-script path of the SIRET lookup: the directory's values go into the form, for the team to review
    and save. Returns what the page says about it."""
    try:
        facts = _directory_lookup(form.siret.data)
    except sirene.SireneError as exc:
        form.siret.errors = [str(exc)]
        return {"error": str(exc)}
    for name, value in facts.as_dict().items():
        if value:
            getattr(form, name).data = value
    return {"filled": _("Fiche complétée depuis le répertoire des entreprises : vérifiez puis enregistrez.")}


@bp.route("/structures/repertoire")
def organisation_directory() -> tuple[Response, int]:
    """The SIRET lookup for the form's small script: JSON, with a French message when nothing is found."""
    try:
        facts = _directory_lookup(request.args.get("numero"))
    except sirene.SireneError as exc:
        return jsonify({"ok": False, "message": str(exc)}), exc.status
    return jsonify({"ok": True, "organisation": facts.as_dict()}), 200


@bp.route("/structures/<int:organisation_id>")
def organisation_detail(organisation_id: int) -> str:
    organisation = db.get_or_404(Organisation, organisation_id)
    return render_template(
        "partners/organisation_detail.html", organisation=organisation,
        timeline=timeline.build("organisation", organisation.id),
        note_form=NoteForm(), join_form=ClubJoinForm(), leave_form=ClubLeaveForm(), confirm_form=ConfirmForm(),
        sections=hook_sections(ORGANISATION_SECTIONS_HOOK, organisation),
    )


@bp.route("/structures/<int:organisation_id>/modifier", methods=["GET", "POST"])
def organisation_edit(organisation_id: int) -> str | WerkzeugResponse:
    organisation = db.get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    if request.method == "GET":
        form.fill_from(organisation)
        if request.args.get("repertoire"):  # from the inbox: propose the directory's values for review
            return render_template("partners/organisation_form.html", form=form, organisation=organisation,
                                   lookup=_fill_from_directory(form))
    if _wants_lookup():
        return render_template("partners/organisation_form.html", form=form, organisation=organisation,
                               lookup=_fill_from_directory(form))
    if save_form(form, lambda: services.save_organisation(form.to_input(), organisation),
                 success=_("Structure enregistrée.")):
        return redirect(url_for("partners.organisation_detail", organisation_id=organisation.id))
    return render_template("partners/organisation_form.html", form=form, organisation=organisation)


@bp.route("/structures/<int:organisation_id>/supprimer", methods=["POST"])
def organisation_delete(organisation_id: int) -> WerkzeugResponse:
    organisation = db.get_or_404(Organisation, organisation_id)
    if ConfirmForm().validate_on_submit():
        services.delete_organisation(organisation)
        db.session.commit()
        flash(_("Structure supprimée."), "success")
    return redirect(url_for("partners.organisations"))


@bp.route("/structures/<int:organisation_id>/club", methods=["POST"])
def club_join(organisation_id: int) -> WerkzeugResponse:
    organisation = db.get_or_404(Organisation, organisation_id)
    form = ClubJoinForm()
    if form.validate_on_submit() and form.joined_on.data:
        try:
            services.join_club(organisation, form.joined_on.data)
        except PartnerValidationError as exc:
            flash_errors(exc)
        else:
            db.session.commit()
            flash(_("Adhésion au Club des Industriels enregistrée."), "success")
    else:
        flash(_("Indiquez une date d'adhésion valide."), "error")
    return redirect(url_for("partners.organisation_detail", organisation_id=organisation.id))


@bp.route("/club/<int:membership_id>/fin", methods=["POST"])
def club_leave(membership_id: int) -> WerkzeugResponse:
    membership = db.get_or_404(ClubMembership, membership_id)
    form = ClubLeaveForm()
    if form.validate_on_submit() and form.left_on.data:
        try:
            services.leave_club(membership, form.left_on.data)
        except PartnerValidationError as exc:
            flash_errors(exc)
        else:
            db.session.commit()
            flash(_("Sortie du Club enregistrée."), "success")
    else:
        flash(_("Indiquez une date de sortie valide."), "error")
    return redirect(url_for("partners.organisation_detail", organisation_id=membership.organisation_id))


@bp.route("/club/")
def club_members() -> str:
    return render_template("partners/club.html", members=queries.current_club_members())


# --- Contacts ----------------------------------------------------------------------------------


@bp.route("/contacts/")
def contacts() -> str:
    filters = PartnerFilters.from_args(request.args)
    problems = filters.understand()
    page = queries.list_contacts(filters, _page_number(), current_app.config["PAGE_SIZE"])
    return render_template("partners/contacts.html", page=page, filters=filters, form=FilterForm(request.args),
                           problems=problems)


@bp.route("/contacts/export.csv")
def contacts_export() -> Response:
    filters = PartnerFilters.from_args(request.args)
    filters.understand()
    return _csv_response(export.contacts_csv(queries.contacts_statement(filters)), "contacts.csv")


@bp.route("/contacts/nouveau", methods=["GET", "POST"])
def contact_create() -> str | WerkzeugResponse:
    form = ContactForm()
    if request.method == "GET" and request.args.get("organisation_id", type=int):
        form.organisation_id.data = request.args.get("organisation_id", type=int)
    if saved := save_form(form, lambda: services.save_contact(form.to_input()), success=_("Contact créé.")):
        return redirect(url_for("partners.contact_detail", contact_id=saved.value.id))
    return render_template("partners/contact_form.html", form=form, contact=None)


@bp.route("/contacts/<int:contact_id>")
def contact_detail(contact_id: int) -> str:
    contact = db.get_or_404(Contact, contact_id)
    return render_template(
        "partners/contact_detail.html", contact=contact, timeline=timeline.build("contact", contact.id),
        tasks=timeline.open_tasks("contact", contact.id), note_form=NoteForm(),
        ambassador_form=AmbassadorForm(status=contact.ambassador_status), confirm_form=ConfirmForm(),
    )


@bp.route("/contacts/<int:contact_id>/modifier", methods=["GET", "POST"])
def contact_edit(contact_id: int) -> str | WerkzeugResponse:
    contact = db.get_or_404(Contact, contact_id)
    form = ContactForm(obj=contact)
    if request.method == "GET":
        form.fill_from(contact)
    if save_form(form, lambda: services.save_contact(form.to_input(), contact), success=_("Contact enregistré.")):
        return redirect(url_for("partners.contact_detail", contact_id=contact.id))
    return render_template("partners/contact_form.html", form=form, contact=contact)


@bp.route("/contacts/<int:contact_id>/supprimer", methods=["POST"])
def contact_delete(contact_id: int) -> WerkzeugResponse:
    contact = db.get_or_404(Contact, contact_id)
    if ConfirmForm().validate_on_submit():
        services.delete_contact(contact)
        db.session.commit()
        flash(_("Contact supprimé."), "success")
    return redirect(url_for("partners.contacts"))


@bp.route("/contacts/<int:contact_id>/ambassadeur", methods=["POST"])
def contact_ambassador(contact_id: int) -> WerkzeugResponse:
    contact = db.get_or_404(Contact, contact_id)
    form = AmbassadorForm()
    if form.validate_on_submit():
        services.set_ambassador_status(contact, form.status.data, form.on.data)
        db.session.commit()
        flash(_("Statut d'ambassadeur enregistré."), "success")
    else:
        flash(_("Statut d'ambassadeur invalide."), "error")
    return redirect(url_for("partners.contact_detail", contact_id=contact.id))


# --- Notes and tasks ---------------------------------------------------------------------------


@bp.route("/<any(contacts, structures):subject>/<int:subject_id>/notes", methods=["POST"])
def note_add(subject: str, subject_id: int) -> WerkzeugResponse:
    target: Contact | Organisation
    if subject == "contacts":
        target = db.get_or_404(Contact, subject_id)
        back = url_for("partners.contact_detail", contact_id=subject_id)
        owner = {"contact": target}
    else:
        target = db.get_or_404(Organisation, subject_id)
        back = url_for("partners.organisation_detail", organisation_id=subject_id)
        owner = {"organisation": target}
    form = NoteForm()
    if form.validate_on_submit():
        try:
            services.add_note(form.body.data or "", form.kind.data, author_id=current_user.id, **owner)
        except PartnerValidationError as exc:
            flash_errors(exc)
        else:
            db.session.commit()
            flash(_("Note ajoutée."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return redirect(back)


@bp.route("/notes/<int:note_id>/fait", methods=["POST"])
def task_done(note_id: int) -> WerkzeugResponse:
    note = db.get_or_404(Note, note_id)
    if ConfirmForm().validate_on_submit():
        services.complete_task(note)
        db.session.commit()
        flash(_("Tâche terminée."), "success")
    if note.contact_id:
        return redirect(url_for("partners.contact_detail", contact_id=note.contact_id))
    return redirect(url_for("partners.organisation_detail", organisation_id=note.organisation_id))
