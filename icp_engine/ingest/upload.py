"""Upload entry point: bytes + file name -> :class:`ParsedUpload`, or :class:`UploadError`.

Everything is checked before anything is returned (parsing is pure: nothing is written here,
so a refused upload leaves the database untouched):

1. **Size**: more than ``max_bytes`` (default 200 MiB, ``Settings.max_upload_bytes``, the
   dashboard's limit; the CLI reads local files up to ``icp_engine.cli.CLI_MAX_FILE_BYTES``, 1 GiB)
   -> error. A UTF-8 page is validated in steps and parsed from its bytes (in slices when big),
   never decoded whole; freed parse memory is given back to the system (:func:`release_free_memory`).
2. **Empty**: zero bytes or only whitespace -> error.
3. **Containers**: a ZIP is accepted only when it holds LinkedIn's ``Connections.csv`` (the data
   export "Get a copy of your data"); members are capped at 2,000, the CSV's uncompressed size
   at ``max_bytes`` (checked on the header and again while reading, so a lying header does not
   help) and its compression ratio at 200:1 above 1 MB (zip-bomb guards); encrypted or damaged
   ZIPs and ZIPs without that CSV (Office ``.xlsx``/``.docx`` get their own hint) are refused.
   A single ``.gz`` file (e.g. ``followers.html.gz``) is accepted and decompressed with the same
   size cap; nothing is nested further (a ZIP inside a gzip is refused).
4. **Binary sniffing**: PDF, images (PNG, JPEG, GIF, WebP, BMP, TIFF, ICO), legacy Office,
   7z/RAR/bzip2/xz archives, executables, SQLite, and any file with NUL bytes that is not
   UTF-16/32 with a BOM -> error naming the type.
5. **Encoding**: UTF-8 (with or without BOM), UTF-16 LE/BE and UTF-32 with a BOM; otherwise
   the declared ``<meta charset>`` of an HTML page (beautifulsoup4's ``UnicodeDammit``) or
   charset-normalizer's guess (Windows-1252, Latin-1, ...). Text that still looks binary (over
   1 % control characters) -> error.
6. **Type by content, not by name**: MHTML ("Webpage, Single File") -> its HTML part; HTML,
   including a bare fragment copied from the browser's developer tools (``<ul>…</ul>``, no head
   or title) -> :func:`icp_engine.ingest.html_pages.parse_people_page` (refused when it carries
   no LinkedIn marker: title, address, nav, card markup or photos from LinkedIn's image hosts);
   a CSV with a ``First Name`` header (``,`` / ``;`` / tab) -> :func:`parse_connections_csv`;
   any other text -> :func:`parse_url_list`.
7. **Zero profiles** -> error explaining what was expected.

Hostile HTML (megabytes of ``<script>``, huge attributes, cards nested in cards) is parsed in
near-linear time (Lexbor, plus bounded ancestor walks); texts taken from it are capped at 600
characters per field, links at 8 kB, data islands at 5,000 / 20 MB. Any unexpected parser
exception is logged and turned into an :class:`UploadError`, so callers only ever see that.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import gzip
import io
import logging
import re
import unicodedata
import zipfile
import zlib

from ._types import UPLOAD_KINDS, ParsedUpload, UploadError
from .connections_csv import is_connections_csv, parse_connections_csv
from .html_pages import parse_people_page
from .url_list import parse_url_list

__all__ = ["UPLOAD_KINDS", "ParsedUpload", "UploadError", "parse_upload", "parse_text",
           "DEFAULT_MAX_BYTES"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_COMPRESSION_RATIO = 200
_SAMPLE = 65536

#: (magic prefix, human name) of binary formats refused outright.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", None),  # checked more strictly below (BMP)
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an icon file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office document (.xls/.doc)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"BZh", None),  # bzip2, checked more strictly below
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", None),  # Windows executable, checked more strictly below
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x00asm", "a WebAssembly binary"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: How an HTML document starts, or a fragment copied from the browser's developer tools
#: ("Copy outerHTML" of the people list: ``<ul …>``, ``<li …>``, ``<section …>``, ``<main …>``).
_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html|<!--|<head|<body|<meta|<title|<div|"
                         r"<ul[\s>]|<ol[\s>]|<li[\s>]|<section[\s>]|<main[\s>]|<article[\s>])",
                         re.IGNORECASE)
_HTML_ANY = re.compile(r"<(?:html|body|div|a\s|span|li|ul|main|section)\b", re.IGNORECASE)
_MHTML_START = re.compile(r"^(?:From|MIME-Version|Snapshot-Content-Location|Subject|Date):",
                          re.IGNORECASE | re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def parse_upload(filename: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedUpload:
    """Validate and parse one uploaded file.

    ``filename`` is only a hint (used for messages and to recognise ``.gz``); the type is sniffed
    from the content. ``data`` is the raw file content; ``max_bytes`` caps both the upload and
    any decompressed content (default 200 MiB).

    Returns a :class:`ParsedUpload` with at least one person. Raises :class:`UploadError` (only
    that exception) with a user-facing message for every refused input: too large, empty,
    binary, undecodable, a ZIP without ``Connections.csv``, a zip bomb, an HTML page that is not
    from LinkedIn, or no profile found.
    """
    try:
        return _parse_upload(str(filename or "upload"), data, max_bytes=max_bytes, depth=0)
    except UploadError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise UploadError(f"The file '{filename}' is too complex to read safely "
                          f"({type(exc).__name__}). Upload a smaller file.") from exc
    except Exception as exc:  # last resort: a parser bug must not surface as a crash
        log.exception("unexpected error while parsing upload %r", filename)
        raise UploadError(f"The file '{filename}' could not be read ({type(exc).__name__}). "
                          "Check that it is a saved LinkedIn page, a Connections.csv or a list "
                          "of profile URLs.") from exc
    finally:
        if isinstance(data, (bytes, bytearray)) and len(data) >= _TRIM_MIN_BYTES:
            release_free_memory()


#: Inputs from this size on give the freed parse memory back to the system afterwards.
_TRIM_MIN_BYTES = 4 * 1024 * 1024


def release_free_memory() -> None:
    """Return freed heap memory to the operating system (glibc ``malloc_trim(0)``; a no-op
    elsewhere). Why: a page's trees are many small allocations; once freed, glibc keeps them
    in the process, so the peak of the parse stayed the process's RSS for the whole run
    (measured at 50,000 followers: 1.40 GB after the parse, 0.25 GB after the trim). Takes
    milliseconds."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        pass


def parse_text(text: str) -> ParsedUpload:
    """Parse pasted text: profile URLs (any separators), or a pasted ``Connections.csv``.

    Raises :class:`UploadError` when the text is empty or holds no LinkedIn profile URL.
    """
    if not isinstance(text, str) or not text.strip():
        raise UploadError("Nothing was pasted. Paste LinkedIn profile URLs, one per line.")
    if is_connections_csv(text):
        result = parse_connections_csv(text)
    else:
        result = parse_url_list(text)
    result.stats.setdefault("encoding", "text")
    return _require_people(result, "pasted text")


# --- implementation --------------------------------------------------------------------------
def _parse_upload(filename: str, data: bytes, *, max_bytes: int, depth: int) -> ParsedUpload:
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise UploadError("The upload could not be read (no file content was received).")
    size = len(data)
    if size > max_bytes:
        raise UploadError(f"The file '{filename}' is {_mb(size)}; the limit is {_mb(max_bytes)}. "
                          "Split the list or upload LinkedIn's Connections.csv instead.")
    if size == 0 or (not data[:4096].strip() and not data.strip()):
        raise UploadError(f"The file '{filename}' is empty.")

    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        if depth:
            raise UploadError(f"'{filename}' contains another archive; upload the file itself.")
        return _from_zip(filename, data, max_bytes=max_bytes)
    if data.startswith(b"\x1f\x8b"):
        if depth:
            raise UploadError(f"'{filename}' contains another archive; upload the file itself.")
        inner = _gunzip(filename, data, max_bytes=max_bytes)
        inner_name = filename[:-3] if filename.lower().endswith(".gz") else filename
        result = _parse_upload(inner_name, inner, max_bytes=max_bytes, depth=depth + 1)
        result.warnings.insert(0, f"Read the gzip-compressed file '{filename}'.")
        return result
    _reject_binary(filename, data)

    page = _utf8_html(filename, data)
    if page is not None:  # a UTF-8 page: Lexbor reads the bytes, no decoded copy is made
        result = _from_html(filename, page)
        result.stats["bytes"] = size
        result.stats["encoding"] = "utf-8"
        return _require_people(result, f"'{filename}'")
    text, encoding = _decode(filename, data)
    if encoding != "utf-8" and (not text or text.isspace()):  # e.g. a UTF-16 file of spaces
        raise UploadError(f"The file '{filename}' is empty.")
    head = text[:_SAMPLE]
    if encoding == "utf-8" and _is_html(filename, head) and not _is_mhtml(head):
        # Lexbor reads UTF-8 bytes directly: drop the decoded copy of a big page before parsing
        del text
        result = _from_html(filename, data[3:] if data.startswith(codecs.BOM_UTF8) else data)
    else:
        result = _parse_decoded(filename, data, text, encoding)
    result.stats["bytes"] = size
    result.stats["encoding"] = encoding
    return _require_people(result, f"'{filename}'")


#: Bytes validated per step by :func:`_utf8_html` (the decoded text of one step is dropped at once).
_VALIDATE_CHUNK = 1 << 20


def _utf8_html(filename: str, data: bytes) -> bytes | None:
    """The bytes to parse when ``data`` is an HTML page (not MHTML) in valid UTF-8, BOM removed;
    else None (the caller then decodes the whole text as before: other encodings, a cut last
    character, CSV, URL lists). Decides as :func:`_decode` + :func:`_is_html` would, but validates
    the UTF-8 in steps of :data:`_VALIDATE_CHUNK` bytes instead of building the page's text (a
    140 MB page with one non-ASCII name was a 280 MB ``str``)."""
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    if any(data.startswith(bom) for bom, enc in _BOMS if enc != "utf-8"):
        return None
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        head = dec.decode(body[:4 * _SAMPLE], final=len(body) <= 4 * _SAMPLE)[:_SAMPLE]
    except UnicodeDecodeError:
        return None
    if not _is_html(filename, head) or _is_mhtml(head):
        return None
    dec = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(body)
    try:
        for i in range(0, len(body), _VALIDATE_CHUNK):
            dec.decode(view[i:i + _VALIDATE_CHUNK], final=i + _VALIDATE_CHUNK >= len(body))
    except UnicodeDecodeError:
        return None
    finally:
        view.release()
    _check_text(filename, head)
    return body


def _is_mhtml(head: str) -> bool:
    return bool(_MHTML_START.match(head.lstrip())) and "multipart/related" in head.lower()


def _is_html(filename: str, head: str) -> bool:
    return bool(_HTML_START.match(head)) or (
        filename.lower().endswith((".html", ".htm")) and _HTML_ANY.search(head) is not None)


def _parse_decoded(filename: str, data: bytes, text: str, encoding: str) -> ParsedUpload:
    head = text[:_SAMPLE]
    if _is_mhtml(head):
        return _from_html(filename, _mhtml_html(filename, data))
    if _is_html(filename, head):
        return _from_html(filename, text)
    if is_connections_csv(text):
        return parse_connections_csv(text)
    low = head.lower()
    if _HTML_ANY.search(head) and ("linkedin" in low or "licdn" in low) and "/in/" in text:
        return _from_html(filename, text)  # HTML fragment without a document prologue
    return parse_url_list(text)


def _from_html(filename: str, html: str | bytes) -> ParsedUpload:
    page = parse_people_page(html)
    if not page.is_linkedin:
        raise UploadError(
            f"'{filename}' is HTML, but not a saved LinkedIn page or a people list copied from one "
            "(no LinkedIn title, address, card markup or LinkedIn photos were found). Open your "
            "followers list on linkedin.com, scroll to the end, and save it with Ctrl+S / Cmd+S; "
            "or upload a list of profile URLs as .txt or .csv.")
    if not page.people:
        raise UploadError(
            f"No LinkedIn profiles were found in '{filename}' (a LinkedIn page with "
            f"{page.stats.get('cards', 0)} people cards). Scroll the followers list until all "
            "people are loaded before saving the page, and save it as 'Webpage, Complete' or "
            "'HTML only'.")
    return ParsedUpload(kind=page.kind, people=page.people, page_owner=page.page_owner,
                        stats=dict(page.stats), warnings=list(page.warnings))


def _require_people(result: ParsedUpload, what: str) -> ParsedUpload:
    if result.people:
        return result
    if result.kind == "connections_csv":
        raise UploadError(
            f"{what[:1].upper() + what[1:]} is a Connections.csv without any connection: none of "
            f"its {result.stats.get('rows', 0)} rows has a name or a profile URL.")
    raise UploadError(
        f"No LinkedIn profile URLs were found in {what}. Upload a saved LinkedIn followers or "
        "connections page (.html), LinkedIn's Connections.csv (or the data export ZIP), or a "
        "list of profile URLs such as https://www.linkedin.com/in/name, one per line.")


def _reject_binary(filename: str, data: bytes) -> None:
    head = data[:64]
    for magic, what in _MAGIC:
        if not head.startswith(magic):
            continue
        if what is None:
            what = _strict_magic(magic, data)
            if what is None:
                continue
        raise UploadError(f"'{filename}' is {what}, not a saved LinkedIn page, a CSV or a "
                          "text list of profile URLs.")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise UploadError(f"'{filename}' is a WebP image, not a saved LinkedIn page, a CSV or a "
                          "text list of profile URLs.")
    if any(data.startswith(bom) for bom, enc in _BOMS if enc.startswith("utf-16")
           or enc.startswith("utf-32")):
        return
    if b"\x00" in data:
        raise UploadError(f"'{filename}' looks like a binary file (it contains NUL bytes), not "
                          "a saved LinkedIn page, a CSV or a text list of profile URLs.")


def _strict_magic(magic: bytes, data: bytes) -> str | None:
    if magic == b"BM" and len(data) > 26 and data[6:10] == b"\x00\x00\x00\x00":
        return "a BMP image"
    if magic == b"BZh" and len(data) > 10 and data[3:4].isdigit() and data[4:10] == b"1AY&SY":
        return "a bzip2 archive"
    if magic == b"MZ" and b"This program cannot be run in DOS mode" in data[:512]:
        return "a Windows program"
    return None


def _decode(filename: str, data: bytes) -> tuple[str, str]:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(enc)
            except UnicodeDecodeError as exc:
                raise UploadError(
                    f"'{filename}' starts with a {enc.upper()} byte-order mark but is not valid "
                    f"{enc.upper()} text (byte {exc.start}). Save it again as UTF-8.") from exc
            _check_text(filename, text)
            return text, "utf-8" if enc == "utf-8" else enc
    try:
        text = data.decode("utf-8")
        enc = "utf-8"
    except UnicodeDecodeError as exc:
        text = None
        if exc.start >= len(data) - 3:  # a file cut inside its last character: drop that
            try:
                text = data[:exc.start].decode("utf-8")
                enc = "utf-8"
            except UnicodeDecodeError:
                text = None
        if text is None:
            text, enc = _guess_decode(filename, data)
    _check_text(filename, text)
    return text, enc


def _guess_decode(filename: str, data: bytes) -> tuple[str, str]:
    head = data[:_SAMPLE].lower()
    if b"<html" in head or b"<!doctype" in head or b"<meta" in head:
        from bs4 import UnicodeDammit

        dammit = UnicodeDammit(data[:_SAMPLE], is_html=True)
        declared = dammit.declared_html_encoding
        if declared:
            try:
                return data.decode(declared), declared.lower()
            except (UnicodeDecodeError, LookupError):
                pass
    high = sum(1 for b in data[: 4 * _SAMPLE] if b >= 0x80)
    if high < _FEW_HIGH_BYTES:
        found = _plausible_single_byte(data)
        if found is not None:
            return found
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 4 * _SAMPLE]).best()
    candidates = [best.encoding] if best is not None else []
    candidates += ["cp1252", "latin-1"]
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    raise UploadError(f"The text encoding of '{filename}' could not be recognised. "
                      "Save the file as UTF-8 and upload it again.")  # pragma: no cover


#: Below this many non-ASCII bytes, statistical charset detection is a coin toss (a 3-line
#: Windows-1252 file with one "ë" came out as Windows-1257 "ė"): :func:`_plausible_single_byte`
#: decides between the Windows code pages Excel writes, in this order (Western first).
_FEW_HIGH_BYTES = 32
_SINGLE_BYTE_ORDER = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257")
#: Non-ASCII punctuation, fine anywhere (quotes, dashes, bullets, no-break space, ...).
_PUNCT = set("\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2022\u2026\u00a0\u2122\u00b0\u00b7"
             "\u00ab\u00bb\u00bf\u00a1\u2039\u203a")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else "?"


def _plausible_single_byte(data: bytes) -> tuple[str, str] | None:
    """``(text, encoding)`` for the first code page of :data:`_SINGLE_BYTE_ORDER` under which
    ``data`` reads like real text, else None.

    Plausible = every word holding a non-ASCII letter is written in one script and is either a
    Latin word with ASCII letters too ("Zoë", "Núñez", "Łukasz") or of at most two letters ("à"),
    or a word of another script with no ASCII letter ("Сергей"); text read under the wrong code page gives words of accented
    Latin letters only ("Ñåðãåé") or mixed scripts. Other non-ASCII characters must be common
    punctuation (:data:`_PUNCT`) or a symbol not touching a letter ("£40", not "£ukasz", which is a
    Windows-1250 "Łukasz" read as 1252); no control characters. Windows-1252 comes first: it is
    what Excel writes for "CSV" on Western European and American Windows, the usual source of a
    non-UTF-8 ``Connections.csv``. Central European text whose letters all exist in 1252
    ("Dvořák" -> "Dvoøák") can pass as 1252; with :data:`_FEW_HIGH_BYTES` or more non-ASCII
    bytes the statistical detector decides instead.
    """
    for enc in _SINGLE_BYTE_ORDER:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:  # a byte undefined in this code page
            continue
        if _reads_like_text(text):
            return text, enc
    return None


def _reads_like_text(text: str) -> bool:
    for m in re.finditer(r"[^\x00-\x7f]", text):
        ch, i = m.group(), m.start()
        if ch in _PUNCT:
            continue
        if ch.isalpha():
            lo = hi = i
            while lo > 0 and text[lo - 1].isalpha():
                lo -= 1
            while hi < len(text) and text[hi].isalpha():
                hi += 1
            word = text[lo:hi]
            scripts = {_script(c) for c in word}
            has_ascii = any(c.isascii() for c in word)
            latin = scripts == {"LATIN"}
            if len(scripts) != 1 or (latin and not has_ascii and len(word) > 2) or (not latin and has_ascii):
                return False  # "à" and "ó" are words; "Ñåðãåé" is Cyrillic read as 1252
            continue
        neighbours = text[max(0, i - 1):i] + text[i + 1:i + 2]
        if unicodedata.category(ch).startswith("C") or any(c.isalpha() for c in neighbours):
            return False
    return True


def _check_text(filename: str, text: str) -> None:
    sample = text[:_SAMPLE]
    if not sample:
        return
    controls = len(_CONTROL.findall(sample))
    if "\x00" in sample or controls > max(8, len(sample) // 100):
        raise UploadError(f"'{filename}' looks like a binary file, not text: it is full of "
                          "control characters. Upload a saved page (.html), a .csv or a .txt.")


def _mhtml_html(filename: str, data: bytes) -> str:
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_type() == "text/html":
                content = part.get_content()
                if isinstance(content, bytes):
                    content = content.decode("utf-8", "replace")
                return content
    except (ValueError, LookupError, TypeError, AttributeError) as exc:
        raise UploadError(f"'{filename}' looks like a 'Webpage, Single File' (MHTML) save but "
                          "could not be read. Save the page as 'Webpage, Complete' or "
                          "'HTML only' instead.") from exc
    raise UploadError(f"'{filename}' is an MHTML web archive without an HTML page inside. "
                      "Save the page as 'Webpage, Complete' or 'HTML only' instead.")


def _from_zip(filename: str, data: bytes, *, max_bytes: int) -> ParsedUpload:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise UploadError(f"'{filename}' is a damaged ZIP file ({exc}). Download LinkedIn's "
                          "data export again, or upload Connections.csv on its own.") from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise UploadError(f"'{filename}' holds {len(infos)} files; a LinkedIn data export holds "
                          "a few dozen. Upload Connections.csv on its own.")
    matches = [i for i in infos if not i.is_dir()
               and i.filename.replace("\\", "/").rsplit("/", 1)[-1].lower() == "connections.csv"]
    if not matches and any(i.filename.startswith(("xl/", "word/", "ppt/")) for i in infos):
        raise UploadError(f"'{filename}' is a Microsoft Office file (.xlsx/.docx), not a CSV. "
                          "Save the sheet as CSV (UTF-8) and upload that.")
    if not matches:
        names = ", ".join(i.filename for i in infos[:5]) + (" ..." if len(infos) > 5 else "")
        raise UploadError(
            f"'{filename}' is a ZIP without Connections.csv (it holds: {names or 'nothing'}). "
            "Only LinkedIn's data export ZIP is accepted; otherwise upload the saved page, the "
            "CSV or the URL list itself, not zipped.")
    info = min(matches, key=lambda i: len(i.filename))
    if info.flag_bits & 0x1:
        raise UploadError(f"Connections.csv in '{filename}' is password-protected. Unzip it "
                          "and upload Connections.csv on its own.")
    if info.file_size > max_bytes:
        raise UploadError(f"Connections.csv in '{filename}' unpacks to {_mb(info.file_size)}; "
                          f"the limit is {_mb(max_bytes)}.")
    if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_COMPRESSION_RATIO \
            and info.file_size > 1024 * 1024:
        raise UploadError(f"'{filename}' looks like a zip bomb (Connections.csv is compressed "
                          f"{info.file_size // max(info.compress_size, 1)}:1). It was not opened.")
    try:
        with zf.open(info) as fh:
            inner = fh.read(max_bytes + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError,
            zlib.error, ValueError) as exc:
        raise UploadError(f"Connections.csv in '{filename}' could not be unpacked ({exc}). "
                          "Unzip it yourself and upload Connections.csv on its own.") from exc
    if len(inner) > max_bytes:
        raise UploadError(f"Connections.csv in '{filename}' unpacks to more than "
                          f"{_mb(max_bytes)} (the size recorded in the ZIP is wrong). It was "
                          "not read.")
    if not inner.strip():
        raise UploadError(f"Connections.csv in '{filename}' is empty.")
    _reject_binary("Connections.csv", inner)
    text, enc = _decode("Connections.csv", inner)
    result = parse_connections_csv(text)
    result.stats.update(bytes=len(data), encoding=enc, zip_member=info.filename)
    result.warnings.insert(0, f"Read {info.filename} from the ZIP '{filename}'.")
    return _require_people(result, f"Connections.csv in '{filename}'")


def _gunzip(filename: str, data: bytes, *, max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            inner = fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise UploadError(f"'{filename}' is a damaged gzip file ({exc}).") from exc
    if len(inner) > max_bytes:
        raise UploadError(f"'{filename}' unpacks to more than {_mb(max_bytes)} (limit); it was "
                          "not read.")
    if not inner.strip():
        raise UploadError(f"'{filename}' is empty once unpacked.")
    return inner
