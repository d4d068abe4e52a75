"""Decode a text file's bytes: a BOM decides (UTF-8/16/32), else UTF-8, else Windows-1252 (a superset of Latin-1's
printable range, the usual 8-bit encoding of Western text). Hand-written because charset-normalizer guessed
cp1250 for short Latin-1 French text and turned 'à' into 'ŕ'. Binary content is refused."""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = set(range(0, 32)) - {9, 10, 12, 13}


class NotText(ValueError):
    """The bytes are not text in any encoding we read."""


def decode_text(data: bytes) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise NotText(f"invalid {codec} text (byte {exc.start})") from exc
    head = data[:8192]
    if b"\x00" in head or sum(b in _CONTROL for b in head) > len(head) // 100 + 1:
        raise NotText("binary content in a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")
