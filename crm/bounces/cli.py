"""`flask bounces ingest`: reads the bounce mailbox once."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from crm.bounces.ingest import IngestReport, ingest_configured, ingest_imap, ingest_maildir

bounces_cli = AppGroup("bounces", help="Retours en erreur (bounces) des envois.")


@bounces_cli.command("ingest")
@click.option("--maildir", type=click.Path(file_okay=False), help="Dossier Maildir à lire (sinon BOUNCE_MAILDIR).")
@click.option("--imap-host", help="Serveur IMAPS à lire (sinon BOUNCE_IMAP_HOST) ; identifiants dans la config.")
def ingest_command(maildir: str | None, imap_host: str | None) -> None:
    """Lit les avis de non-remise : supprime les adresses en échec définitif, compte les échecs temporaires."""
    config = current_app.config
    report: IngestReport | None
    if maildir:
        report = ingest_maildir(maildir)
    elif imap_host:
        report = ingest_imap(imap_host, config["BOUNCE_IMAP_USER"] or "", config["BOUNCE_IMAP_PASSWORD"] or "",
                             config["BOUNCE_IMAP_FOLDER"])
    else:
        report = ingest_configured()
    if report is None:
        raise click.ClickException("Aucune boîte de retours configurée (BOUNCE_MAILDIR ou BOUNCE_IMAP_HOST), "
                                   "et ni --maildir ni --imap-host n'est donné.")
    click.echo(f"{report.messages} message(s) lu(s), dont {report.not_bounces} sans avis de non-remise reconnu ; "
               f"{len(report.suppressed)} adresse(s) exclue(s), "
               f"{len(report.scored)} échec(s) temporaire(s) compté(s).")
