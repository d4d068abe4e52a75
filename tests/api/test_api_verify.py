"""`POST /v1/verify` over real HTTP: any key may check a claim against passages; bad input is a 4xx with a JSON
message."""

from __future__ import annotations

import pytest

PASSAGES = ["Intro to the handbook.",
            "The owner produces the list of defects within 14 days. Repairs follow within 30 days."]


@pytest.fixture(scope="module")
def reader_key(server) -> str:
    with server.client() as admin:
        r = admin.post("/v1/keys", json={"role": "reader", "collections": ["a"], "name": "verify reader"})
        assert r.status_code == 201, r.text
        return r.json()["secret"]


def test_reader_verifies_a_supported_claim(server, reader_key):
    with server.client(reader_key) as client:
        r = client.post("/v1/verify", json={"claim": "The owner produces the list within 14 days.", "passages": PASSAGES})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body.pop("score") >= 0.9, "every part backed: a high calibrated P(supported)"
    assert body == {"supported": True, "unsupported": [], "evidence": [
        {"passage": 1, "quote": "The owner produces the list of defects within 14 days."}]}


def test_partial_support_names_what_is_missing(server, reader_key):
    with server.client(reader_key) as client:
        r = client.post("/v1/verify", json={"claim": "The contractor produces the list within 15 days.",
                                            "passages": PASSAGES})
    body = r.json()
    assert r.status_code == 200 and body["supported"] is False
    assert body["unsupported"] == ["contractor", "15"]


def test_bad_requests_are_4xx_with_a_message(server, reader_key):
    with server.client(reader_key) as client:
        assert client.post("/v1/verify", json={"claim": "", "passages": []}).status_code == 422
        r = client.post("/v1/verify", json={"passages": ["x"]})
        assert r.status_code == 422 and r.json()["detail"]
    with server.client(None) as anonymous:
        assert anonymous.post("/v1/verify", json={"claim": "x", "passages": []}).status_code == 401
