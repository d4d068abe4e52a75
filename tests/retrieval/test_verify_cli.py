"""`grounded verify`: JSONL in (file or stdin), one verdict line per request line, in order."""

from __future__ import annotations

import json
import subprocess
import sys

PASSAGES = ["The museum opened on June 8, 1876.", "The museum's first building held 1,850 fossils. It closed in 1917."]
LINES = [
    {"claim": "The museum opened on June 08, 1876.", "passages": PASSAGES},
    {"claim": "The museum held 1850 fossils and opened in 1880.", "passages": PASSAGES},
    {"claim": "It closed in 1917.", "passages": []},
]


def run(*args: str, stdin: str | None = None, home) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grounded.cli", "verify", *args], input=stdin, capture_output=True,
                          text=True, timeout=300, env={"GROUNDED_HOME": str(home), "PATH": ""})


def test_stdin_lines_in_order(tmp_path):
    res = run(stdin="\n".join(json.dumps(x) for x in LINES) + "\n", home=tmp_path)
    assert res.returncode == 0, res.stderr
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert [o["supported"] for o in out] == [True, False, False]
    assert set(out[0]) == {"supported", "score", "evidence", "unsupported"}
    assert out[0]["evidence"] == [{"passage": 0, "quote": "The museum opened on June 8, 1876."}]
    assert out[1]["unsupported"] == ["1880"]
    assert out[2]["evidence"] == [] and out[2]["score"] == 0.0


def test_file_input_and_invalid_lines(tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_text(json.dumps(LINES[0]) + "\nnot json\n" + json.dumps({"claim": "x"}) + "\n" + json.dumps(LINES[1]))
    res = run(str(path), home=tmp_path)
    assert res.returncode == 3 and "2 invalid" in res.stderr
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(out) == 4 and out[0]["supported"] and out[3]["supported"] is False
    assert out[1]["error"].startswith("line 2") and "passages" in out[2]["error"]
    assert run(str(tmp_path / "missing.jsonl"), home=tmp_path).returncode == 2
