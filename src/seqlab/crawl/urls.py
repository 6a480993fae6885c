"""URL normalisation and the domain fence.

Two spellings of one page (``HTTP://Site:80/a/../b?y=2&x=1#top`` and ``http://site/b?x=1&y=2``)
must hit the seen-set as one URL, or a link loop with varying fragments never ends.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are when re-quoting: already-escaped %XX stays escaped.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


def normalise_url(url: str, base: str | None = None) -> str | None:
    """Absolute, canonical form of ``url`` (resolved against ``base``); None if not http(s)
    or malformed.

    Lower-cases scheme and host, drops the default port and the fragment, resolves ``.``/``..``,
    sorts query parameters, and gives an empty path as ``/``.

    >>> normalise_url("../b?y=2&x=1#top", "HTTP://Example.com:80/a/c")
    'http://example.com/b?x=1&y=2'
    >>> normalise_url("http://[::1", "http://example.com/") is None
    True
    """
    try:
        return canonical_url(url, base)
    except ValueError:
        return None


def canonical_url(url: str, base: str | None = None) -> str | None:
    """``normalise_url`` that raises ValueError for a malformed URL (``http://[::1``, port
    99999, a lone surrogate), so a page's parser can count its bad links; None still means
    "not http(s)" (``mailto:``, ``javascript:``), which is no mistake of the page.
    """
    url = url.strip()
    url.encode("utf-8")  # a lone surrogate (from a broken &#xD800;) is no URL
    if base is not None:
        url = urljoin(base, url)
    parts = urlsplit(url)
    port = parts.port
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(_resolve_dots(parts.path) or "/", safe=_SAFE_PATH)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((scheme, netloc, path, query, ""))


def _resolve_dots(path: str) -> str:
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/".join(out)


def host_of(url: str) -> str:
    """The host:port a politeness budget is kept for (ports are separate servers)."""
    return urlsplit(url).netloc


def domain_allowed(url: str, domains: list[str]) -> bool:
    """True when the URL's host is one of ``domains`` or a subdomain of one.

    >>> domain_allowed("http://www.example.com/x", ["example.com"])
    True
    >>> domain_allowed("http://example.com.evil.net/", ["example.com"])
    False
    """
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in (d.lower().strip(".") for d in domains))
