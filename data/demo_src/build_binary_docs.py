#!/usr/bin/env python3
"""Build the PDF and DOCX documents of the demo corpus from Markdown sources.

The sources live next to this script (data/demo_src/*.md) and use a tiny
Markdown subset, one block per line:

    # Title / ## Section / ### Subsection
    - bullet item
    1. numbered item
    | table | row |   (first row = header, second row = |---|---| separator)
    <!-- pagebreak -->   (PDF only: start a new page)
    any other non-empty line = one paragraph

Requires fpdf2 and python-docx (see README.md in this folder).
Usage: python build_binary_docs.py            (writes into ../demo/)
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from docx import Document
from docx.shared import Pt
from fpdf import FPDF
from fpdf.fonts import FontFace

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "demo"
FIXED_DATE = dt.datetime(2025, 6, 1, 9, 0, 0, tzinfo=dt.timezone.utc)

# source file -> (output path relative to data/demo, short title for footer)
TARGETS = {
    "procurement-policy.md": ("finance/procurement-policy.pdf", "Procurement Policy"),
    "hx200-datasheet.md": ("products/hx200-datasheet.pdf", "HX-200 / HX-200L Datasheet"),
    "parental-leave.md": ("hr/parental-leave.docx", "Parental Leave Policy"),
    "working-hours-and-timesheets.md": (
        "hr/working-hours-and-timesheets.docx",
        "Working Hours, Timesheets and Vacation",
    ),
    "onboarding-guide.md": ("hr/onboarding-guide.docx", "Onboarding Guide"),
}


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------
def parse(text: str) -> list[tuple]:
    """Return a list of blocks: (kind, payload)."""
    blocks: list[tuple] = []
    table: list[list[str]] = []

    def flush_table():
        nonlocal table
        if table:
            blocks.append(("table", table))
            table = []

    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                continue  # separator row
            table.append(cells)
            continue
        flush_table()
        if not line.strip():
            continue
        if line.strip() == "<!-- pagebreak -->":
            blocks.append(("pagebreak", None))
        elif m := re.match(r"^(#{1,3})\s+(.*)$", line):
            blocks.append((f"h{len(m.group(1))}", m.group(2)))
        elif line.startswith("- "):
            blocks.append(("bullet", line[2:]))
        elif m := re.match(r"^(\d+)\.\s+(.*)$", line):
            blocks.append(("number", (m.group(1), m.group(2))))
        else:
            blocks.append(("para", line.strip()))
    flush_table()
    return blocks


def check_latin1(name: str, text: str) -> None:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError as exc:
        sys.exit(f"{name}: non latin-1 character {text[exc.start:exc.end]!r}; PDFs use core fonts")


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------
class DocPDF(FPDF):
    def __init__(self, short_title: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.short_title = short_title
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(auto=True, margin=20)

    def footer(self):
        self.set_y(-14)
        self.set_font("Helvetica", size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, f"Halvorsen Instruments - {self.short_title} - Page {self.page_no()} of {{nb}}",
                  align="C")
        self.set_text_color(0, 0, 0)


def build_pdf(blocks: list[tuple], out: Path, short_title: str) -> None:
    pdf = DocPDF(short_title)
    pdf.set_title(short_title)
    pdf.set_author("Halvorsen Instruments AS")
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_page()
    body = 10.5
    lh = 5.6

    for kind, payload in blocks:
        if kind == "pagebreak":
            pdf.add_page()
        elif kind in ("h1", "h2", "h3"):
            size = {"h1": 18, "h2": 14, "h3": 12}[kind]
            pdf.ln({"h1": 0, "h2": 4, "h3": 2}[kind])
            pdf.set_font("Helvetica", "B", size)
            pdf.multi_cell(0, size * 0.5, payload, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "para":
            pdf.set_font("Helvetica", size=body)
            pdf.multi_cell(0, lh, payload, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
        elif kind in ("bullet", "number"):
            pdf.set_font("Helvetica", size=body)
            marker, text = ("-", payload) if kind == "bullet" else (f"{payload[0]}.", payload[1])
            x0 = pdf.l_margin
            pdf.set_x(x0 + 3)
            pdf.cell(6, lh, marker)
            pdf.multi_cell(0, lh, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "table":
            pdf.set_font("Helvetica", size=9.5)
            ncols = len(payload[0])
            widths = (2, 1, 1) if ncols == 3 else None
            with pdf.table(
                col_widths=widths,
                headings_style=FontFace(emphasis="BOLD", fill_color=(225, 232, 240)),
                line_height=5.2,
                text_align="LEFT",
            ) as table:
                for row in payload:
                    r = table.row()
                    for cell in row:
                        r.cell(cell)
            pdf.ln(3)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))


# --------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------
def build_docx(blocks: list[tuple], out: Path, short_title: str) -> None:
    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    cp = doc.core_properties
    cp.title = short_title
    cp.author = "Halvorsen Instruments HR"
    cp.created = FIXED_DATE.replace(tzinfo=None)
    cp.modified = FIXED_DATE.replace(tzinfo=None)

    for kind, payload in blocks:
        if kind == "pagebreak":
            continue
        if kind in ("h1", "h2", "h3"):
            doc.add_heading(payload, level=int(kind[1]))  # Heading 1/2/3 styles
        elif kind == "para":
            doc.add_paragraph(payload)
        elif kind == "bullet":
            doc.add_paragraph(payload, style="List Bullet")
        elif kind == "number":
            doc.add_paragraph(payload[1], style="List Number")
        elif kind == "table":
            table = doc.add_table(rows=len(payload), cols=len(payload[0]))
            table.style = "Table Grid"
            for i, row in enumerate(payload):
                for j, cell in enumerate(row):
                    c = table.cell(i, j)
                    c.text = cell
                    if i == 0:
                        for run in c.paragraphs[0].runs:
                            run.bold = True
            doc.add_paragraph("")
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))


def main() -> None:
    for src_name, (rel_out, short_title) in TARGETS.items():
        text = (HERE / src_name).read_text(encoding="utf-8")
        blocks = parse(text)
        out = OUT / rel_out
        if out.suffix == ".pdf":
            check_latin1(src_name, text)
            build_pdf(blocks, out, short_title)
        else:
            build_docx(blocks, out, short_title)
        print(f"built {out.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
