"""Photos: checked by content, re-encoded, EXIF (and its GPS position) dropped."""
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from community.errors import ValidationFailed

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
Image.MAX_IMAGE_PIXELS = 40_000_000  # larger is a decompression bomb, not a phone photo


@dataclass
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_photo(stream, filename: str = "") -> CleanPhoto:
    """Read an upload and return a fresh encoding of its pixels only.

    The name and the browser's content type are ignored: only what Pillow
    finds in the bytes counts. Re-encoding drops EXIF, GPS and anything
    appended after the image data.
    """
    limit = current_app.config["COMMUNITY_PHOTO_MAX_BYTES"]
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise ValidationFailed(
            _("照片“%(name)s”超过 %(mb)d MB。", name=filename, mb=limit // (1024 * 1024)),
            field="photos")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationFailed(_("照片“%(name)s”不是 JPEG、PNG 或 WebP 图片。", name=filename),
                                       field="photos")
            # Pillow only warns between the limit and twice the limit; refuse outright.
            if probe.width * probe.height > Image.MAX_IMAGE_PIXELS:
                raise ValidationFailed(_("照片“%(name)s”尺寸过大。", name=filename), field="photos")
            probe.verify()  # a truncated or forged file fails here
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the picture upright once EXIF is gone
            return _encode(image)
    except ValidationFailed:
        raise
    except Image.DecompressionBombError:
        raise ValidationFailed(_("照片“%(name)s”尺寸过大。", name=filename), field="photos") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed(_("照片“%(name)s”不是 JPEG、PNG 或 WebP 图片。", name=filename),
                               field="photos") from None


def _encode(image: Image.Image) -> CleanPhoto:
    side = current_app.config["COMMUNITY_PHOTO_MAX_SIDE"]
    image.thumbnail((side, side))
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
        kind, ext = "image/png", "png"
    else:
        image = image.convert("RGB")
        image.save(out, "JPEG", quality=85, optimize=True)
        kind, ext = "image/jpeg", "jpg"
    return CleanPhoto(out.getvalue(), kind, ext, image.width, image.height)


def upload_dir() -> Path:
    return Path(current_app.config["COMMUNITY_UPLOAD_DIR"])


def new_stored_name(photo: CleanPhoto) -> str:
    return f"{secrets.token_hex(16)}.{photo.extension}"


def write_photo(stored_name: str, photo: CleanPhoto) -> Path:
    path = upload_dir() / stored_name
    path.write_bytes(photo.data)
    return path


def photo_path(stored_name: str) -> Path:
    return upload_dir() / stored_name
