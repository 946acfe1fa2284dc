"""Blocks of a letter, written in its Markdown and rendered as mail-safe HTML (tables, styles written inline).

The syntax, one block per line (or per fenced group for an article):

- ``{{ bouton "S'inscrire" https://exemple.fr }}``: a call-to-action button;
- ``{{ evenement 12 }}``: an event card (date in Paris time, place, an answer link personal to each recipient);
- ``{{ action 3 }}``: an action card of the action plan (code, title, axis, status, progress);
- an article, an image, a title, a text and a "Lire la suite" link::

      ::: article https://exemple.fr/la-suite
      ![Texte alternatif](https://…/medias/….jpg)
      ### Titre
      Le texte de l'article.
      :::

Campaigns know no event or action: the features that own them answer the ``campaigns.blocks`` hook with a mapping
keyword -> provider (``label``, ``choices()``, ``card(id)`` giving the card's data or None, and
``personal_url(id, contact)`` for a recipient's own link). A personal link is a marker (``%%crmblkevenement12%%``)
in the prepared mail, replaced for each recipient as the personal fields are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import render_template
from markupsafe import Markup

from crm.extensions import hooks

LINE_BLOCK = re.compile(r"^[ \t]*\{\{[ \t]*([a-z]+)[ \t]+([^\n]*?)[ \t]*\}\}[ \t]*$", re.MULTILINE)
ARTICLE = re.compile(r"^[ \t]*:::[ \t]*article(?:[ \t]+(\S+))?[ \t]*\n(.*?)\n[ \t]*:::[ \t]*$",
                     re.MULTILINE | re.DOTALL)
BUTTON = re.compile(r'^"([^"]+)"\s+(\S+)$')
BLOCK_MARK = "CRMBLOCK{}X"
BLOCK_PARAGRAPH = re.compile(r"<p>CRMBLOCK(\d+)X</p>|CRMBLOCK(\d+)X")
PERSONAL_MARK = re.compile(r"blk([a-z]+)(\d+)")
SAFE_URL = re.compile(r"^(https?://|mailto:)[^\s\"'<>]+$", re.IGNORECASE)
BUILT_IN = ("bouton",)


@dataclass
class Rendering:
    """A body's Markdown with its blocks taken out, and what each block became (HTML, warnings)."""

    markdown: str
    blocks: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    references: list[tuple[str, int]] = field(default_factory=list)


def providers() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for hook in hooks("campaigns.blocks"):
        found.update(hook())
    return found


def keywords() -> list[str]:
    return [*BUILT_IN, *providers()]


def personal_mark(keyword: str, item_id: int) -> str:
    return f"%%crmblk{keyword}{item_id}%%"


def personal_url(name: str, contact: Any) -> str:
    """The URL a marker ``blk<keyword><id>`` stands for, for this recipient ("#" when there is none)."""
    match = PERSONAL_MARK.fullmatch(name)
    provider = providers().get(match.group(1)) if match else None
    if provider is None or match is None or not getattr(contact, "id", 0):
        return "#"
    return provider.personal_url(int(match.group(2)), contact) or "#"


def _button(argument: str) -> tuple[str | None, str]:
    match = BUTTON.match(argument.strip())
    if match is None or not SAFE_URL.match(match.group(2)):
        return None, ('Bouton mal écrit : {{ bouton "Texte du bouton" https://adresse }} '
                      "(une adresse en http(s):// ou mailto:).")
    return render_template("email/blocks/button.html", label=match.group(1), url=match.group(2)), ""


def extract(text: str, *, public: bool, render_markdown: Callable[[str], str]) -> Rendering:
    """Takes the blocks out of ``text``: each becomes a paragraph ``CRMBLOCKnX`` that Markdown and the sanitiser
    leave alone, put back as the block's HTML by ``put_back``. ``public``: the archive's neutral form (no personal
    link). ``render_markdown`` renders an article's own Markdown (sanitised)."""
    text = text.replace("\r\n", "\n")  # a browser's form sends CRLF line ends
    result = Rendering(text)
    found = providers()

    def keep(html: str) -> str:
        number = len(result.blocks)
        result.blocks[number] = html
        return "\n\n" + BLOCK_MARK.format(number) + "\n\n"

    def article(match: re.Match[str]) -> str:
        link = match.group(1) or ""
        if link and not SAFE_URL.match(link):
            result.problems.append(f"Article : l'adresse « {link} » n'est pas un lien http(s)://.")
            link = ""
        inner = Markup(render_markdown(match.group(2)))
        return keep(render_template("email/blocks/article.html", body=inner, url=link))

    def line(match: re.Match[str]) -> str:
        keyword, argument = match.group(1), match.group(2)
        if keyword == "bouton":
            html, problem = _button(argument)
            if html is None:
                result.problems.append(problem)
                return match.group(0)
            return keep(html)
        provider = found.get(keyword)
        if provider is None:
            return match.group(0)  # not a block: an unknown field, reported by the editor
        if not argument.isdigit():
            result.problems.append(f"Bloc {keyword} : indiquez un numéro, par exemple {{{{ {keyword} 12 }}}}.")
            return match.group(0)
        card = provider.card(int(argument))
        if card is None:
            result.problems.append(f"Bloc {keyword} : le numéro {argument} n'existe pas.")
            return keep("")
        result.references.append((keyword, int(argument)))
        link = None if public or not card.get("link_label") else personal_mark(keyword, int(argument))
        return keep(render_template("email/blocks/card.html", card=card, link=link, public=public))

    result.markdown = LINE_BLOCK.sub(line, ARTICLE.sub(article, text))
    return result


def put_back(html: str, rendering: Rendering) -> str:
    def block(match: re.Match[str]) -> str:
        return rendering.blocks.get(int(match.group(1) or match.group(2)), "")

    return BLOCK_PARAGRAPH.sub(block, html)


def references(text: str) -> list[tuple[str, int]]:
    """The (keyword, id) of the cards a body shows, without rendering them."""
    return [(m.group(1), int(m.group(2))) for m in LINE_BLOCK.finditer((text or "").replace("\r\n", "\n"))
            if m.group(1) not in BUILT_IN and m.group(2).isdigit()]
