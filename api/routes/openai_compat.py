"""OpenAI-compatible `POST /v1/chat/completions` and `GET /v1/models`, so the `openai` client and chat UIs work.

`model` names the collection; the last user message is the question and the turns before it the history.
Citations appear in the content as [n] and in full in the extra top-level `citations` field; `grounded` carries
the whole answer contract. A stream sends each sentence as a delta as soon as it has passed citation verification
(raw generator tokens are not forwarded: verification may remove sentences); an answer without sentences (no
answer, a follow-up question) arrives as one delta at the end.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, status
from starlette.responses import StreamingResponse

from grounded.api.deps import AnswersDep, MetricsDep, PrincipalDep, StoreDep, ask_request, granted_collection
from grounded.api.errors import describe, log_failure
from grounded.api.metrics import Metrics
from grounded.api.schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessage,
    ChunkChoice,
    CompletionChoice,
    CompletionUsage,
    Delta,
    MessageRole,
    ModelCard,
    ModelList,
)
from grounded.api.sse import frame, primed, sse_response
from grounded.contracts import Answer
from grounded.retrieval.events import FinalEvent, RetractEvent, SentenceEvent, StreamEvent
from grounded.retrieval.generators.base import ChatTurn

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

NO_TEXT = "The documents do not hold the answer to this question."
RETRACTED = "the text above is withdrawn"


def answer_text(answer: Answer) -> str:
    """What a chat UI shows: the answer, else the follow-up question, else what is missing."""
    return answer.answer or answer.followup_question or answer.missing_information or NO_TEXT


def _usage(answer: Answer) -> CompletionUsage:
    u = answer.usage
    return CompletionUsage(
        prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens,
        total_tokens=u.prompt_tokens + u.completion_tokens,
    )


def _question_and_history(messages: list[ChatMessage]) -> tuple[str, list[ChatTurn]]:
    users = [i for i, m in enumerate(messages) if m.role is MessageRole.USER]
    question = messages[users[-1]].text().strip() if users else ""
    if not question:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the last user message must hold a question")
    history = [
        ChatTurn(role=m.role.value, content=m.text())
        for m in messages[: users[-1]]
        if m.role in (MessageRole.USER, MessageRole.ASSISTANT) and m.text()
    ]
    return question, history


def _chunks(events: Iterator[StreamEvent], model: str, metrics: Metrics) -> Iterator[str]:
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(choice: ChunkChoice, answer: Answer | None = None) -> str:
        last = answer is not None and choice.finish_reason is not None
        return frame(
            ChatCompletionChunk(
                id=completion_id, created=created, model=model, choices=[choice],
                usage=_usage(answer) if last else None,
                citations=answer.citations if last else None,
                grounded=answer if last else None,
            ).model_dump_json()
        )

    try:
        yield chunk(ChunkChoice(delta=Delta(role="assistant", content="")))
        sent = False
        for event in events:
            if isinstance(event, SentenceEvent):
                yield chunk(ChunkChoice(delta=Delta(content=(" " if sent else "") + event.text)))
                sent = True
            elif isinstance(event, RetractEvent) and sent:  # a chat UI cannot unsay text: say it is withdrawn
                yield chunk(ChunkChoice(delta=Delta(content=f"\n\n({RETRACTED}: {event.reason})\n\n")))
                sent = False
            elif isinstance(event, FinalEvent):
                metrics.observe_answer(event.answer)
                if not sent:
                    yield chunk(ChunkChoice(delta=Delta(content=answer_text(event.answer))))
                yield chunk(ChunkChoice(delta=Delta(), finish_reason="stop"), event.answer)
    except Exception as exc:  # the headers are sent: report it the way OpenAI streams do
        log_failure(exc, "chat completion stream")
        code, message = describe(exc)
        yield frame(json.dumps({"error": {"message": message, "type": "grounded_error", "code": code}}))
    yield frame("[DONE]")


@router.post("/chat/completions", response_model=ChatCompletion)
def chat_completions(
    body: ChatCompletionRequest, principal: PrincipalDep, store: StoreDep, answers: AnswersDep, metrics: MetricsDep
) -> ChatCompletion | StreamingResponse:
    """OpenAI chat completion over the collection named by `model`."""
    granted_collection(store, principal, body.model)
    question, history = _question_and_history(body.messages)
    request = ask_request(principal, collection=body.model, question=question, history=history)
    if body.stream:
        return sse_response(_chunks(primed(answers.stream(request)), body.model, metrics))
    answer = answers.ask(request)
    metrics.observe_answer(answer)
    return ChatCompletion(
        id=f"chatcmpl-{answer.trace_id}",
        created=int(time.time()),
        model=body.model,
        choices=[CompletionChoice(message=AssistantMessage(content=answer_text(answer)))],
        usage=_usage(answer),
        citations=answer.citations,
        grounded=answer,
    )


@router.get("/models", response_model=ModelList)
def list_models(principal: PrincipalDep, store: StoreDep) -> ModelList:
    """The collections this key may ask, as OpenAI models (chat UIs list them in their model picker)."""
    return ModelList(
        data=[
            ModelCard(id=info.name, created=int(info.created_at.timestamp()))
            for info in store.list_collections()
            if principal.can_access(info.name)
        ]
    )
