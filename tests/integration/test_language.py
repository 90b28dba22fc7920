"""Vietnamese by default; English chosen per user (or per browser before login)."""
import pytest

from ..conftest import csrf_token


def _choose(client, lang, next_url="/login"):
    token = csrf_token(client.get("/login").text)
    return client.post("/language", data={"csrf_token": token, "lang": lang, "next": next_url})


def test_vietnamese_is_the_default(client):
    assert "Đăng nhập" in client.get("/login").text


def test_english_before_login_by_cookie(client):
    assert _choose(client, "en").status_code == 302
    page = client.get("/login").text
    assert "Log in" in page and "Đăng nhập" not in page.replace('lang="vi">Tiếng Việt', "")


def test_english_is_remembered_on_the_user(world, db, auth, client):
    officer = world.users["party_officer_a"]
    auth.login(officer.username)
    token = csrf_token(client.get("/cases/").text)
    response = client.post("/language", data={"csrf_token": token, "lang": "en",
                                              "next": "/cases/"})
    assert response.headers["Location"].endswith("/cases/")
    db.session.expire_all()
    assert officer.locale == "en"
    client.delete_cookie("lang")
    assert "Cases" in client.get("/cases/").text


@pytest.mark.parametrize("lang, next_url", [("fr", "/login"), ("", "/login"),
                                            ("<script>", "/login")])
def test_unknown_language_is_refused(client, lang, next_url):
    assert _choose(client, lang, next_url).status_code == 400


def test_no_open_redirect(client):
    response = _choose(client, "en", "https://evil.example/")
    assert response.headers["Location"].startswith("/")


def test_language_needs_post_and_csrf(client):
    # A GET changes nothing: it lands on the start page (a reload, not a 405 dead end).
    assert client.get("/language").location == "/"
    assert client.post("/language", data={"lang": "en"}).status_code == 400
