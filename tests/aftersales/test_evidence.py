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
