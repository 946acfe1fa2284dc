"""The consent wording shown beside the box, in one place: the ledger keeps its version and its text.

Changing the text means adding a new version here (never editing a published one): the proof of what a
person agreed to is the version recorded with their consent.
"""

from __future__ import annotations

CONSENT_VERSION = "2026-11-v1"

CONSENT_WORDINGS: dict[str, str] = {
    "2026-11-v1": (
        "J'accepte que la Communauté urbaine d'Alençon utilise ces informations pour me recontacter au sujet "
        "de la démarche Territoires d'industrie et, selon mes choix, m'envoie sa lettre d'information et ses "
        "invitations. Je peux changer mes préférences ou me désinscrire à tout moment grâce au lien présent "
        "dans chaque message."
    ),
}

CONSENT_TEXT = CONSENT_WORDINGS[CONSENT_VERSION]


def wording_of(version: str) -> str:
    return CONSENT_WORDINGS.get(version, "")
