"""Issue 9 finding 6 (parse-time limit): an uploaded file whose parse outlasts `ingest.parse_timeout_s` fails
alone in its job's report with the reason; the job's other file and another tenant's job go on."""

from __future__ import annotations

from api_e2e import DOCS, create_collection, upload, wait_for_job

SERVER_SETTINGS = {"ingest": {"parse_timeout_s": 3}}


def archive(n_bytes: int) -> str:
    """Plain text that takes unstructured minutes to partition on 2 cores."""
    lines, size, i = [], 0, 0
    while size < n_bytes:
        line = f"Entry {i} of the archive notes that shipment {i * 7} left depot {i % 13} at {i % 24}:00."
        lines.append(line + ("\n" if i % 5 == 4 else ""))
        size += len(line) + 2
        i += 1
    return "\n".join(lines)


def test_a_slow_parse_fails_alone_and_other_tenants_jobs_go_on(server):
    with server.client() as client:
        create_collection(client, "tenant-slow")
        create_collection(client, "tenant-other")
        slow = upload(client, "tenant-slow", {"a-archive.txt": archive(900_000),
                                              "b-leave.md": DOCS["leave-policy.md"]})
        other = upload(client, "tenant-other", {"vpn-guide.txt": DOCS["vpn-guide.txt"]})
        assert slow.status_code == other.status_code == 202, (slow.text, other.text)
        done_other = wait_for_job(client, other.json()["id"], timeout_s=300)
        done_slow = wait_for_job(client, slow.json()["id"], timeout_s=300)
    assert done_other["status"] == "succeeded" and done_other["report"]["added"] == 1, done_other
    assert done_slow["status"] == "succeeded", done_slow  # the job finishes; one file in it failed
    report = done_slow["report"]
    assert report["added"] == 1 and [f["path"] for f in report["failed"]] == ["uploads/a-archive.txt"]
    assert "longer than the 3 s limit" in report["failed"][0]["error"]
