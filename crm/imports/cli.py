"""`flask contacts import FILE`: the same dry run and all-or-nothing run as the back office, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from crm.extensions import db
from crm.imports import fields
from crm.imports.planning import ACCEPT_ALL, MODE_LABELS, Action, Mode, build_plan
from crm.imports.reading import ImportFileError, read_file
from crm.imports.services import ImportRefused, run_import

contacts_cli = AppGroup("contacts", help="Contacts : import de fichiers.")


@contacts_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice([m.value for m in Mode]), default=Mode.SKIP.value, show_default=True,
              help="skip : ignorer les fiches existantes ; update : les mettre à jour ; fill : compléter les vides.")
@click.option("--dry-run", is_flag=True, help="Simuler seulement : afficher ce qui serait fait, ne rien écrire.")
@click.option("--strict", is_flag=True, help="Tout ou rien : ne rien importer si une ligne est refusée.")
@click.option("--accept-conflicts", is_flag=True,
              help="Appliquer aussi les lignes en conflit (SIRET ou e-mail d'une fiche dont le nom diffère) ; "
                   "sans cette option, elles sont signalées et laissées de côté.")
@click.option("--map", "overrides", multiple=True, metavar="EN-TÊTE=CHAMP",
              help="Associer une colonne à un champ (sinon : dernière association mémorisée, ou devinée).")
def import_command(path: Path, mode: str, dry_run: bool, strict: bool, accept_conflicts: bool,
                   overrides: tuple[str, ...]) -> None:
    """Importe des contacts et structures depuis un fichier CSV ou XLSX."""
    try:
        sheet = read_file(path.name, path.read_bytes())
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    mapping = fields.propose_mapping(sheet.header)
    keys = [fields.header_key(h) for h in sheet.header]
    for item in overrides:
        header, _, field = item.partition("=")
        if fields.header_key(header) not in keys:
            raise click.ClickException(f"Colonne introuvable dans le fichier : « {header} ».")
        mapping[keys.index(fields.header_key(header))] = field.strip()
    errors = fields.check_mapping(mapping)
    if errors:
        raise click.ClickException(" ".join(errors))
    for title, field in zip(sheet.header, mapping, strict=False):
        click.echo(f"  {title} -> {fields.FIELD_LABELS.get(field, '(ignorée)')}")
    click.echo(f"{len(sheet.rows)} ligne(s), mode : {MODE_LABELS[Mode(mode)]}.")
    total = len(sheet.rows) * (1 if dry_run else 2)
    accepted = ACCEPT_ALL if accept_conflicts else frozenset()
    try:
        with click.progressbar(length=total, label="Import", show_pos=True) as bar:
            if dry_run:
                plan = build_plan(sheet, mapping, mode, bar.update, accepted=accepted)
                summary = plan.summary()
            else:
                plan, summary = run_import(sheet, mapping, mode, filename=path.name, strict=strict,
                                           accepted=accepted, progress=bar.update)
    except ImportRefused as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    except Exception:
        db.session.rollback()
        click.echo("Erreur pendant l'import : rien n'a été écrit.", err=True)
        raise
    for row in plan.rows:
        if row.action is Action.REFUSE:
            click.echo(f"ligne {row.line} refusée : {' '.join(row.messages)}")
        elif row.action is Action.CONFLICT:
            click.echo(f"ligne {row.line} en conflit, laissée de côté : "
                       f"{' '.join(c.message for c in row.conflicts)}")
        elif row.conflicts:
            click.echo(f"ligne {row.line} en conflit, appliquée (--accept-conflicts) : "
                       f"{' '.join(c.message for c in row.conflicts)}")
    if dry_run:
        db.session.rollback()
        click.echo("Simulation (rien n'a été écrit) : " + _summary_text(summary))
        return
    fields.remember(sheet.header, mapping)
    db.session.commit()
    click.echo("Import terminé : " + _summary_text(summary))


def _summary_text(summary: dict[str, int]) -> str:
    return (f"{summary['contacts_created']} contact(s) créé(s), {summary['contacts_updated']} mis à jour, "
            f"{summary['unchanged']} inchangé(s), {summary['skipped']} ignoré(s), {summary['refused']} refusé(s), "
            f"{summary['conflicts']} en conflit laissé(s) de côté, "
            f"{summary['organisations_created']} structure(s) créée(s), {summary['subscribed']} abonnement(s).")
