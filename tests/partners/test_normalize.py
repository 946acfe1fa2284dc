import pytest

from crm.partners.normalize import (
    InvalidEmail,
    InvalidSiret,
    normalize_email,
    normalize_naf,
    normalize_siret,
    search_key,
)
from crm.partners.territory import InvalidPostalCode, locate


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Camille.Exemple@Example.ORG ") == "camille.exemple@example.org"


@pytest.mark.parametrize("value", ["", "pas-une-adresse", "a@", "@example.org", "a b@example.org"])
def test_bad_emails_are_refused_in_french(value: str) -> None:
    with pytest.raises(InvalidEmail) as error:
        normalize_email(value)
    assert "adresse e-mail" in str(error.value)


def test_valid_siret_with_spaces_is_accepted() -> None:
    assert normalize_siret("732 829 320 00074") == "73282932000074"


def test_la_poste_siret_follows_its_own_rule() -> None:
    assert normalize_siret("35600000000048") == "35600000000048"  # head office, Luhn-valid
    assert normalize_siret("35600000012346") == "35600000012346"  # establishment: digit sum is a multiple of 5


@pytest.mark.parametrize(
    ("value", "message"),
    [("7328293200007", "14 chiffres"), ("73282932000075", "clé de contrôle"), ("7328293200007A", "14 chiffres")],
)
def test_bad_siret_is_refused(value: str, message: str) -> None:
    with pytest.raises(InvalidSiret) as error:
        normalize_siret(value)
    assert message in str(error.value)


def test_empty_siret_is_none() -> None:
    assert normalize_siret("  ") is None


def test_naf_code_is_normalised() -> None:
    assert normalize_naf("2229a") == "22.29A"
    with pytest.raises(ValueError, match="NAF"):
        normalize_naf("plastique")


def test_search_key_strips_accents_and_case() -> None:
    assert search_key("  Élodie  D'Écouves ") == "elodie d ecouves"


@pytest.mark.parametrize(
    ("postal_code", "department", "region"),
    [("61000", "61", "Normandie"), ("72610", "72", "Pays de la Loire"), ("20000", "2A", "Corse"),
     ("20200", "2B", "Corse"), ("97400", "974", "La Réunion")],
)
def test_postal_code_gives_department_and_region(postal_code: str, department: str, region: str) -> None:
    place = locate(postal_code)
    assert (place.department, place.region) == (department, region)


@pytest.mark.parametrize("value", ["6100", "ABCDE", "96000", ""])
def test_bad_postal_codes_are_refused(value: str) -> None:
    with pytest.raises(InvalidPostalCode):
        locate(value)
