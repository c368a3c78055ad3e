"""Evidence photos of after-sales cases (R-A2).

An upload is accepted by its content, never by its name or declared type: the first bytes
must be a JPEG, PNG or WebP signature, the size its header announces at most 40 megapixels
(read before anything is decoded), and Pillow must read the whole image (a JPEG at a
fraction of its scale). Its name is kept only as a label, cleaned of control and format
characters. Files are
stored outside the web root (``AFTERSALES_PHOTO_DIR``, by default the instance folder's
``evidence``) under random names and served only through the portal's views to staff who
may read cases. Thumbnails are made once and kept next to them. A photo is never deleted:
it is hidden with a reason, and the file stays.
"""

import os
import secrets
import warnings
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit, clock, uploads
from portal.actions import Conflict
from portal.aftersales.models import AfterSalesCase, CaseEvent, CasePhoto
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.rules import RuleError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# A few hundred KB of PNG can announce 60 megapixels and cost 800 MB to decode: the size in
# the header is read (and refused beyond this) before anything is decoded. Pillow's own limit
# is set to it too, so no other Image.open in the process decodes more.
MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = min(Image.MAX_IMAGE_PIXELS or MAX_PIXELS, MAX_PIXELS)
THUMB_SIZE = (320, 320)
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def max_bytes() -> int:
    """The largest photo accepted (``AFTERSALES_MAX_PHOTO_BYTES``)."""
    return int(current_app.config.get("AFTERSALES_MAX_PHOTO_BYTES", MAX_PHOTO_BYTES))


def photo_dir() -> Path:
    """Where photos are kept: ``AFTERSALES_PHOTO_DIR``, else ``<instance>/evidence``."""
    folder = current_app.config.get("AFTERSALES_PHOTO_DIR") or os.path.join(
        current_app.instance_path, "evidence")
    return Path(folder)


def sniff(data: bytes) -> str | None:
    """The image type the first bytes announce, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_image(data: bytes) -> str:
    """The content type of an acceptable photo; ``RuleError`` for anything else."""
    if not data:
        raise RuleError(N_("Choose a photo to upload."), "photo")
    limit = max_bytes()
    if len(data) > limit:
        raise RuleError(N_("The photo is larger than %(limit)s MB; send a smaller one."),
                        "photo", limit=f"{limit / 1024 / 1024:g}")
    not_an_image = RuleError(N_("This file is not an image (JPEG, PNG or WebP), whatever its "
                                "name says."), "photo")
    announced = sniff(data)
    if announced is None:
        raise not_an_image
    try:
        with warnings.catch_warnings():
            # Pillow warns above its limit (ours): _check_pixels refuses it with the size
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:  # reads the header only
                if FORMATS.get(image.format) != announced:
                    raise not_an_image
                _check_pixels(image)
                image.verify()
            with Image.open(BytesIO(data)) as image:
                _draft(image)  # a JPEG is decoded at 1/8 scale: still every byte of it
                image.load()  # verify() misses a truncated image; decoding does not
    except RuleError:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(None) from None  # a header too large for Pillow to open
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise not_an_image from error
    return announced


def _too_many_pixels(image) -> RuleError:
    size = {"width": image.width, "height": image.height} if image is not None else {}
    if size:
        return RuleError(N_("The photo is %(width)d × %(height)d pixels, more than %(limit)d "
                            "megapixels; send a smaller one."), "photo",
                         limit=MAX_PIXELS // 1_000_000, **size)
    return RuleError(N_("The photo has more than %(limit)d megapixels; send a smaller one."),
                     "photo", limit=MAX_PIXELS // 1_000_000)


def _check_pixels(image) -> None:
    """Refuse an image whose header announces more than ``MAX_PIXELS`` (nothing decoded)."""
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels(image)


def _draft(image) -> None:
    """Let a JPEG decode at the smallest scale still larger than twice a thumbnail (libjpeg
    scales by 1/2, 1/4, 1/8 while decoding); other formats ignore it."""
    if image.format == "JPEG":
        image.draft("RGB", (THUMB_SIZE[0] * 2, THUMB_SIZE[1] * 2))


NAME_MAX = 200  # CasePhoto.original_name
clean_name = uploads.clean_name  # one cleaner for every uploaded name (portal/uploads.py)


def read_upload(stream) -> bytes:
    """At most the limit plus one byte of an upload (enough to tell it is too large)."""
    return stream.read(max_bytes() + 1) if stream is not None else b""


def add_photo(user: User, case: AfterSalesCase, data: bytes,
              original_name: str = "") -> CasePhoto:
    """R-A2: keep an evidence photo of the case under a random name (checked by content)."""
    if case.state == "closed":
        raise RuleError(N_("The case is closed."), "photo")
    content_type = check_image(data)
    folder = photo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + EXTENSIONS[content_type]
    path = folder / stored
    with open(path, "xb") as file:
        file.write(data)
    name = clean_name(original_name) or stored
    now = clock.now()
    photo = CasePhoto(case_id=case.id, stored_name=stored, original_name=name,
                      content_type=content_type, size=len(data), uploaded_by_id=user.id,
                      uploaded_at=now)
    db.session.add(photo)
    try:
        db.session.flush()
        db.session.add(CaseEvent(case_id=case.id, kind="photo", text=name, actor_id=user.id,
                                 at=now))
        audit.record("aftersales.photo_added", photo, actor=user, details={
            "case": case.id, "name": name, "type": content_type, "size": len(data)})
        db.session.flush()
    except Exception:
        path.unlink(missing_ok=True)  # the caller's transaction is undone: no file without it
        raise
    return photo


def hide(user: User, photo: CasePhoto, reason: str) -> CasePhoto:
    """Hide a photo with a reason (never deleted: the file and the record stay)."""
    reason = (reason or "").strip()[:300]
    if not reason:
        raise RuleError(N_("Write why the photo is hidden."), "reason")
    now = clock.now()
    # one UPDATE that only a visible photo matches: two people hiding at once → one wins
    done = db.session.execute(
        sa.update(CasePhoto).where(CasePhoto.id == photo.id, CasePhoto.hidden_at.is_(None))
        .values(hidden_at=now, hidden_by_id=user.id, hidden_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if not done:  # someone else hid it first
        raise Conflict(photo, N_("This photo is already hidden."))
    db.session.add(CaseEvent(case_id=photo.case_id, kind="photo_hidden",
                             text=f"{photo.original_name}: {reason}", actor_id=user.id, at=now))
    audit.record("aftersales.photo_hidden", photo, actor=user,
                 changes={"hidden_reason": [None, reason]}, details={"case": photo.case_id})
    # the UPDATE above changed the database only: the answer shows the photo as it is now
    for key, value in (("hidden_at", now), ("hidden_by_id", user.id),
                       ("hidden_reason", reason)):
        set_committed_value(photo, key, value)
    db.session.flush()
    return photo


def file_path(photo: CasePhoto) -> Path:
    """Where the photo's file is (its stored name is ours, never the uploader's)."""
    return photo_dir() / Path(photo.stored_name).name


def thumbnail_path(photo: CasePhoto) -> Path:
    """The photo's thumbnail (a small JPEG), made on first use and kept on disk."""
    folder = photo_dir() / "thumbs"
    target = folder / (Path(photo.stored_name).stem + ".jpg")
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with Image.open(file_path(photo)) as image:
        # made small before anything else: a JPEG decodes at a fraction of its size (draft),
        # the rest is reduced by whole factors (reducing_gap); only the small image is turned.
        # (A photo kept under the earlier 60-megapixel limit still gets its thumbnail.)
        _draft(image)
        image.thumbnail(THUMB_SIZE, reducing_gap=2.0)
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, "white")
            background.paste(image, mask=image.getchannel("A"))
            image = background
        elif image.mode != "RGB":
            image = image.convert("RGB")
        partial = target.with_suffix(f".{secrets.token_hex(4)}.tmp")
        image.save(partial, "JPEG", quality=82)
    os.replace(partial, target)
    return target
