"""On a phone-sized screen (390 × 844) the main menu collapses behind a disclosure button that works with the
keyboard; at desktop width the menu shows without the button; without JavaScript it stays visible."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _log_in(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/admin/")


def menu_link(page: Any, name: str) -> Any:
    return page.locator("#menu-principal").get_by_role("link", name=name, exact=True)


def _focused(page: Any) -> str:
    return page.evaluate("() => { const e = document.activeElement; return e.id || e.className || e.textContent.trim(); }")


def test_the_menu_collapses_on_a_phone_and_opens_and_closes_with_the_keyboard(live_server, page, make_user) -> None:
    user = make_user("admin")
    page.set_viewport_size(PHONE)
    _log_in(page, live_server.url, user.email)
    button = page.get_by_role("button", name="Menu")
    menu = page.locator("#menu-principal")
    assert button.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    assert button.get_attribute("aria-controls") == "menu-principal"
    assert not menu.is_visible()
    assert not menu_link(page, "Contacts").is_visible()

    # Keyboard only: the skip link first, then the brand, then the menu button.
    page.keyboard.press("Tab")
    assert _focused(page) == "skip"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert _focused(page) == "menu-toggle"
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert menu.is_visible()
    page.keyboard.press("Tab")  # the next stop is the menu's first link, not something after it
    assert page.evaluate("() => document.activeElement.closest('#menu-principal') !== null")
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == "menu-toggle"
    page.keyboard.press("Space")
    assert button.get_attribute("aria-expanded") == "false"
    assert not menu.is_visible()

    # Escape closes an open menu and brings focus back to its button.
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert _focused(page) == "menu-toggle"

    # The first screen is no longer taken by the menu: the page's heading shows near the top.
    heading_top = page.locator("main h1").first.bounding_box()["y"]
    assert heading_top < PHONE["height"] * 0.3, heading_top

    page.get_by_role("button", name="Menu").click()
    menu_link(page, "Contacts").click()
    page.wait_for_url("**/admin/contacts/")


def test_at_desktop_width_the_menu_shows_without_the_button(live_server, page, make_user) -> None:
    user = make_user("admin")
    page.set_viewport_size(DESKTOP)
    _log_in(page, live_server.url, user.email)
    assert page.locator("#menu-principal").is_visible()
    assert menu_link(page, "Contacts").is_visible()
    assert not page.locator(".menu-toggle").is_visible()


def test_without_javascript_the_menu_stays_visible_on_a_phone(live_server, _playwright_browser, make_user) -> None:
    user = make_user("admin")
    context = _playwright_browser.new_context(java_script_enabled=False, viewport=PHONE, locale="fr-FR")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        _log_in(page, live_server.url, user.email)
        assert page.locator("#menu-principal").is_visible()
        assert menu_link(page, "Contacts").is_visible()
        assert not page.locator(".menu-toggle").is_visible()
    finally:
        context.close()
