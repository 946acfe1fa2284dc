"""The déclaration d'accessibilité: what is stored (or the default, until an admin writes it), its Markdown
rendered safely, and the mention every page's footer carries."""

from __future__ import annotations

from dataclasses import dataclass

import markdown
import nh3
import sqlalchemy as sa
from markupsafe import Markup

from crm.accessibility.models import CONFORMITY_LABELS, AccessibilityStatement, Conformity
from crm.extensions import db

STATEMENT_ID = 1

DEFAULT_AUDIT = (
    "Les pages publiques et le back-office sont contrôlés à chaque version par un test automatique qui passe "
    "chaque page de l'application au moteur axe-core (règles WCAG 2.1 niveaux A et AA, sur lesquelles le RGAA 4.1 "
    "s'appuie). Aucun audit complet de conformité au RGAA n'a encore été réalisé."
)
DEFAULT_NON_ACCESSIBLE = (
    "- Les pièces jointes (tableaux CSV et XLSX, invitations au format iCalendar) ne sont pas contrôlées.\n"
    "- Les lettres d'information reçues par courriel dépendent du logiciel de messagerie de chacun.\n"
    "- Aucun audit manuel des 106 critères du RGAA n'a encore été mené : certains critères non couverts par "
    "les tests automatiques peuvent ne pas être respectés."
)
DEFAULT_CONTACT = (
    "Si vous n'arrivez pas à accéder à un contenu ou à un service, vous pouvez contacter le responsable du site "
    "pour être orienté vers une alternative accessible ou obtenir le contenu sous une autre forme : écrivez à la "
    "Communauté urbaine d'Alençon, service Développement économique. Nous vous répondons sous quinze jours."
)

ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


@dataclass(frozen=True)
class StatementInput:
    status: str
    audit_summary: str
    non_accessible: str
    contact: str


def current() -> AccessibilityStatement:
    """The stored declaration, or the default one (not added to the session) until an admin saves it."""
    stored = db.session.get(AccessibilityStatement, STATEMENT_ID)
    if stored is not None:
        return stored
    return AccessibilityStatement(id=STATEMENT_ID, status=Conformity.PARTIAL.value, audit_summary=DEFAULT_AUDIT,
                                  non_accessible=DEFAULT_NON_ACCESSIBLE, contact=DEFAULT_CONTACT)


def save(data: StatementInput, user_id: int | None) -> AccessibilityStatement:
    """Writes the declaration (creates row 1 the first time). Flushes."""
    Conformity(data.status)  # a status outside the three is a programming error: the form offers only these
    statement = db.session.get(AccessibilityStatement, STATEMENT_ID)
    if statement is None:
        statement = AccessibilityStatement(id=STATEMENT_ID)
        db.session.add(statement)
    statement.status = data.status
    statement.audit_summary = data.audit_summary.strip()
    statement.non_accessible = data.non_accessible.strip()
    statement.contact = data.contact.strip()
    statement.updated_by_id = user_id
    db.session.flush()
    return statement


def rendered(text: str) -> Markup:
    """An admin's Markdown as HTML, sanitised (nh3): no script, no style, no event handler."""
    html = markdown.markdown(text or "", output_format="html")
    return Markup(nh3.clean(html, url_schemes=ALLOWED_URL_SCHEMES, link_rel="noopener noreferrer"))


def footer_mention() -> str:
    """The status as the footer says it ("partiellement conforme"); the default when the database cannot answer
    (an error page must still render)."""
    try:
        status = db.session.scalar(sa.select(AccessibilityStatement.status)
                                   .where(AccessibilityStatement.id == STATEMENT_ID))
    except sa.exc.SQLAlchemyError:
        status = None
    try:
        conformity = Conformity(status) if status else Conformity.PARTIAL
    except ValueError:
        conformity = Conformity.NONE
    return str(CONFORMITY_LABELS[conformity])
