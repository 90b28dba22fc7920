"""ASVS chapter 5 (files) and request limits: a body over the limit is refused before it
is read, with a page in the user's language (F-8.2)."""
from __future__ import annotations

import pytest

from ..conftest import csrf_token

TOO_LARGE = "Yêu cầu quá lớn"          # the 413 page, in Vietnamese
BOUNDARY = "referral-flow-test"


@pytest.fixture
def token(client) -> str:
    return csrf_token(client.get("/login").text)


def multipart(fields: dict[str, str], upload: bytes, field: str = "file",
              filename: str = "members.xlsx",
              content_type: str = "application/octet-stream") -> bytes:
    """Text fields and one file, encoded by hand: the test client would spool a large body
    to a temporary file that it never closes."""
    parts = [f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode()
             for name, value in fields.items()]
    parts.append(f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + upload)
    separator = f"--{BOUNDARY}\r\n".encode()
    return b"".join(separator + part + b"\r\n" for part in parts) + f"--{BOUNDARY}--\r\n".encode()


def _post_multipart(client, body: bytes):
    return client.post("/language", data=body,
                       content_type=f"multipart/form-data; boundary={BOUNDARY}")


def test_every_configuration_limits_the_request_size(app):  # F-8.2
    assert app.config["MAX_CONTENT_LENGTH"] == 16_000_000
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 500_000


def test_an_upload_over_the_limit_gets_413_in_vietnamese(app, client, token):  # F-8.2
    oversized = b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = _post_multipart(client, multipart({"csrf_token": token}, oversized))
    assert response.status_code == 413
    assert TOO_LARGE in response.text
    assert "16 MB" in response.text


def test_an_upload_under_the_limit_is_read(client, token):
    response = _post_multipart(client, multipart({"csrf_token": token, "lang": "en"},
                                                  b"\0" * 1_000_000))
    assert response.status_code == 302


def test_a_text_field_of_an_upload_over_the_form_limit_gets_413(app, client, token):  # F-8.2
    note = "a" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
    response = _post_multipart(client, multipart({"csrf_token": token, "note": note}, b""))
    assert response.status_code == 413


def test_a_form_over_the_form_limit_gets_413(app, client, token):  # F-8.2
    response = client.post("/language", data={
        "csrf_token": token, "lang": "vi",
        "next": "/" + "a" * app.config["MAX_FORM_MEMORY_SIZE"]})
    assert response.status_code == 413
    assert TOO_LARGE in response.text
    assert "0,5 MB" in response.text


def test_a_form_under_the_limits_is_served(client, token):
    response = client.post("/language", data={"csrf_token": token, "lang": "en"})
    assert response.status_code == 302
