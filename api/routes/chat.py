"""`POST /v1/chat`: the answer contract, or its typed events as Server-Sent Events."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from starlette.responses import StreamingResponse

from grounded.api.deps import ComponentsDep, MetricsDep, PrincipalDep, StoreDep, ask_request, granted_collection
from grounded.api.errors import describe, log_failure
from grounded.api.metrics import Metrics
from grounded.api.schemas import ChatRequest
from grounded.api.sse import frame, primed, sse_response
from grounded.contracts import Answer
from grounded.retrieval.events import ErrorEvent, FinalEvent, StreamEvent

router = APIRouter(prefix="/v1", tags=["chat"])

SSE_DOC = {
    200: {
        "description": "The answer contract; with `stream: true`, `text/event-stream` events "
        "(`retrieval`, `citation`, `sentence` (each verified sentence as soon as it passed), `retract`, `final`, "
        "`error`) whose data is the event as JSON.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def _events(events: Iterator[StreamEvent], metrics: Metrics) -> Iterator[str]:
    try:
        for event in events:
            if isinstance(event, FinalEvent):
                metrics.observe_answer(event.answer)
            yield frame(event.model_dump_json(), event=event.type.value)
    except Exception as exc:  # the headers are sent: report the failure as the stream's last event
        log_failure(exc, "chat stream")
        status, message = describe(exc)
        error = ErrorEvent(message=message, status_code=status)
        yield frame(error.model_dump_json(), event=error.type.value)


@router.post("/chat", response_model=Answer, responses=SSE_DOC)
def chat(
    body: ChatRequest, principal: PrincipalDep, store: StoreDep, components: ComponentsDep, metrics: MetricsDep
) -> Answer | StreamingResponse:
    """Answer a question from one collection, with citations, or say the documents do not hold the answer."""
    granted_collection(store, principal, body.collection)
    variant = components.router.route(body.collection, body.conversation_id or body.user_id, principal.key_id)
    answers = components.answers_for(variant)
    request = ask_request(
        principal,
        collection=body.collection,
        question=body.question,
        history=body.history,
        filters=body.filters,
        top_k=body.top_k,
        budget_ms=body.budget_ms,
    )
    if body.stream:
        return sse_response(_events(primed(answers.stream(request)), metrics))
    answer = answers.ask(request)
    metrics.observe_answer(answer)
    return answer
