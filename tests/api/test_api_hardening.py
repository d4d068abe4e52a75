"""Issue 9, reproduced over real HTTP first: malformed input is a 4xx with one JSON error shape (never a 500),
the key is checked before the body is read, body and history sizes are bounded, uploads are isolated per
request, and what the server writes is private and bounded in time."""

from __future__ import annotations

import socket
import stat

import pytest
from api_e2e import DOCS, LEAVE_QUESTION, create_collection, ingest_files, upload, wait_for_job

COLLECTION = "hard"


@pytest.fixture(scope="module")
def loaded(server) -> None:
    with server.client() as client:
        ingest_files(client, COLLECTION, {"leave-policy.md": DOCS["leave-policy.md"]})


def _error_shape(r) -> str:
    """Every error body is `{"detail": "<message>"}` (validation errors also list `errors`)."""
    body = r.json()
    assert isinstance(body.get("detail"), str) and body["detail"], body
    return body["detail"]


def test_lone_surrogates_are_422_on_every_json_endpoint(server, loaded):
    raw = {
        "/v1/chat": '{"collection": "hard", "question": "leave \\ud800 days?"}',
        "/v1/chat/completions": '{"model": "hard", "messages": [{"role": "user", "content": "\\udfff"}]}',
        "/v1/collections": '{"name": "s1", "source_path": "\\ud800"}',
        "/v1/keys": '{"role": "reader", "collections": ["hard"], "name": "\\ud800"}',
    }
    with server.client() as client:
        for path, body in raw.items():
            r = client.post(path, content=body.encode(), headers={"content-type": "application/json"})
            assert r.status_code == 422, (path, r.status_code, r.text)
            assert "surrogate" in _error_shape(r)


@pytest.mark.parametrize("key", ["[", "", ".", "a..b", '"', "a b"])
def test_odd_filter_keys_are_422(server, loaded, key):
    with server.client() as client:
        r = client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION,
                                          "filters": {"equals": {key: "x"}}})
    assert r.status_code == 422, r.text
    _error_shape(r)


def test_integer_filter_values_beyond_64_bits_are_422(server, loaded):
    with server.client() as client:
        for value in (2**63, -(2**63) - 1, 10**30):
            r = client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION,
                                              "filters": {"equals": {"year": value}}})
            assert r.status_code == 422, (value, r.text)
        ok = client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION,
                                           "filters": {"equals": {"meta.year": 2**63 - 1}}})
        assert ok.status_code == 200, ok.text


def test_long_upload_file_names_are_422_and_nothing_is_left_for_the_next_job(server, loaded):
    with server.client() as client:
        long_name = "n" * 240 + ".md"
        r = upload(client, COLLECTION, {"keep-me-out.md": "# Secret\n\nThe vault code is 4711.\n", long_name: "# x\n"})
        assert r.status_code == 422, r.text
        assert "long" in _error_shape(r)
        # a request that fails after saving some files must not leak them into the next job
        job = upload(client, COLLECTION, {"canteen.txt": "The canteen opens at 11:30.\n"})
        assert job.status_code == 202, job.text
        done = wait_for_job(client, job.json()["id"])
        assert done["status"] == "succeeded", done
        docs = {d["doc_id"] for d in client.get(f"/v1/collections/{COLLECTION}/documents").json()}
    assert "uploads/canteen.txt" in docs
    assert not any("keep-me-out" in d for d in docs), docs


def test_a_failed_multipart_request_leaves_no_file_for_the_next_job(server, loaded):
    """The body is cut off after the first file part: its file is never ingested."""
    with server.client() as client:
        boundary = "b0undary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"orphan.md\"\r\n"
                "Content-Type: text/markdown\r\n\r\n# Orphan\n\nThe orphan secret is 99.\n\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"bad.exe\"\r\n\r\nMZ\r\n"
                f"--{boundary}--\r\n").encode()
        r = client.post(f"/v1/collections/{COLLECTION}/documents", content=head,
                        headers={"content-type": f"multipart/form-data; boundary={boundary}"})
        assert r.status_code == 415, r.text
        job = upload(client, COLLECTION, {"parking.txt": "Parking is free for staff.\n"})
        assert wait_for_job(client, job.json()["id"])["status"] == "succeeded"
        docs = {d["doc_id"] for d in client.get(f"/v1/collections/{COLLECTION}/documents").json()}
    assert "uploads/parking.txt" in docs and not any("orphan" in d for d in docs), docs


def test_the_key_is_checked_before_the_body_is_read(server, loaded):
    """A large body without a valid key is refused with 401 before the server reads it."""
    host, port = server.base_url.removeprefix("http://").split(":")
    declared = 300 * 1024 * 1024
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST /v1/chat HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared}\r\n\r\n".encode() + b'{"collection": "hard", "question": "'
        )
        reply = b""
        while b"}" not in reply:  # nothing more is sent: the server must answer anyway
            data = sock.recv(4096)
            if not data:
                break
            reply += data
        reply = reply.decode("latin-1")
    assert reply.startswith("HTTP/1.1 401"), reply[:200]
    assert '"detail"' in reply


def test_json_bodies_and_chat_history_are_bounded(server, loaded):
    limit = server.settings.api.max_json_kb * 1024
    with server.client() as client:
        big = client.post("/v1/chat", json={"collection": COLLECTION, "question": "x" * 10,
                                            "history": [{"role": "user", "content": "y" * limit}]})
        assert big.status_code == 413, big.text
        assert "KB" in _error_shape(big)
        turns = [{"role": "user", "content": "hi"}] * 1000
        r = client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION, "history": turns})
        assert r.status_code == 422, r.text
        messages = [{"role": "user", "content": "hi"}] * 1000
        r = client.post("/v1/chat/completions", json={"model": COLLECTION, "messages": messages})
        assert r.status_code == 422, r.text

        def chunked():
            yield b'{"collection": "hard", "question": "'
            for _ in range(limit // 4096 + 2):
                yield b"z" * 4096
            yield b'"}'

        r = client.post("/v1/chat", content=chunked(), headers={"content-type": "application/json"})
        assert r.status_code == 413, r.text


def test_validation_errors_have_one_json_shape(server, loaded):
    with server.client() as client:
        r = client.post("/v1/chat", json={"collection": COLLECTION})
        assert r.status_code == 422
        _error_shape(r)
        assert isinstance(r.json()["errors"], list)
        r = client.post("/v1/collections", json={"name": "../etc"})
        assert r.status_code == 422
        _error_shape(r)


def test_openapi_lists_the_error_responses(server):
    with server.client(None) as anonymous:
        spec = anonymous.get("/openapi.json").json()
    upload_op = spec["paths"]["/v1/collections/{name}/documents"]["post"]["responses"]
    assert {"401", "403", "404", "411", "413", "415", "422"} <= set(upload_op), sorted(upload_op)
    create_op = spec["paths"]["/v1/collections"]["post"]["responses"]
    assert {"401", "403", "409", "422"} <= set(create_op), sorted(create_op)
    chat_op = spec["paths"]["/v1/chat"]["post"]["responses"]
    assert {"401", "403", "404", "413", "422"} <= set(chat_op), sorted(chat_op)
    schema = spec["components"]["schemas"]["ErrorBody"]
    assert schema["properties"]["detail"]["type"] == "string"


def test_audit_log_and_traces_are_private(server, loaded):
    with server.client() as client:
        r = client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION})
        assert r.status_code == 200 and r.json()["citations"]
        assert str(server.settings.home) not in r.text  # citations carry relative ids, not server paths
        client.post("/v1/collections", json={"name": "private-check"})
    home = server.settings.home
    trace = home / "traces" / f"{r.json()['trace_id']}.json"
    for path in (home / "audit.log", trace):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_an_idempotency_key_reused_with_another_body_is_422(server, loaded):
    with server.client() as client:
        first = client.post("/v1/collections", json={"name": "idem-1"}, headers={"Idempotency-Key": "same"})
        assert first.status_code == 201
        replay = client.post("/v1/collections", json={"name": "idem-1"}, headers={"Idempotency-Key": "same"})
        assert replay.status_code == 201 and replay.headers.get("idempotent-replayed") == "true"
        other = client.post("/v1/collections", json={"name": "idem-2"}, headers={"Idempotency-Key": "same"})
        assert other.status_code == 422, other.text
        assert "Idempotency-Key" in _error_shape(other)
        assert client.get("/v1/collections").json()  # idem-2 was not created
        assert "idem-2" not in {c["name"] for c in client.get("/v1/collections").json()}


def test_a_new_collection_does_not_inherit_traces_or_jobs_of_a_deleted_one(server, loaded):
    with server.client() as admin:
        ingest = ingest_files(admin, "reborn", {"leave-policy.md": DOCS["leave-policy.md"]})
        trace_id = admin.post("/v1/chat", json={"collection": "reborn", "question": LEAVE_QUESTION}).json()["trace_id"]
        assert admin.delete("/v1/collections/reborn").status_code == 204
        create_collection(admin, "reborn")
        key = admin.post("/v1/keys", json={"role": "admin", "collections": ["reborn"]}).json()
    with server.client(key["secret"]) as new_owner:
        assert new_owner.get(f"/v1/traces/{trace_id}").status_code == 404
        assert new_owner.get(f"/v1/jobs/{ingest['id']}").status_code == 404


def test_source_path_only_inside_allowed_roots_and_never_shown_absolute(server, loaded, tmp_path):
    inside = tmp_path / "corpus"
    inside.mkdir()
    (inside / "leave-policy.md").write_text(DOCS["leave-policy.md"])
    with server.client() as root:
        scoped = root.post("/v1/keys", json={"role": "admin", "collections": ["outside"]}).json()
        for path in ("/etc", str(server.settings.home), f"{inside}/../../../../etc"):
            r = root.post("/v1/collections", json={"name": "outside", "source_path": path})
            assert r.status_code == 422, (path, r.text)
            assert "source roots" in _error_shape(r)
        r = root.post("/v1/collections", json={"name": "inside", "source_path": str(inside)})
        assert r.status_code == 201, r.text
        assert r.json()["source_path"] == inside.relative_to(tmp_path.parent).as_posix()
        job = wait_for_job(root, root.post("/v1/collections/inside/reingest").json()["id"])
        assert job["status"] == "succeeded", job
        listed = root.get("/v1/collections").text + root.get("/v1/collections/inside/documents").text
    with server.client(scoped["secret"]) as tenant:
        r = tenant.post("/v1/collections", json={"name": "outside", "source_path": "/etc"})
        assert r.status_code == 422, r.text
        r = tenant.post("/v1/collections", json={"name": "outside"})
        assert r.status_code == 201
        r = tenant.post("/v1/collections/outside/reingest", json={"path": "/etc"})
        assert r.status_code == 422, r.text
    assert str(tmp_path) not in listed and str(server.settings.home) not in listed


def test_an_upload_never_removes_folder_documents_under_uploads(server, loaded, tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "uploads").mkdir(parents=True)
    (corpus / "uploads" / "handbook.md").write_text(DOCS["leave-policy.md"])
    (corpus / "expenses.md").write_text(DOCS["expenses.md"])
    with server.client() as client:
        create_collection(client, "mixed", source_path=corpus)
        assert wait_for_job(client, client.post("/v1/collections/mixed/reingest").json()["id"])["status"] == "succeeded"
        before = {d["doc_id"] for d in client.get("/v1/collections/mixed/documents").json()}
        assert before == {"uploads/handbook.md", "expenses.md"}
        job = upload(client, "mixed", {"vpn-guide.txt": DOCS["vpn-guide.txt"]})
        assert wait_for_job(client, job.json()["id"])["status"] == "succeeded"
        after = {d["doc_id"] for d in client.get("/v1/collections/mixed/documents").json()}
    assert after == before | {"uploads/vpn-guide.txt"}


def test_job_reports_show_no_server_paths(server, loaded):
    with server.client() as client:
        job = upload(client, COLLECTION, {"canteen-2.txt": "The canteen closes at 15:00.\n"}).json()
        done = wait_for_job(client, job["id"])
    assert done["status"] == "succeeded" and done["report"]["added"] == 1
    assert str(server.settings.home) not in str(done)
