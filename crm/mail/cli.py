"""`flask mail dkim-keygen`: a DKIM key pair and the DNS record to publish."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from crm.mail.dkim import generate_key_pair
from crm.mail.rendering import sender_domain

mail_cli = AppGroup("mail", help="Envoi des courriels : signature DKIM.")


@mail_cli.command("dkim-keygen")
@click.option("--selector", help="Sélecteur DKIM (sinon DKIM_SELECTOR, ou « crm »).")
@click.option("--domain", help="Domaine signataire (sinon DKIM_DOMAIN, ou celui de MAIL_DEFAULT_SENDER).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Fichier de la clé privée (sinon DKIM_PRIVATE_KEY_FILE, ou instance/dkim/<sélecteur>.pem).")
@click.option("--bits", type=click.IntRange(1024, 4096), default=2048, show_default=True,
              help="Taille de la clé RSA.")
@click.option("--force", is_flag=True, help="Remplace une clé existante.")
def dkim_keygen(selector: str | None, domain: str | None, output: Path | None, bits: int, force: bool) -> None:
    """Crée une paire de clés DKIM (clé privée lisible par son seul propriétaire) et affiche l'enregistrement
    DNS TXT à publier."""
    config = current_app.config
    selector = selector or config.get("DKIM_SELECTOR") or "crm"
    domain = domain or config.get("DKIM_DOMAIN") or sender_domain()
    path = output or (Path(config["DKIM_PRIVATE_KEY_FILE"]) if config.get("DKIM_PRIVATE_KEY_FILE")
                      else Path(current_app.instance_path) / "dkim" / f"{selector}.pem")
    if path.exists() and not force:
        raise click.ClickException(f"{path} existe déjà : ajoutez --force pour la remplacer (l'ancienne "
                                   "signature ne sera plus vérifiable une fois le DNS changé).")
    pair = generate_key_pair(path, selector, domain, bits=bits, overwrite=force)
    click.echo(f"Clé privée : {pair.private_path} (mode 0600)")
    click.echo(f"Clé publique : {pair.public_path}")
    click.echo("")
    click.echo("Enregistrement DNS TXT à publier :")
    click.echo(f"  nom : {pair.record_name}")
    click.echo(f"  valeur : {pair.record_value}")
    click.echo("")
    click.echo("Dans un fichier de zone :")
    click.echo(f"  {pair.zone_line()}")
    click.echo("")
    click.echo("Puis définissez :")
    click.echo(f"  DKIM_PRIVATE_KEY_FILE={pair.private_path}")
    click.echo(f"  DKIM_SELECTOR={selector}")
    click.echo(f"  DKIM_DOMAIN={domain}")
