"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose behaviour a test chooses: answer with given text,
hang past the client's timeout, or return invalid JSON. Used to drive the `openai` backend's fault paths."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class ScriptedLLM:
    def __init__(self) -> None:
        self.mode = "ok"
        self.content = "NO_ANSWER"
        self.requests: list[dict] = []
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def _handler(self):
        llm = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                llm.requests.append(body)
                if llm.mode == "slow":
                    time.sleep(5)
                payload = (
                    b"{not json"
                    if llm.mode == "garbage"
                    else json.dumps({
                        "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": llm.content}}],
                        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
                    }).encode()
                )
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted_llm():
    llm = ScriptedLLM()
    yield llm
    llm.close()


class ScriptedGenerator:
    """A generator whose output a policy test chooses: text deltas, then optionally a failure."""

    name = "scripted"
    model = "scripted-1"

    def __init__(self, deltas: list[str], fail: str | None = None, prompt_tokens: int = 120, completion_tokens: int = 12,
                 odds: float | None = None):
        """`odds`: the model's odds of answering; such a generation comes whole, as the JSON form does."""
        self.deltas, self.fail, self.odds = deltas, fail, odds
        self.usage = (prompt_tokens, completion_tokens)
        self.requests = []

    def stream(self, request):
        from grounded.retrieval.generators.base import Generation, GeneratorError

        self.requests.append(request)
        for delta in self.deltas if self.odds is None else ():
            yield delta
        if self.fail:
            raise GeneratorError(self.fail)
        yield Generation(text="".join(self.deltas), model=self.model, prompt_tokens=self.usage[0],
                         completion_tokens=self.usage[1], answer_odds=self.odds)

    def generate(self, request):
        *_, last = self.stream(request)
        return last

    def warm_up(self) -> None:
        pass

    def readiness(self):
        return None

    def describe(self):
        from grounded.retrieval.generators.base import GeneratorInfo

        return GeneratorInfo(name=self.name, model=self.model, judges_evidence=True)

    def endpoint(self):
        return None

    def close(self) -> None:
        pass


@pytest.fixture
def scripted():
    """`scripted(deltas, fail=None, ...)` builds a ScriptedGenerator."""
    return ScriptedGenerator
