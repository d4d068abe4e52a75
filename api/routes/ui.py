"""The browser pages: the chat page at `/`, trace review at `/review`, their static files under `/static`.
The pages are plain HTML/CSS/JS modules shipped inside the package (no build step, nothing from a CDN); they call
the same /v1 API with the key the user types in, kept in the browser's session storage."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def chat_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")


@router.get("/review")
def review_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "review.html")


def install(app: FastAPI) -> None:
    """Add the pages and mount their static files."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
