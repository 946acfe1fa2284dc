"""Images for letters: checked by their content with Pillow (PNG, JPEG, GIF, WebP; nothing else, whatever the
file's name says), made at most ``IMAGE_MAX_WIDTH`` pixels wide, re-encoded without their metadata (EXIF:
place, camera, date), stored under the instance folder by content hash. Functions flush; callers commit."""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from crm.errors import ValidationError
from crm.extensions import db
from crm.images.models import Image
from crm.security import absolute_url

# Pillow's format name -> (extension, content type). SVG is not an image Pillow reads: it is refused, as is any
# file that is not one of these four, whatever its name.
FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "GIF": ("gif", "image/gif"),
           "WEBP": ("webp", "image/webp")}
CONTENT_TYPES = {extension: content_type for extension, content_type in FORMATS.values()}
# A small file may still unpack to a huge picture (a "decompression bomb"): refused above this many pixels.
MAX_PIXELS = 50_000_000


class ImageRefused(ValidationError):
    pass


def max_bytes() -> int:
    return int(current_app.config["IMAGE_MAX_BYTES"])


def too_large_message() -> str:
    megabytes = max_bytes() / (1024 * 1024)
    return (f"Ce fichier est trop lourd : une image ne peut pas dépasser {megabytes:g} Mo. "
            "Réduisez-la ou enregistrez-la en JPEG avant de l'envoyer.")


def folder() -> Path:
    path = Path(current_app.config["IMAGES_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _refuse(message: str) -> ImageRefused:
    return ImageRefused({"image": message})


def _open(data: bytes) -> PILImage.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            picture = PILImage.open(io.BytesIO(data), formats=list(FORMATS))
            picture.load()
    except (UnidentifiedImageError, PILImage.DecompressionBombError, PILImage.DecompressionBombWarning, OSError,
            SyntaxError, ValueError) as exc:
        raise _refuse("Ce fichier n'est pas une image PNG, JPEG, GIF ou WebP lisible (les images SVG et les "
                      "autres fichiers sont refusés).") from exc
    if picture.width * picture.height > MAX_PIXELS:
        raise _refuse("Cette image a trop de pixels : réduisez-la avant de l'envoyer.")
    return picture


def _encode(picture: PILImage.Image, image_format: str) -> bytes:
    """Re-encoded at most IMAGE_MAX_WIDTH wide, turned upright, without EXIF or other metadata."""
    max_width = int(current_app.config["IMAGE_MAX_WIDTH"])
    animated = image_format == "GIF" and getattr(picture, "n_frames", 1) > 1
    if not animated:
        picture = ImageOps.exif_transpose(picture)
    if picture.width > max_width:
        height = max(1, round(picture.height * max_width / picture.width))
        if animated:
            picture.seek(0)  # a wide animation keeps its first frame
            animated = False
        picture = picture.resize((max_width, height), PILImage.Resampling.LANCZOS)
    picture.info.pop("exif", None)
    out = io.BytesIO()
    if image_format == "JPEG":
        picture.convert("RGB").save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif image_format == "PNG":
        picture.save(out, "PNG", optimize=True)
    elif image_format == "WEBP":
        picture.save(out, "WEBP", quality=85)
    else:
        picture.save(out, "GIF", save_all=animated, optimize=True)
    return out.getvalue()


def store(data: bytes, original_name: str = "", *, uploaded_by_id: int | None = None) -> Image:
    """The uploaded bytes -> a stored image (the same image twice is stored once). Raises ImageRefused."""
    if not data:
        raise _refuse("Choisissez une image à envoyer.")
    if len(data) > max_bytes():
        raise _refuse(too_large_message())
    picture = _open(data)
    image_format = picture.format or ""
    if image_format not in FORMATS:
        raise _refuse("Seules les images PNG, JPEG, GIF et WebP sont acceptées.")
    encoded = _encode(picture, image_format)
    digest = hashlib.sha256(encoded).hexdigest()
    existing = db.session.scalar(sa.select(Image).where(Image.digest == digest))
    if existing is not None:
        return existing
    extension, content_type = FORMATS[image_format]
    with PILImage.open(io.BytesIO(encoded)) as stored:
        width, height = stored.size
    path = folder() / f"{digest}.{extension}"
    if not path.exists():
        temporary = path.with_suffix(".part")
        temporary.write_bytes(encoded)
        temporary.replace(path)
    image = Image(digest=digest, extension=extension, content_type=content_type, width=width, height=height,
                  size=len(encoded), original_name=original_name[:200], uploaded_by_id=uploaded_by_id)
    db.session.add(image)
    db.session.flush()
    return image


def public_url(image: Image) -> str:
    return absolute_url("images.public.show", filename=image.filename)


def find(filename: str) -> Image | None:
    digest, _, extension = filename.partition(".")
    if len(digest) != 64 or extension not in CONTENT_TYPES:
        return None
    return db.session.scalar(sa.select(Image).where(Image.digest == digest, Image.extension == extension))


def recent(limit: int = 24) -> list[Image]:
    return list(db.session.scalars(sa.select(Image).order_by(Image.id.desc()).limit(limit)))
