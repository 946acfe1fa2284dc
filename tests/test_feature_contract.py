"""A new feature package plugs in by one line in the feature list (crm.FEATURES), nothing else.

A throwaway package is written in a temporary folder (a model, a page, a job, a kind of mail, a dashboard figure,
a privacy rule); a fresh process adds its name to the list and shows it wired in everywhere: its page answers
and is in the menu, its figure is on the dashboard, its job runs under ``scheduler.py --once`` and its mail goes
through the pipeline, its rows are in a person's export and go with an erasure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PACKAGE = {
    "__init__.py": '''
        from crm.extensions import Feature, Figure, Job, NavItem, PrivacyTable
        from throwaway import jobs, mails, models, views

        feature = Feature(
            name="throwaway",
            blueprints=[views.bp],
            nav=[NavItem("throwaway.index", "Essais", order=150)],
            jobs=[Job("throwaway_notices", jobs.queue_notices, {"minutes": 1})],
            mail_kinds=[mails.NOTICE],
            figures=[Figure("essais en cours", models.count, "throwaway.index")],
            privacy=[PrivacyTable("throwaway_notes", "Notes d'essai", personal=("phone",))],
        )
    ''',
    "models.py": '''
        import sqlalchemy as sa
        from sqlalchemy.orm import Mapped, mapped_column

        from crm.extensions import db


        class ThrowawayNote(db.Model):
            __tablename__ = "throwaway_notes"
            id: Mapped[int] = mapped_column(primary_key=True)
            contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
            body: Mapped[str] = mapped_column(sa.Text)
            phone: Mapped[str] = mapped_column(sa.String(30), default="")


        def count() -> int:
            return db.session.scalar(sa.select(sa.func.count()).select_from(ThrowawayNote)) or 0
    ''',
    "views.py": '''
        from flask import Blueprint

        from crm.security import protect_admin
        from throwaway.models import count

        bp = Blueprint("throwaway", __name__, url_prefix="/admin/essais")
        protect_admin(bp)


        @bp.route("/")
        def index() -> str:
            return f"<h1>Essais : {count()}</h1>"
    ''',
    "jobs.py": '''
        import sqlalchemy as sa

        from crm.extensions import db
        from crm.mail.claims import queue_delivery
        from throwaway.models import ThrowawayNote


        def queue_notices(app) -> None:
            with app.app_context():
                for note in db.session.scalars(sa.select(ThrowawayNote)):
                    queue_delivery("throwaway_notice", f"throwaway:{note.id}", contact_id=note.contact_id,
                                   source_id=note.id)
                db.session.commit()
    ''',
    "mails.py": '''
        from crm.consent.mail_kinds import Category, MailKind
        from crm.mail.rendering import compose


        def render(delivery):
            return compose(delivery.contact.email, "Avis d'essai", "Un avis d'essai.", "<p>Un avis d'essai.</p>")


        NOTICE = MailKind("throwaway_notice", "Les avis d'essai", Category.REFUSABLE, render, topic="evenements")
    ''',
}

SCRIPT = '''
import json, mailbox, runpy, sys

import crm

crm.FEATURES.append("throwaway")  # the one line

import sqlalchemy as sa
from crm import create_app
from crm.auth.services import create_user
from crm.consent.services import load_topics
from crm.extensions import db
from crm.partners.models import Contact
from crm.partners.taxonomy import load_reference_taxonomy
from crm.privacy.erasure import erase_contact
from crm.privacy.export import export_contact, readable_sections

app = create_app({"WTF_CSRF_ENABLED": False})
result = {}
with app.app_context():
    from throwaway.models import ThrowawayNote

    db.create_all()
    load_reference_taxonomy()
    load_topics()
    create_user("cheffe@example.org", "correct horse battery", "viewer")
    person = Contact(email="essai.personne@example.org", first_name="Essai", last_name="Personne")
    db.session.add(person)
    db.session.flush()
    db.session.add(ThrowawayNote(contact_id=person.id, body="Rappeler Essai Personne", phone="02 33 00 00 00"))
    db.session.commit()
    person_id = person.id

client = app.test_client()
client.post("/connexion", data={"email": "cheffe@example.org", "password": "correct horse battery"})
page = client.get("/admin/essais/")
result["page"] = [page.status_code, page.get_data(as_text=True)]
dashboard = client.get("/admin/").get_data(as_text=True)
result["menu"] = 'href="/admin/essais/"' in dashboard
result["figure"] = "essais en cours" in dashboard

result["scheduler_exit"] = []
for _ in range(2):  # the first pass queues the notice (its job runs after the dispatch), the second sends it
    sys.argv = ["scheduler.py", "--once"]
    try:
        runpy.run_path("scheduler.py", run_name="__main__")
    except SystemExit as exit:
        result["scheduler_exit"].append(exit.code)

with app.app_context():
    result["outbox"] = [message["Subject"] for message in mailbox.Maildir(app.config["MAILDIR_PATH"])]
    person = db.session.get(Contact, person_id)
    data = export_contact(person)
    result["exported"] = data["tables"].get("throwaway_notes.contact_id")
    result["titles"] = [section.title for section in readable_sections(data)]
    erase_contact(person)
    db.session.commit()
    note = db.session.scalar(sa.select(ThrowawayNote))
    result["after_erasure"] = [note.body, note.phone]
print("RESULT " + json.dumps(result, default=str))
'''


def test_a_new_package_is_wired_in_by_one_line_in_the_feature_list(tmp_path: Path) -> None:
    package = tmp_path / "throwaway"
    package.mkdir()
    for name, source in PACKAGE.items():
        (package / name).write_text(textwrap.dedent(source).lstrip())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'essai.sqlite3'}", "CRM_INSTANCE_PATH": str(tmp_path / "instance"),
           "MAILDIR_PATH": str(tmp_path / "outbox"), "SECRET_KEY": "essai", "BASE_URL": "http://localhost"}
    env.pop("MAIL_SERVER", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["page"] == [200, "<h1>Essais : 1</h1>"]
    assert result["menu"] and result["figure"]
    assert result["scheduler_exit"] == [0, 0]
    assert result["outbox"] == ["Avis d'essai"]
    assert result["exported"] and result["exported"][0]["body"] == "Rappeler Essai Personne"
    assert "Notes d'essai" in result["titles"]
    assert result["after_erasure"] == ["[effacé]", ""]
