"""Evidence photos (R-A2): accepted by content (real JPEG, PNG, WebP), refused when not an
image whatever the name says or when too large, stored under random names outside the web
root, served with their own type only to those who read cases, thumbnails kept on disk,
hidden with a reason instead of deleted."""

from io import BytesIO

import pytest
import sqlalchemy as sa

from portal.aftersales import evidence
from portal.aftersales.models import CaseEvent, CasePhoto
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.rules import RuleError
from tests.aftersales.conftest import HX, html, image_bytes
from tests.conftest import count_rows


def upload(client, case, data: bytes, name: str, content_type: str = "image/jpeg"):
    return client.post(f"/aftersales/{case.id}/photos", headers=HX,
                       content_type="multipart/form-data",
                       data={"photo": (BytesIO(data), name, content_type)})


# --- the content check -----------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "content_type"), [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_real_images_are_accepted_by_content(fmt, content_type):
    assert evidence.check_image(image_bytes(fmt)) == content_type


@pytest.mark.parametrize("data", [
    b"just some text, renamed photo.jpg",
    b"\xff\xd8\xff" + b"not really a jpeg" * 10,           # a JPEG signature, then nonsense
    image_bytes("PNG")[:60],                               # a truncated PNG
    b"GIF89a" + b"\x00" * 40,                              # an image, not an accepted one
    b"RIFF\x00\x00\x00\x00WEBPVP8 garbage",
    b"",
])
def test_anything_else_is_not_an_image(data):
    with pytest.raises(RuleError) as refused:
        evidence.check_image(data)
    assert refused.value.field == "photo"


def test_a_photo_larger_than_the_limit_is_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "AFTERSALES_MAX_PHOTO_BYTES", 1000)
    data = image_bytes("PNG", size=(400, 400), colour=(1, 2, 3))
    noisy = bytes(range(256)) * 20
    with pytest.raises(RuleError) as refused:
        evidence.check_image(data + noisy)
    assert "larger than" in refused.value.message


# --- images bounded before they cost (issue 16 item 7) ----------------------------------------


def _photo_jpeg(size) -> bytes:
    """A JPEG with some detail (a plain one is a handful of bytes)."""
    from PIL import Image

    buffer = BytesIO()
    Image.effect_noise(size, 20).convert("RGB").save(buffer, "JPEG", quality=40)
    return buffer.getvalue()


def test_pillows_own_limit_is_the_portals():
    from PIL import Image

    assert evidence.MAX_PIXELS <= 40_000_000
    assert Image.MAX_IMAGE_PIXELS <= evidence.MAX_PIXELS


def test_a_small_file_of_too_many_pixels_is_refused_before_it_is_decoded(desk, open_case,
                                                                          photo_dir, monkeypatch):
    """A 7690 × 7690 PNG of a few hundred KB was accepted, and its first thumbnail took
    seconds and most of a GB: its header is read, the size refused, nothing decoded."""
    from PIL import ImageFile

    bomb = image_bytes("PNG", size=(7690, 7690))
    assert len(bomb) < 400_000
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self.size))
    case = open_case("quality")
    response = upload(desk, case, bomb, "screenshot.png", "image/png")
    assert response.status_code == 422
    assert ("The photo is 7690 × 7690 pixels, more than 40 megapixels; send a smaller one."
            in html(response))
    assert decoded == [] and count_rows(CasePhoto) == 0 and not any(photo_dir.glob("*"))


def test_a_header_beyond_pillows_bomb_limit_gets_the_same_kind_of_message():
    import zlib

    data = image_bytes("PNG", size=(10, 10))
    # the IHDR chunk (with its checksum) announces 10000 × 10000
    ihdr = b"IHDR" + (10000).to_bytes(4, "big") * 2 + data[24:29]
    huge = data[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + data[33:]
    with pytest.raises(RuleError) as refused:
        evidence.check_image(huge)
    assert "megapixels" in refused.value.message


def test_a_photo_just_within_the_limit_is_accepted(monkeypatch):
    monkeypatch.setattr(evidence, "MAX_PIXELS", 64 * 48)
    assert evidence.check_image(image_bytes("PNG", size=(64, 48))) == "image/png"
    with pytest.raises(RuleError):
        evidence.check_image(image_bytes("PNG", size=(65, 48)))


def test_a_truncated_jpeg_is_still_refused():
    data = _photo_jpeg((800, 600))
    with pytest.raises(RuleError) as refused:
        evidence.check_image(data[: len(data) // 2])
    assert "not an image" in refused.value.message


def test_a_jpeg_is_checked_and_made_small_without_decoding_it_whole(desk, open_case, agent,
                                                                    monkeypatch):
    """Draft mode: libjpeg decodes at 1/2, 1/4 or 1/8 scale; a 4000 × 3000 photo is never
    held at full size to be checked or to make its 320-pixel thumbnail."""
    from PIL import Image, ImageFile

    data = _photo_jpeg((4000, 3000))
    loaded = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        loaded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    case = open_case("quality")
    photo = evidence.add_photo(agent, case, data, "IMG_0001.jpg")
    thumb = desk.get(f"/aftersales/photos/{photo.id}/thumb")
    assert thumb.status_code == 200
    with Image.open(BytesIO(thumb.data)) as image:
        assert image.size == (320, 240)
    assert loaded and max(w * h for w, h in loaded) <= 1000 * 750, loaded


def test_the_thumbnail_still_follows_the_cameras_orientation(desk, open_case, agent):
    from PIL import Image

    buffer = BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show the picture rotated 90°
    Image.new("RGB", (1600, 800), (10, 200, 10)).save(buffer, "JPEG", exif=exif)
    case = open_case("quality")
    photo = evidence.add_photo(agent, case, buffer.getvalue(), "turned.jpg")
    with Image.open(BytesIO(desk.get(f"/aftersales/photos/{photo.id}/thumb").data)) as image:
        assert image.size == (160, 320)


# --- uploading -------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name", "declared", "stored"), [
    ("JPEG", "IMG_0001.jpg", "image/jpeg", "image/jpeg"),
    ("PNG", "screen.png", "image/png", "image/png"),
    ("WEBP", "from-wechat.webp", "image/webp", "image/webp"),
    ("PNG", "really-a-png.jpg", "image/jpeg", "image/png"),  # the name and type are ignored
])
def test_an_upload_is_stored_under_a_random_name(desk, open_case, photo_dir, fmt, name,
                                                 declared, stored):
    case = open_case("quality")
    response = upload(desk, case, image_bytes(fmt), name, declared)
    assert response.status_code == 200 and "Photo added." in html(response)
    photo = db.session.scalar(sa.select(CasePhoto))
    assert photo.content_type == stored and photo.original_name == name
    assert name not in photo.stored_name and len(photo.stored_name) >= 32
    assert (photo_dir / photo.stored_name).read_bytes() == image_bytes(fmt)
    assert f'src="/aftersales/photos/{photo.id}/thumb"' in html(response)
    assert count_rows(CaseEvent, CaseEvent.kind == "photo") == 1
    assert count_rows(AuditEvent, AuditEvent.action == "aftersales.photo_added") == 1


@pytest.mark.parametrize(("sent", "kept"), [
    ("IMG_0001.jpg", "IMG_0001.jpg"),
    ("裂\x00纹\x01.png", "裂纹.png"),                        # NUL fails on PostgreSQL
    ("crack\r\n\t\x1b\x7f\x9b.png", "crack.png"),         # C0, DEL, C1
    ("invoice\u202egnp.exe", "invoicegnp.exe"),             # a right-to-left override
    ("a\u200bb\ufeff.png", "ab.png"),                       # zero-width characters
    ("  two   spaces\u2028.png ", "two spaces.png"),
    ("C:\\Users\\张三\\Desktop\\照片.png", "照片.png"),      # a path sent by an old browser
    ("../../etc/passwd", "passwd"),
    ("e\u0301.png", "\u00e9.png"),                            # NFC
    ("\x00\x01\u202e", ""), (None, ""),
    ("x" * 300 + ".png", "x" * 200),
])
def test_a_file_name_is_cleaned(sent, kept):
    assert evidence.clean_name(sent) == kept


@pytest.mark.parametrize(("sent", "kept"), [
    ("裂\x00纹\x01.png", "裂纹.png"),
    ("crack\x1b\x7f\x9b.png", "crack.png"),
    ("invoice\u202egnp.exe", "invoicegnp.exe"),
    ("\x00\x01\u202e", ""),  # nothing left: the stored name
])
def test_an_uploaded_name_is_cleaned_on_the_way_in(desk, open_case, photo_dir, sent, kept):
    """Issue 16 item 8: a name with NUL or control characters was stored as sent (and a NUL
    failed on PostgreSQL); the history, the audit trail and the page show the clean name."""
    case = open_case("quality")
    response = upload(desk, case, image_bytes("PNG"), sent, "image/png")
    assert response.status_code == 200
    photo = db.session.scalar(sa.select(CasePhoto))
    assert photo.original_name == (kept or photo.stored_name)
    event = db.session.scalar(sa.select(CaseEvent).where(CaseEvent.kind == "photo"))
    assert event.text == photo.original_name
    audit = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "aftersales.photo_added"))
    assert audit.details["name"] == photo.original_name
    assert f'alt="Photo {photo.original_name}"' in html(response)


def test_a_text_file_renamed_jpg_is_refused_with_a_message(desk, open_case, photo_dir):
    case = open_case("quality")
    response = upload(desk, case, b"hello, I am a text file\n", "crack.jpg")
    assert response.status_code == 422
    assert "This file is not an image (JPEG, PNG or WebP), whatever its name says." in \
        html(response)
    first_tag = html(response).lstrip().split(">", 1)[0]
    assert first_tag.startswith("<form ") and 'id="case-upload"' in first_tag  # in place
    assert count_rows(CasePhoto) == 0 and not any(photo_dir.glob("*"))


def test_a_photo_over_5_mb_is_refused_with_a_message(desk, open_case, photo_dir):
    case = open_case("quality")
    big = image_bytes("PNG") + b"\x00" * (5 * 1024 * 1024)
    response = upload(desk, case, big, "huge.png", "image/png")
    assert response.status_code == 422
    assert "The photo is larger than 5 MB; send a smaller one." in html(response)
    assert count_rows(CasePhoto) == 0


def test_a_much_larger_body_is_cut_off(desk, open_case):
    case = open_case("quality")
    response = upload(desk, case, b"\x00" * (11 * 1024 * 1024 + 10), "huge.png")
    assert response.status_code == 413
    assert count_rows(CasePhoto) == 0


def test_no_file_is_a_message(desk, open_case):
    case = open_case("quality")
    response = desk.post(f"/aftersales/{case.id}/photos", headers=HX, data={})
    assert response.status_code == 422 and "Choose a photo to upload." in html(response)


# --- serving ---------------------------------------------------------------------------------


def test_a_photo_is_served_privately_with_its_own_type(desk, open_case, add_photo, photo_dir):
    case = open_case("quality")
    photo = add_photo(case, "WEBP")
    response = desk.get(f"/aftersales/photos/{photo.id}")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert response.data == image_bytes("WEBP")
    assert response.headers["Cache-Control"].startswith("private")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    thumb = desk.get(f"/aftersales/photos/{photo.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.headers["Cache-Control"].startswith("private")
    assert thumb.data[:3] == b"\xff\xd8\xff"
    kept = list((photo_dir / "thumbs").glob("*.jpg"))
    assert len(kept) == 1
    assert desk.get(f"/aftersales/photos/{photo.id}/thumb").data == kept[0].read_bytes()


def test_a_transparent_png_gets_a_thumbnail(desk, open_case, agent):
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGBA", (600, 300), (255, 0, 0, 80)).save(buffer, "PNG")
    case = open_case("quality")
    photo = evidence.add_photo(agent, case, buffer.getvalue(), "alpha.png")
    thumb = desk.get(f"/aftersales/photos/{photo.id}/thumb")
    assert thumb.status_code == 200
    with Image.open(BytesIO(thumb.data)) as image:
        assert image.size == (320, 160)


@pytest.mark.parametrize(("role", "status"), [
    ("reception", 403), ("presales", 403), ("order_clerk", 403),
    ("supervisor", 200), ("manager", 200), ("aftersales", 200)])
def test_who_sees_photos(client, sign_in, create_user, open_case, add_photo, role, status):
    photo = add_photo(open_case("quality"))
    sign_in(client, create_user(role))
    assert client.get(f"/aftersales/photos/{photo.id}").status_code == status
    assert client.get(f"/aftersales/photos/{photo.id}/thumb").status_code == status


def test_anonymous_gets_the_sign_in_page(client, open_case, add_photo):
    photo = add_photo(open_case("quality"))
    response = client.get(f"/aftersales/photos/{photo.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- hiding ----------------------------------------------------------------------------------


def test_a_hidden_photo_is_kept_but_not_shown(desk, open_case, add_photo, photo_dir):
    case = open_case("quality")
    photo = add_photo(case)
    refused = desk.post(f"/aftersales/photos/{photo.id}/hide", headers=HX, data={"reason": " "})
    assert refused.status_code == 422 and "Write why the photo is hidden." in html(refused)
    response = desk.post(f"/aftersales/photos/{photo.id}/hide", headers=HX,
                         data={"reason": "客户发错了照片"})
    body = html(response)
    assert response.status_code == 200
    assert f'/aftersales/photos/{photo.id}/thumb' not in body
    assert "Hidden photo photo.png: 客户发错了照片" in body
    db.session.refresh(photo)
    assert photo.hidden_at is not None and photo.hidden_reason == "客户发错了照片"
    assert (photo_dir / photo.stored_name).exists()  # kept on disk
    assert count_rows(CasePhoto) == 1
    assert desk.get(f"/aftersales/photos/{photo.id}").status_code == 404
    assert desk.get(f"/aftersales/photos/{photo.id}/thumb").status_code == 404
    again = desk.post(f"/aftersales/photos/{photo.id}/hide", headers=HX, data={"reason": "再次"})
    assert again.status_code == 409 and "already hidden" in html(again)
    assert count_rows(AuditEvent, AuditEvent.action == "aftersales.photo_hidden") == 1


def test_uploads_to_a_closed_case_are_refused(desk, open_case, step):
    case = open_case("refund_only")
    step(case, "in_progress")
    step(case, "resolved")
    step(case, "closed")
    response = upload(desk, case, image_bytes("PNG"), "late.png", "image/png")
    assert response.status_code == 422 and "The case is closed." in html(response)
