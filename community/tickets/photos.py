"""Photos: checked by content, re-encoded, EXIF (and its GPS position) dropped."""
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import ExifTags, Image, UnidentifiedImageError

from community.core.errors import ValidationFailed

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
# JPEG is read at a reduced scale (draft), so a camera's 50 MP photo costs less than
# a 12 MP one; past this a header is a bomb whatever the format. Pillow itself only
# warns up to twice its limit: our own checks below refuse before decoding.
JPEG_MAX_PIXELS = 120_000_000
Image.MAX_IMAGE_PIXELS = JPEG_MAX_PIXELS
MB = 1024 * 1024
# Memory budget of one photo (issue 21: about 100 MB, 1 s of CPU). Pillow keeps every
# colour pixel in 4 bytes, and scales an image with alpha through a premultiplied copy.
DECODE_BYTES = 64 * MB    # the decoded image and, with alpha, its premultiplied copy
RESAMPLE_BYTES = 32 * MB  # above this a photo is scaled by a whole factor (one pass) instead
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 4, "RGB": 4, "RGBA": 4, "CMYK": 4, "YCbCr": 4}
_ALPHA_MODES = ("RGBA", "LA", "P")  # a palette may hold transparency: worked on as RGBA
_T = Image.Transpose
# EXIF orientation → the turn that makes the picture upright once EXIF is dropped.
_UPRIGHT = {2: _T.FLIP_LEFT_RIGHT, 3: _T.ROTATE_180, 4: _T.FLIP_TOP_BOTTOM, 5: _T.TRANSPOSE,
            6: _T.ROTATE_270, 7: _T.TRANSVERSE, 8: _T.ROTATE_90}


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
    appended after the image data. What decoding will cost is decided from the
    header, before a pixel is decoded (issue 21): a JPEG is decoded at a reduced
    scale (Pillow's draft mode), a PNG or WebP over COMMUNITY_PHOTO_MAX_PIXELS, or
    too large to work on within DECODE_BYTES, is refused.
    """
    limit = current_app.config["COMMUNITY_PHOTO_MAX_BYTES"]
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise ValidationFailed(
            _("照片“%(name)s”超过 %(mb)d MB。", name=filename, mb=limit // MB), field="photos")
    try:
        with Image.open(io.BytesIO(raw)) as probe:  # reads the header only
            _check_header(probe, filename)
            probe.verify()  # a truncated or forged file fails here
        with Image.open(io.BytesIO(raw)) as image:
            if image.format == "JPEG":
                _draft(image)
            _check_work(image, filename)  # the size draft will decode to, still before decoding
            image.load()
            return _encode(image)
    except ValidationFailed:
        raise
    except Image.DecompressionBombError:
        raise _too_large(filename) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_a_photo(filename) from None


def _not_a_photo(filename: str) -> ValidationFailed:
    return ValidationFailed(_("照片“%(name)s”不是 JPEG、PNG 或 WebP 图片。", name=filename), field="photos")


def _too_large(filename: str) -> ValidationFailed:
    return ValidationFailed(_("照片“%(name)s”尺寸过大。", name=filename), field="photos")


def _check_header(image: Image.Image, filename: str) -> None:
    if image.format not in ALLOWED_FORMATS or image.mode not in _BYTES_PER_PIXEL:
        raise _not_a_photo(filename)
    lossless_limit = current_app.config["COMMUNITY_PHOTO_MAX_PIXELS"]
    if image.width * image.height > (JPEG_MAX_PIXELS if image.format == "JPEG" else lossless_limit):
        raise _too_large(filename)


def _work_bytes(image: Image.Image) -> int:
    """Memory to hold the decoded image as we work on it (RGB or RGBA, premultiplied)."""
    per_pixel = 8 if image.mode in _ALPHA_MODES else _BYTES_PER_PIXEL[image.mode]
    return image.width * image.height * per_pixel


def _check_work(image: Image.Image, filename: str) -> None:
    if _work_bytes(image) > DECODE_BYTES:
        raise _too_large(filename)


def _draft(image: Image.Image) -> None:
    """Before .load(): make the JPEG decode at 1/2, 1/4 or 1/8 scale (libjpeg scales
    while decoding). The finest scale that fits RESAMPLE_BYTES and is not much finer
    than needed: straight to the stored size where a scale gives it."""
    side = current_app.config["COMMUNITY_PHOTO_MAX_SIDE"]
    width, height = image.size
    for scale in (1, 2, 4, 8):
        wide, high = -(-width // scale), -(-height // scale)
        if wide * high * 4 <= RESAMPLE_BYTES or scale == 8:
            if max(wide, high) <= 2 * side or scale == 8:
                break
    if scale > 1:
        image.draft("RGB" if image.mode in ("RGB", "YCbCr") else image.mode,
                    (width // scale, height // scale))


def _scale_down(image: Image.Image, side: int) -> Image.Image:
    """To at most `side` pixels: resampled (bicubic) when the image is small enough to
    resample cheaply, else reduced by a whole factor in one pass (a box average: the
    result may be a little below `side`, never a copy of the whole image more)."""
    if max(image.size) <= side:
        return image
    if _work_bytes(image) <= RESAMPLE_BYTES:
        image.thumbnail((side, side), Image.Resampling.BICUBIC)
        return image
    return image.reduce(-(-max(image.size) // side))


def _encode(image: Image.Image) -> CleanPhoto:
    side = current_app.config["COMMUNITY_PHOTO_MAX_SIDE"]
    out = io.BytesIO()
    alpha = image.mode in _ALPHA_MODES
    mode = "RGBA" if alpha else "RGB"
    upright = _UPRIGHT.get(image.getexif().get(ExifTags.Base.Orientation, 1))
    if image.mode == "P":  # a palette scales by nearest pixel: colours first, then scale
        image = image.convert(mode)
    image = _scale_down(image, side)
    if image.mode != mode:
        image = image.convert(mode)
    if upright is not None:  # turned once small: a turn copies the whole image
        image = image.transpose(upright)
    if alpha:
        # zlib's default level: "optimize" tries every level, a second of CPU per large photo.
        image.save(out, "PNG", compress_level=6)
        kind, ext = "image/png", "png"
    else:
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
