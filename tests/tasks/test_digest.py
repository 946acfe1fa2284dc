"""The daily digest: `scheduler.py --once` run twice the same day mails each owner once, listing exactly their
overdue and due-today tasks; an owner with nothing to do gets nothing."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from datetime import date, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import sqlalchemy as sa

from crm.extensions import db
from crm.tasks import services
from crm.tasks.digest import send_digests
from crm.tasks.models import TaskDigest
from tests.projects.helpers import organisation, project, team_member

ROOT = Path(__file__).resolve().parent.parent.parent


def _task(title: str, owner, days: int, **fields) -> None:
    services.create_task(services.TaskInput(title=title, due_on=services.today() + timedelta(days=days),
                                            owner_id=owner.id, **fields), owner.id)


def _team() -> dict[str, object]:
    alice = team_member("alice.fictive@example.org", "Alice Fictive")
    bruno = team_member("bruno.fictif@example.org", "Bruno Fictif")
    idle = team_member("claire.oisive@example.org", "Claire Oisive")
    org = organisation("Usinage Fictif")
    _task("Relancer la fonderie", alice, -3, organisation_id=org.id)
    _task("Envoyer le dossier France 2030", alice, 0)
    _task("Préparer le comité (plus tard)", alice, 5)
    project(bruno, org, title="Presse hydraulique", due_in=-1)  # its next step: « Premier rendez-vous », late
    _task("Tâche déjà faite", bruno, -10)
    services.complete(db.session.scalars(sa.select(services.Task).where(
        services.Task.title == "Tâche déjà faite")).one())
    _task("Plus tard aussi", idle, 2)
    db.session.commit()
    return {"alice": alice.email, "bruno": bruno.email, "idle": idle.email}


def _run_once(database_url: str, outbox: Path, instance: Path) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "MAILDIR_PATH": str(outbox), "CRM_INSTANCE_PATH": str(instance),
           "BASE_URL": "http://crm.example.org"}
    env.pop("MAIL_SERVER", None)
    result = subprocess.run([sys.executable, "scheduler.py", "--once"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr


def _text(message: mailbox.MaildirMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode("utf-8")
    return ""


def test_scheduler_once_twice_mails_each_owner_exactly_once_with_exactly_their_tasks(
        app, database_url: str, tmp_path: Path) -> None:
    people = _team()
    outbox = tmp_path / "outbox"
    _run_once(database_url, outbox, tmp_path)
    _run_once(database_url, outbox, tmp_path)
    messages = list(mailbox.Maildir(str(outbox), factory=mailbox.MaildirMessage, create=False))
    by_recipient: dict[str, list[mailbox.MaildirMessage]] = {}
    for message in messages:
        by_recipient.setdefault(str(message["To"]), []).append(message)
    assert sorted(by_recipient) == sorted([people["alice"], people["bruno"]])
    assert all(len(found) == 1 for found in by_recipient.values())
    alice = _text(by_recipient[people["alice"]][0])
    assert "Relancer la fonderie" in alice and "Envoyer le dossier France 2030" in alice
    assert "plus tard" not in alice.lower() and "Premier rendez-vous" not in alice
    assert "http://crm.example.org/admin/taches/" in alice
    assert alice.index("En retard") < alice.index("Relancer la fonderie") < alice.index("Pour aujourd'hui")
    bruno = _text(by_recipient[people["bruno"]][0])
    assert "Premier rendez-vous" in bruno and "Presse hydraulique (Usinage Fictif)" in bruno
    assert "http://crm.example.org/admin/projets/" in bruno
    assert "Relancer" not in bruno and "déjà faite" not in bruno
    subject = str(make_header(decode_header(by_recipient[people["bruno"]][0]["Subject"])))
    assert subject.startswith("Vos tâches : 1 en retard, 0 pour aujourd'hui")


def test_a_digest_a_day_per_owner_and_none_for_an_inactive_owner(app, outbox) -> None:
    owner = team_member("dora.fictive@example.org", "Dora Fictive")
    gone = team_member("ancien@example.org", "Ancien Compte")
    _task("En retard", owner, -1)
    _task("Celle d'un compte fermé", gone, -1)
    gone.active = False
    db.session.commit()
    assert send_digests() == 1 and send_digests() == 0
    assert [m.recipients for m in outbox] == [["dora.fictive@example.org"]]
    assert send_digests(services.today() + timedelta(days=1)) == 1  # the next day, again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskDigest)) == 2
    assert isinstance(services.today(), date)
