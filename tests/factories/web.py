"""Using the pages as a browser does: signing in, reading a page's CSRF token."""
import re

from .people import PASSWORD


def login(client, login_name, password=PASSWORD):
    """Sign in through the real form (so CSRF and throttling are exercised)."""
    page = client.get("/login")
    token = csrf_from(page)
    response = client.post("/login", data={"login": login_name, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def csrf_from(response) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)
