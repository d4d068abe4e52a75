"""A web page (navigation, cookie banner, sidebar and footer around the text) is parsed to its main content, built
straight from trafilatura's tree: title, headings, paragraphs, list items, tables and code blocks kept, every content
sentence whole (inline code stays inside its sentence), the page chrome dropped."""

from __future__ import annotations

import re

import pytest

from grounded.contracts import ElementKind
from grounded.ingest.parse import parse
from grounded.ingest.sources import discover

PAGE = """<!DOCTYPE html>
<html><head><title>Scripts - Example Docs</title></head>
<body>
<div class="cookie-banner" id="cookie-consent">We use cookies to improve your experience. Accept all cookies?</div>
<header><nav role="navigation"><ul><li><a href="/">Home</a></li><li><a href="/docs">Documentation index</a></li>
<li><a href="/blog">Company blog and announcements</a></li></ul></nav></header>
<div class="sidebar"><h3>Related pages</h3><ul><li><a href="/x">Something unrelated in the sidebar</a></li></ul></div>
<main><article>
<h1>Executable scripts<a class="headerlink" href="#s">¶</a></h1>
<p>Python scripts can be made directly executable on Unix systems, like shell scripts, by putting a shebang line at
the top of the file and giving the file an executable mode.</p>
<h2>Setting the mode<a class="headerlink" href="#m">¶</a></h2>
<p>The first is done by executing <code>chmod +x myscript.py</code> in a terminal, or perhaps
<code>chmod 755 myscript.py</code> when the group needs it too.</p>
<pre>$ chmod +x myscript.py
$ ./myscript.py --verbose</pre>
<p>The mode is kept when the file is copied with the archive flag, which matters for deployment tooling.</p>
<ul>
<li>Interactive sessions read the startup file named by an environment variable.</li>
<li>Scripts never read it unless they import it themselves:
  <ul><li>through the site module's user customisation hook,</li><li>or an explicit exec of its contents.</li></ul>
</li>
</ul>
<h2>Exit codes<a class="headerlink" href="#e">¶</a></h2>
<table><tr><th>Code</th><th>Meaning</th></tr><tr><td>0</td><td>success</td></tr>
<tr><td>2</td><td>command line syntax error</td></tr></table>
<p>A nonzero exit status after printing the stack trace tells the shell that the script failed.</p>
</article></main>
<footer role="contentinfo"><p>Copyright 2001-2026 Example Software Foundation. All rights reserved.</p>
<p>Found a bug? Report it on the tracker.</p></footer>
</body></html>
"""

CONTENT = [
    "Python scripts can be made directly executable on Unix systems, like shell scripts, by putting a shebang line "
    "at the top of the file and giving the file an executable mode.",
    "The first is done by executing chmod +x myscript.py in a terminal, or perhaps chmod 755 myscript.py when the "
    "group needs it too.",
    "The mode is kept when the file is copied with the archive flag, which matters for deployment tooling.",
    "Interactive sessions read the startup file named by an environment variable.",
    "through the site module's user customisation hook,",
    "or an explicit exec of its contents.",
    "A nonzero exit status after printing the stack trace tells the shell that the script failed.",
]
CHROME = ["cookies", "Documentation index", "Company blog", "unrelated in the sidebar", "Copyright", "tracker"]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    (folder / "scripts.html").write_text(PAGE, encoding="utf-8")
    (doc,) = discover(folder).documents
    return parse(doc)


def test_the_main_content_is_kept_and_the_page_chrome_dropped(page):
    assert page.title == "Executable scripts"
    texts = [e.text for e in page.elements]
    for sentence in CONTENT:
        assert sentence in texts, sentence  # each one whole, as one element
    for chrome in CHROME:
        assert chrome not in page.text


def test_headings_build_section_paths_and_lose_their_permalink(page):
    titles = [e.text for e in page.elements if e.kind is ElementKind.TITLE]
    assert titles == ["Executable scripts", "Setting the mode", "Exit codes"]
    table = next(e for e in page.elements if e.kind is ElementKind.TABLE)
    assert table.text.splitlines() == ["Code | Meaning", "0 | success", "2 | command line syntax error"]
    assert table.section_path == ["Executable scripts", "Exit codes"]
    assert "¶" not in page.text


def test_inline_code_stays_in_its_sentence_and_a_code_block_keeps_its_lines(page):
    by_text = {e.text: e for e in page.elements}
    assert "$ chmod +x myscript.py\n$ ./myscript.py --verbose" in by_text
    items = [e.text for e in page.elements if e.kind is ElementKind.LIST_ITEM]
    assert items[0] == CONTENT[3] and CONTENT[5] in items
    words = re.findall(r"\w+", page.text)
    assert words.count("chmod") == 3  # twice inline, once in the block: nothing split off or repeated


def test_html_without_page_chrome_is_parsed_whole(tmp_path):
    (tmp_path / "note.html").write_text(
        "<html><body><h1>Release note</h1><p>Version 2 removes the legacy importer entirely.</p>"
        "<p>Footer-like words inside a plain document are content here.</p></body></html>", encoding="utf-8")
    (doc,) = discover(tmp_path).documents
    parsed = parse(doc)
    assert [e.text for e in parsed.elements] == [
        "Release note", "Version 2 removes the legacy importer entirely.",
        "Footer-like words inside a plain document are content here.",
    ]
