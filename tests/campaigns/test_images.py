"""Images of letters: checked by content, re-encoded (resized, EXIF stripped), stored by hash, served for long."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from PIL import Image as PILImage
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from crm.extensions import db
from crm.images.models import Image

UPLOAD = "/admin/images/"
JSON = {"Accept": "application/json"}


def picture(fmt: str = "PNG", size: tuple[int, int] = (40, 30), *, exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = PILImage.new("RGB", size, (200, 30, 30))
    if exif:
        data = PILImage.Exif()
        data[0x010F] = "Appareil-Exemple"  # Make
        data[0x0132] = "2026:01:02 03:04:05"  # DateTime
        image.save(out, fmt, exif=data)
    else:
        image.save(out, fmt)
    return out.getvalue()


def multipart(client: Any, data: bytes, name: str, alt: str) -> tuple[bytes, str]:
    """The body built in memory (the test client would spool a large one to a temporary file left open)."""
    boundary, body = encode_multipart({"image": FileStorage(io.BytesIO(data), name), "alt": alt,
                                       "csrf_token": client._csrf_token()})
    return body, f"multipart/form-data; boundary={boundary}"


def upload(client: Any, data: bytes, name: str = "photo.png", alt: str = "Une presse à injecter",
           headers: dict[str, str] | None = JSON) -> Any:
    body, content_type = multipart(client, data, name, alt)
    return client.post(UPLOAD, data=body, headers=headers, content_type=content_type)


def test_each_accepted_format_is_stored_by_hash_and_served_for_a_year(client: Any, login: Any, app: Flask) -> None:
    login("editor")
    for fmt, extension in (("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")):
        response = upload(client, picture(fmt), f"image.{extension}")
        assert response.status_code == 200, response.json
        url = response.json["url"]
        assert url.startswith("http://localhost/medias/") and url.endswith("." + extension)
        assert response.json["markdown"] == f"![Une presse à injecter]({url})"
        served = client.get(url.removeprefix("http://localhost"))
        assert served.status_code == 200
        assert served.mimetype == f"image/{'jpeg' if fmt == 'JPEG' else extension}"
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        with PILImage.open(io.BytesIO(served.data)) as stored:
            assert stored.format == fmt
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Image)) == 4
    # The same image twice is stored once; the folder holds the files under their hash.
    again = upload(client, picture("PNG"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Image)) == 4
    name = again.json["url"].rsplit("/", 1)[1]
    assert (Path(app.config["IMAGES_DIR"]) / name).is_file()


def test_wide_images_are_narrowed_to_1200_px_and_lose_their_exif(client: Any, login: Any) -> None:
    login("editor")
    original = picture("JPEG", (3000, 1500), exif=True)
    with PILImage.open(io.BytesIO(original)) as before:
        assert before.getexif().get(0x010F) == "Appareil-Exemple"
    response = upload(client, original, "grande.jpg")
    assert response.status_code == 200
    assert (response.json["width"], response.json["height"]) == (1200, 600)
    stored = client.get(response.json["url"].removeprefix("http://localhost")).data
    assert b"Appareil-Exemple" not in stored
    with PILImage.open(io.BytesIO(stored)) as after:
        assert after.size == (1200, 600)
        assert not after.getexif()
    small = upload(client, picture("PNG", (300, 200)), "petite.png")
    assert (small.json["width"], small.json["height"]) == (300, 200)


def test_svg_a_renamed_executable_and_a_30_mb_file_are_refused_with_a_clear_message(
        client: Any, login: Any, app: Flask) -> None:
    login("editor")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="9" height="9"/></svg>'
    refused = upload(client, svg, "logo.svg")
    assert refused.status_code == 400
    assert "n'est pas une image PNG, JPEG, GIF ou WebP" in refused.json["error"]
    assert "SVG" in refused.json["error"]

    executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run"
    refused = upload(client, executable, "photo.png")
    assert refused.status_code == 400
    assert "n'est pas une image" in refused.json["error"]

    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (30 * 1024 * 1024)
    refused = upload(client, big, "enorme.png")
    assert refused.status_code == 413
    assert refused.json["error"].startswith("Ce fichier est trop lourd : une image ne peut pas dépasser 10 Mo.")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Image)) == 0
    folder = Path(app.config["IMAGES_DIR"])
    assert not folder.exists() or not any(folder.iterdir())


def test_a_too_large_upload_without_javascript_gets_the_french_page(client: Any, login: Any) -> None:
    login("editor")
    big = b"\x00" * (11 * 1024 * 1024)
    response = upload(client, big, "x.png", "x", headers=None)
    assert response.status_code == 413
    assert "Ce fichier est trop lourd" in response.get_data(as_text=True)
    allowed = client.post(UPLOAD, data={"image": (io.BytesIO(picture()), "x.png"), "alt": "Un schéma"},
                          content_type="multipart/form-data")
    assert allowed.status_code == 302


def test_alt_text_is_required(client: Any, login: Any) -> None:
    login("editor")
    refused = upload(client, picture(), alt="  ")
    assert refused.status_code == 400
    assert "texte alternatif" in refused.json["error"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Image)) == 0


def test_unknown_or_malformed_media_names_are_404(client: Any) -> None:
    assert client.get("/medias/" + "0" * 64 + ".png").status_code == 404
    assert client.get("/medias/../instance.png").status_code == 404
    assert client.get("/medias/abc.exe").status_code == 404


def test_a_viewer_cannot_upload(client: Any, login: Any) -> None:
    login("viewer")
    assert upload(client, picture()).status_code == 403
