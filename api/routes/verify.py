"""`POST /v1/verify` (any key, reader role and up): is this claim supported by these passages? The same judge
(retrieval/judge.py, cheap path) as the answer pipeline's verifier, `grounded verify` and the eval suite."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter

from grounded.api.deps import PrincipalDep
from grounded.retrieval.judge import ClaimCheck, ClaimVerdict, Judge

router = APIRouter(prefix="/v1", tags=["verify"])


@lru_cache(maxsize=1)
def _judge() -> Judge:
    return Judge()


@router.post("/verify")
def verify(body: ClaimCheck, principal: PrincipalDep) -> ClaimVerdict:
    """Each part of the claim (clause, number, date, name) must be backed by a window of nearby sentences of one
    passage; the verdict names the quotes that back it and the spans that nothing backs."""
    return ClaimVerdict(**_judge().judge(body.claim, body.passages).model_dump(include=set(ClaimVerdict.model_fields)))
