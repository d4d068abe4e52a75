"""The boundary: keys and roles, collection grants (at the route and inside retrieval), the audit log."""

from __future__ import annotations

import json

import openai
import pytest
from api_e2e import ADMIN_KEY, DOCS, LEAVE_QUESTION, ingest_files, upload

from grounded.retrieval.answer import AskRequest
from grounded.retrieval.search import AccessDenied

B_DOCS = {"board-minutes.md": "# Board minutes\n\nThe board approved a budget of 2 million euros for 2025.\n"}


@pytest.fixture(scope="module")
def keys(server) -> dict[str, dict]:
    """Collections a and b with documents, and a reader, an editor and a second admin granted only 'a'."""
    made = {}
    with server.client() as admin:
        ingest_files(admin, "a", DOCS)
        ingest_files(admin, "b", B_DOCS)
        for role in ("reader", "editor", "admin"):
            r = admin.post("/v1/keys", json={"role": role, "collections": ["a"], "name": f"{role} of a"})
            assert r.status_code == 201, r.text
            made[role] = r.json()
    return made


def test_missing_and_bad_keys_get_401(server, keys):
    for key in (None, "gk_not-a-real-key"):
        with server.client(key) as client:
            r = client.post("/v1/chat", json={"collection": "a", "question": LEAVE_QUESTION})
            assert r.status_code == 401
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json()["detail"]
            assert client.get("/v1/collections").status_code == 401


def test_reader_reads_but_cannot_ingest_or_manage(server, keys):
    with server.client(keys["reader"]["secret"]) as reader:
        r = reader.post("/v1/chat", json={"collection": "a", "question": LEAVE_QUESTION})
        assert r.status_code == 200 and r.json()["status"] == "answered"
        assert [c["name"] for c in reader.get("/v1/collections").json()] == ["a"]
        assert upload(reader, "a", {"x.md": "# x\n\ntext\n"}).status_code == 403
        assert reader.post("/v1/collections/a/reingest").status_code == 403
        assert reader.delete("/v1/collections/a/documents/uploads/expenses.md").status_code == 403
        assert reader.post("/v1/collections", json={"name": "c"}).status_code == 403
        assert reader.get("/v1/keys").status_code == 403


def test_a_key_never_reaches_a_collection_it_is_not_granted(server, keys):
    with server.client(keys["reader"]["secret"]) as reader:
        r = reader.post("/v1/chat", json={"collection": "b", "question": "What budget did the board approve?"})
        assert r.status_code == 403 and "'b'" in r.json()["detail"]
        stream = reader.post("/v1/chat", json={"collection": "b", "question": "budget?", "stream": True})
        assert stream.status_code == 403
        assert reader.get("/v1/collections/b/documents").status_code == 403
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=keys["reader"]["secret"], max_retries=0)
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="b", messages=[{"role": "user", "content": "What budget?"}])
    assert [m.id for m in client.models.list()] == ["a"]

    # and inside retrieval, whatever the route does
    request = AskRequest(collection="b", question="What budget did the board approve?",
                         allowed_collections=frozenset({"a"}))
    with pytest.raises(AccessDenied):
        server.components.answers.ask(request)


def test_editor_ingests_and_deletes_only_in_its_collections(server, keys):
    with server.client(keys["editor"]["secret"]) as editor:
        r = upload(editor, "a", {"canteen.txt": "The canteen opens at 11:30 on weekdays.\n"})
        assert r.status_code == 202, r.text
        assert upload(editor, "b", {"canteen.txt": "x"}).status_code == 403
        assert editor.delete("/v1/collections/b/documents/uploads/board-minutes.md").status_code == 403
        assert editor.delete("/v1/collections/a").status_code == 403  # collections are the admins'
        assert editor.get(f"/v1/jobs/{r.json()['id']}").json()["collection"] == "a"


def test_admin_granted_a_cannot_touch_b(server, keys):
    with server.client(keys["admin"]["secret"]) as admin:
        assert admin.delete("/v1/collections/b").status_code == 403
        assert admin.get("/v1/keys").status_code == 403  # only an unscoped admin lists keys


def test_keys_are_listed_without_secrets_and_revocation_bites(server, keys):
    with server.client() as admin:
        r = admin.post("/v1/keys", json={"role": "reader", "collections": ["*"]}, headers={"Idempotency-Key": "k1"})
        retry = admin.post("/v1/keys", json={"role": "reader", "collections": ["*"]}, headers={"Idempotency-Key": "k1"})
        assert r.status_code == retry.status_code == 201
        assert retry.json() == r.json()  # the same key, created once
        temp = r.json()
        listed = admin.get("/v1/keys").json()
        assert sum(k["id"] == temp["id"] for k in listed) == 1
        assert all("secret" not in k and "sha256" not in k for k in listed)
        with server.client(temp["secret"]) as temp_client:
            assert temp_client.get("/v1/collections").status_code == 200
            assert admin.delete(f"/v1/keys/{temp['id']}").status_code == 204
            assert temp_client.get("/v1/collections").status_code == 401
        assert admin.delete(f"/v1/keys/{temp['id']}").status_code == 404

    home = server.settings.home
    stored = (home / "keys.json").read_text() + "".join(p.read_text() for p in (home / "idempotency").glob("*.json"))
    assert temp["secret"] not in stored and keys["reader"]["secret"] not in stored


def test_audit_log_records_who_did_what_without_secrets(server, keys):
    with server.client() as admin:
        admin.delete("/v1/collections/a/documents/uploads/vpn-guide.txt")
    with server.client("gk_wrong") as anonymous:
        anonymous.post("/v1/keys", json={"role": "admin", "collections": ["*"]})
    text = (server.settings.home / "audit.log").read_text()
    entries = [json.loads(line) for line in text.splitlines()]
    actions = {(e["method"], e["action"], e["status"], e["key_id"]) for e in entries}
    assert ("POST", "create_key", 201, "settings-admin") in actions
    assert ("DELETE", "delete_document", 204, "settings-admin") in actions
    assert ("POST", "upload_documents", 403, keys["reader"]["id"]) in actions
    assert ("POST", "create_key", 401, None) in actions
    assert all(e["at"] and e["path"].startswith("/v1/") for e in entries)
    assert not any(e["path"] == "/v1/chat" for e in entries)  # questions are not audit events
    for secret in [ADMIN_KEY, "gk_wrong"] + [k["secret"] for k in keys.values()]:
        assert secret not in text


def test_a_scoped_admin_cannot_mint_wider_keys_or_manage_other_keys(server, keys):
    """Issue 9 finding 1: grants bound every role; only an unscoped admin lists or revokes other keys."""
    with server.client() as root:
        other = root.post("/v1/keys", json={"role": "reader", "collections": ["b"], "name": "tenant b"}).json()
    with server.client(keys["admin"]["secret"]) as scoped:
        for body in ({"role": "admin", "collections": ["*"]}, {"role": "reader", "collections": ["b"]},
                     {"role": "editor", "collections": ["a", "b"]}):
            r = scoped.post("/v1/keys", json=body)
            assert r.status_code == 403, (body, r.text)
            assert r.json()["detail"]
        assert scoped.get("/v1/keys").status_code == 403
        assert scoped.delete(f"/v1/keys/{other['id']}").status_code == 403
        # a subset of its own role and grant is fine, and that key reads only 'a'
        r = scoped.post("/v1/keys", json={"role": "reader", "collections": ["a"]})
        assert r.status_code == 201, r.text
        minted = r.json()
    with server.client(minted["secret"]) as reader:
        assert [c["name"] for c in reader.get("/v1/collections").json()] == ["a"]
        assert reader.post("/v1/chat", json={"collection": "b", "question": "budget?"}).status_code == 403
    with server.client(keys["editor"]["secret"]) as editor:  # editors manage no keys at all
        assert editor.post("/v1/keys", json={"role": "reader", "collections": ["a"]}).status_code == 403
    with server.client(other["secret"]) as still_valid:
        assert still_valid.get("/v1/collections").status_code == 200
