"""Library noise off by default: transformers' "Loading weights" progress bar on every model load and
sentence-transformers' "Batches" bars (drawn whenever its logger sits at INFO, as under `grounded serve`).
`verbose=True` (the CLI's `-v`) brings both back along with INFO logs."""

from __future__ import annotations

import logging
import os
import sys

CHATTY_LOGGERS = ("sentence_transformers", "transformers")


def quiet_libraries(verbose: bool = False) -> None:
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    if verbose:
        return
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read when huggingface_hub is first imported
    if "huggingface_hub" in sys.modules:  # already imported: switch its bars off directly
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
