"""In a real browser: a demo user turns on the second factor from his account page (QR
code drawn on the server, the key read off the page), signs out and signs in with a code."""
from __future__ import annotations

import pyotp
from playwright.sync_api import expect

from referral_flow.clock import wall_clock

from .conftest import PASSWORD


def test_enrol_then_sign_in_with_a_code(base_url, page, login, shot):
    login(page, "chutich")
    page.goto(f"{base_url}/account/")
    page.click("a[href='/account/second-factor']")
    qr = page.locator("#mfa-qr")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    width = qr.evaluate("img => img.naturalWidth")
    assert width > 100                          # the SVG was drawn, not a broken image
    shot(page, "mfa-enrol")
    totp = pyotp.TOTP(page.inner_text("#mfa-secret").replace(" ", ""))
    page.fill("#code", totp.now())
    page.click("button.primary")
    expect(page.locator("#recovery-codes li")).to_have_count(10)    # waits for the page
    shot(page, "mfa-recovery-codes")
    page.click("text=Tôi đã lưu lại, tiếp tục")
    assert "Đang bật" in page.inner_text("main")
    page.click("header .who button")                # log out
    page.wait_for_load_state()

    page.goto(f"{base_url}/login")
    page.fill("#username", "chutich")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{base_url}/login/code")
    shot(page, "mfa-code-step")
    # the enrolment spent the current step's code: the next step's is accepted once
    page.fill("#code", totp.generate_otp(totp.timecode(wall_clock()) + 1))
    page.press("#code", "Enter")
    page.wait_for_load_state()
    assert "/login" not in page.url
    assert page.locator("header .who a").inner_text()
