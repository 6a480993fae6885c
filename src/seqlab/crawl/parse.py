"""Turn a fetched HTML page into text, items and links.

Korean review sites still serve EUC-KR, often without saying so in the HTTP header, so the
charset comes from the header, then ``<meta charset>``, then a guess: UTF-8 if it decodes,
else CP949 (a superset of EUC-KR that also covers the extra Hangul syllables sites use).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup

from seqlab.crawl.config import CrawlConfig, FieldRule, ItemRule
from seqlab.crawl.urls import canonical_url, domain_allowed

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
# Labels that mean "Korean, probably EUC-KR": decode all of them with the CP949 superset.
_KOREAN = {"euc-kr", "euckr", "euc_kr", "ks_c_5601-1987", "ksc5601", "cp949", "uhc", "windows-949"}


def header_charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Tries the declared charsets, then utf-8, then cp949.

    >>> decode_html("별점".encode("euc-kr"))
    ('별점', 'cp949')
    """
    declared = [header_charset(content_type)]
    match = _META_CHARSET.search(body[:4096])
    declared.append(match.group(1).decode("ascii") if match else None)
    for name in [*declared, "utf-8", "cp949"]:
        codec = _codec(name)
        if codec is None:
            continue
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", errors="replace"), "utf-8"


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    if name.lower() in _KOREAN:
        return "cp949"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


@dataclass
class ParsedPage:
    """``bad_links`` counts hrefs that are no URL at all (``http://[::1``): skipped, so one
    broken anchor costs that link only, never the page's items and other links."""

    items: list[dict[str, str]]
    links: list[str]
    encoding: str
    bad_links: int = 0


class PageParser:
    """Applies the config's item rule and link rules to one page."""

    def __init__(self, config: CrawlConfig):
        self.rule: ItemRule | None = config.items
        self.item_url = re.compile(self.rule.url_pattern) if self.rule and self.rule.url_pattern else None
        self.patterns = {n: re.compile(f.pattern) for n, f in (self.rule.fields.items() if self.rule else ()) if f.pattern}
        self.link_css = config.links.css
        self.allow = [re.compile(p) for p in config.links.allow]
        self.deny = [re.compile(p) for p in config.links.deny]
        self.domains = config.allowed_domains

    def parse(self, url: str, body: bytes, content_type: str | None) -> ParsedPage:
        text, encoding = decode_html(body, content_type)
        soup = BeautifulSoup(text, "lxml")
        base, bad_base = soup.find("base", href=True), 0
        try:
            base_url = canonical_url(base["href"], url) if base else url
        except ValueError:
            base_url, bad_base = url, 1
        links, bad = self._links(base_url or url, soup)
        return ParsedPage(self._items(url, soup), links, encoding, bad + bad_base)

    def _items(self, url: str, soup: BeautifulSoup) -> list[dict[str, str]]:
        if self.rule is None or (self.item_url and not self.item_url.search(url)):
            return []
        items = []
        for record in soup.select(self.rule.selector):
            item = {name: self._field(name, rule, record) for name, rule in self.rule.fields.items()}
            if self.rule.url_field:
                item[self.rule.url_field] = url
            items.append(item)
        return items

    def _field(self, name: str, rule: FieldRule, record) -> str | None:
        node = record.select_one(rule.css) if rule.css else record
        if node is None:
            return rule.default
        if rule.attr:
            value = node.get(rule.attr)
            value = " ".join(value) if isinstance(value, list) else value
        else:
            value = " ".join(node.get_text(" ").split())
        if value is not None and name in self.patterns:
            found = self.patterns[name].search(value)
            value = (found.group(1) if found.groups() else found.group(0)) if found else None
        return rule.default if value is None else value

    def _links(self, base_url: str, soup: BeautifulSoup) -> tuple[list[str], int]:
        """(followable links in page order, number of malformed hrefs skipped)."""
        links: dict[str, None] = {}  # ordered set: keeps page order, drops repeats
        bad = 0
        for css in self.link_css:
            for anchor in soup.select(css):
                href = anchor.get("href")
                try:
                    url = canonical_url(href, base_url) if isinstance(href, str) else None
                except ValueError:
                    bad += 1
                    continue
                if url is None or not domain_allowed(url, self.domains):
                    continue
                if self.allow and not any(p.search(url) for p in self.allow):
                    continue
                if any(p.search(url) for p in self.deny):
                    continue
                links[url] = None
        return list(links), bad


def item_key(item: dict, key_field: str | None) -> str:
    """The de-duplication key: the key field's value, or a hash of the whole item."""
    if key_field is not None:
        return str(item.get(key_field))
    blob = json.dumps(item, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha1(blob).hexdigest()
