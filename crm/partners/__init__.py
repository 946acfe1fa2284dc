"""Partner organisations and their people, the taxonomy, the Club des Industriels, ambassadors, the timeline."""

from crm.extensions import Feature, Figure, NavItem, PrivacyTable
from crm.forms import lazy_gettext as _l
from crm.partners import demo, figures, views
from crm.partners.models import CIVILITIES, language_name
from crm.partners.normalize import web_link
from crm.partners.territory import DEPARTMENT_NAMES, department_label


def _civility(value: str | None) -> str:
    return CIVILITIES.get(value or "", "")


feature = Feature(
    name="partners",
    blueprints=[views.bp],
    nav=[
        NavItem("partners.organisations", _l("Structures"), order=20),
        NavItem("partners.contacts", _l("Contacts"), order=30),
        NavItem("partners.club_members", _l("Club des Industriels"), order=40),
    ],
    figures=[
        Figure(_l("structures partenaires"), figures.organisations, "partners.organisations", order=10),
        Figure(_l("contacts"), figures.contacts, "partners.contacts", order=20),
        Figure(_l("membres du Club des Industriels"), figures.club_members, "partners.club_members", order=30),
        Figure(_l("tâches ouvertes"), figures.open_tasks, order=60),
        Figure(_l("Candidatures d'ambassadeur à examiner"), figures.ambassador_candidates, "partners.contacts",
               {"ambassador": "candidate"}, order=90, group="waiting"),
    ],
    privacy=[
        PrivacyTable("contact_sectors", "Filières"),
        PrivacyTable("contact_axes", "Axes du programme"),
        PrivacyTable("notes", "Notes et échanges"),
        PrivacyTable("contact_emails", "Autres adresses e-mail", personal=("email",)),
        # Search words, rebuilt from the record's own columns by crm.partners.words.
        PrivacyTable("organisation_words", derived=True),
        PrivacyTable("contact_words", derived=True),
    ],
    context_processors=[lambda: {"department_names": DEPARTMENT_NAMES}],
    template_filters={"language_name": language_name, "civility": _civility, "department": department_label, "web_link": web_link},
    demo=demo.load_demo_data,
)
