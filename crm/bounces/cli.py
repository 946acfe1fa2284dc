"""`flask bounces ingest`: reads the bounce mailbox once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from crm.bounces.ingest import MailboxError, ingest_configured

bounces_cli = AppGroup("bounces", help="Retours en erreur (bounces) des envois.")


@bounces_cli.command("ingest")
@click.option("--maildir", type=click.Path(file_okay=False), help="Dossier Maildir à lire (sinon BOUNCE_MAILDIR).")
@click.option("--imap-host", help="Serveur IMAPS à lire (sinon BOUNCE_IMAP_HOST) ; identifiants, port et "
                                  "autorité de certification dans la config (BOUNCE_IMAP_*).")
def ingest_command(maildir: str | None, imap_host: str | None) -> None:
    """Lit les avis de non-remise : supprime les adresses en échec définitif, compte les échecs temporaires."""
    try:
        report = ingest_configured(maildir=maildir, imap_host=imap_host)
    except MailboxError as exc:
        raise click.ClickException(str(exc)) from exc
    if report is None:
        raise click.ClickException("Aucune boîte de retours configurée (BOUNCE_MAILDIR ou BOUNCE_IMAP_HOST), "
                                   "et ni --maildir ni --imap-host n'est donné.")
    already = f", {report.already_read} déjà pris en compte" if report.already_read else ""
    click.echo(f"{report.messages} message(s) lu(s), dont {report.not_bounces} sans avis de non-remise reconnu"
               f"{already} ; "
               f"{len(report.suppressed)} adresse(s) exclue(s), "
               f"{len(report.scored)} échec(s) temporaire(s) compté(s)"
               + (f", {len(report.unmatched)} avis rattaché(s) à aucun envoi (ignoré(s))" if report.unmatched else "")
               + ".")
