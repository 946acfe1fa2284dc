"""The axe helper itself: a page with an unlabelled field fails it, the same page with a label passes."""

from __future__ import annotations

import pytest

from tests.accessibility.axe import describe, violations

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Essai</title></head>
<body><main><h1>Adhésion au Club</h1><form>{field}<button>Enregistrer</button></form></main></body></html>"""


def test_an_unlabelled_field_is_a_violation(page) -> None:
    page.set_content(PAGE.format(field='<input type="date" name="left_on">'))
    found = violations(page)
    assert [v["id"] for v in found] == ["label"], describe(found)
    assert "left_on" in describe(found)


def test_the_same_field_with_its_label_passes(page) -> None:
    page.set_content(PAGE.format(field='<label for="fin">Fin de l\'adhésion</label>'
                                       '<input type="date" id="fin" name="left_on">'))
    assert violations(page) == []


def test_a_low_contrast_text_is_a_violation(page) -> None:
    page.set_content(PAGE.format(field='<p style="color:#aaa;background:#fff">Indice</p>'))
    assert [v["id"] for v in violations(page)] == ["color-contrast"]
