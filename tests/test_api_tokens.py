"""Personal API tokens from the account page: shown once, stored as a hash, revocable, own only."""

import re

from core.models import ApiToken
from core.services import api_token_hash


def test_a_token_is_shown_once_works_for_the_api_and_stops_working_when_revoked(org, client_as, client):
    page = client_as(org.sales_a1)
    body = page.post("/account/tokens/", {"name": "我的手机"}).content.decode()
    raw = re.search(r'data-testid="new-token">.*?<code class="token">(dd_[^<]+)</code>', body, re.S).group(1)
    token = ApiToken.objects.get(user=org.sales_a1)
    assert token.name == "我的手机" and token.key_hash == api_token_hash(raw) and raw not in token.key_hash
    assert raw not in page.get("/account/").content.decode()  # never shown again

    me = client.get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200 and me.json()["username"] == org.sales_a1.username

    page.post(f"/account/tokens/{token.pk}/revoke/")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_nobody_revokes_another_users_token(org, client_as):
    client_as(org.sales_a2).post("/account/tokens/", {"name": "a2"})
    token = ApiToken.objects.get(user=org.sales_a2)
    for user in (org.sales_a1, org.admin, org.manager_a):
        assert client_as(user).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
