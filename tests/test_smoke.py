"""The app starts and serves the sign-in page."""
from tests.conftest import today


def test_sign_in_page_in_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in response.get_data(as_text=True)


def test_login_helper_signs_in(client, login):
    user = login("supervisor")
    response = today(client)
    assert response.status_code == 200
    assert user.display_name in response.get_data(as_text=True)
