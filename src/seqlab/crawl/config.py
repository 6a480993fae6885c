"""The crawl config: one YAML file, validated by pydantic before any request is made.

A typo in a key must fail loudly instead of silently falling back to a default (a crawler that
ignores ``delay_s`` because it was spelled ``delay`` hammers the site), so every model forbids
extra keys and the error names the bad key and the nearest valid one.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit
from typing import Literal, Optional

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from seqlab.config_tools import first_error
from seqlab.yaml_strict import read_yaml
from seqlab.errors import ConfigError


def _regex(pattern: str, where: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{where} {pattern!r} is not a valid regular expression: {exc}") from None
    return pattern


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldRule(_Strict):
    """Where one field of a record lives: ``css`` inside the record (none: the record itself);
    its text, or the attribute ``attr``; an optional ``pattern`` whose first group (or whole
    match) is kept."""

    css: Optional[str] = None
    attr: Optional[str] = None
    pattern: Optional[str] = None
    default: Optional[str] = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: Optional[str]) -> Optional[str]:
        return value if value is None else _regex(value, "pattern")


class ItemRule(_Strict):
    """Records to extract: every element matching ``selector`` on pages whose URL matches
    ``url_pattern`` (all pages when unset) becomes one item with the configured fields."""

    selector: str
    fields: dict[str, FieldRule]
    key: Optional[str] = Field(None, description="field that identifies an item; None: all fields")
    url_pattern: Optional[str] = None
    url_field: Optional[str] = Field(None, description="also store the page URL under this name")

    @field_validator("fields", mode="before")
    @classmethod
    def _shorthand(cls, value):
        # ``text: p.review`` is shorthand for ``text: {css: p.review}``.
        if isinstance(value, dict):
            return {k: ({"css": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value


class LinkRule(_Strict):
    """Which links to follow: anchors matching ``css``, whose absolute URL matches one of
    ``allow`` (any when empty) and none of ``deny``; depth counts clicks from a start URL."""

    css: list[str] = ["a[href]"]
    allow: list[str] = []
    deny: list[str] = []
    max_depth: int = Field(5, ge=0)
    max_pages: int = Field(10_000, ge=1, description="cap on distinct URLs ever queued")


class Politeness(_Strict):
    """How gently to treat each host. The effective delay is max(delay_s, robots Crawl-delay)."""

    user_agent: str = "seqlab-crawler/0.1 (+https://github.com/seqlab/seqlab)"
    delay_s: float = Field(1.0, ge=0)
    concurrency_per_host: int = Field(2, ge=1)
    obey_robots: bool = True
    max_retry_after_s: float = Field(300.0, ge=0, description="longer Retry-After: give up")


class Retries(_Strict):
    """Retry connection errors, timeouts, 5xx and 429 with exponential backoff."""

    max_tries: int = Field(3, ge=1)
    backoff_s: float = Field(0.5, ge=0)
    max_backoff_s: float = Field(30.0, ge=0)


class Timeouts(_Strict):
    """``read_s`` bounds each socket read, so a server that trickles a byte at a time never
    trips it; ``page_s`` bounds one request from its start to the last body byte, headers
    included (every socket operation waits at most the time left, see crawl/deadline.py)."""

    connect_s: float = Field(5.0, gt=0)
    read_s: float = Field(15.0, gt=0)
    page_s: float = Field(30.0, gt=0, description="one request, start to last body byte; past it the page fails")


class Output(_Strict):
    path: Path
    format: Literal["jsonl", "csv"] = "jsonl"


class NsmcMapping(_Strict):
    """Item fields that become the NSMC columns; ``rating_pattern`` pulls the 1-10 score out
    of text such as '별점 8점' (first group, or the whole match)."""

    review: str
    rating: str
    review_id: Optional[str] = None
    movie_id: Optional[str] = None
    date: Optional[str] = None
    rating_pattern: str = r"\d+"


class Export(_Strict):
    nsmc: Optional[NsmcMapping] = None


class CrawlConfig(_Strict):
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(default_factory=list, description="empty: start URL hosts")
    links: LinkRule = LinkRule()
    items: Optional[ItemRule] = None
    output: Output
    politeness: Politeness = Politeness()
    retries: Retries = Retries()
    timeouts: Timeouts = Timeouts()
    concurrency: int = Field(8, ge=1, description="pages in flight over all hosts")
    # ``max_body_bytes`` was this key's first, undocumented name: still accepted.
    max_page_bytes: int = Field(
        10_000_000, ge=1024, validation_alias=AliasChoices("max_page_bytes", "max_body_bytes"),
        description="decoded body of one page; a larger page fails",
    )
    max_redirects: int = Field(10, ge=0, description="redirects followed from one queued URL")
    export: Export = Export()

    @model_validator(mode="after")
    def _fence_and_starts(self) -> "CrawlConfig":
        # Local import: urls imports nothing from here, but keep the config module light.
        from seqlab.crawl.urls import normalise_url

        starts = [normalise_url(u) for u in self.start_urls]
        bad = [u for u, n in zip(self.start_urls, starts) if n is None]
        if bad:
            raise ValueError(f"start URL {bad[0]!r} is not an absolute http(s) URL")
        self.start_urls = starts
        if not self.allowed_domains:
            self.allowed_domains = sorted({urlsplit(u).hostname for u in starts})
        for pattern in [*self.links.allow, *self.links.deny]:
            _regex(pattern, "links pattern")
        if self.items and self.items.url_pattern:
            _regex(self.items.url_pattern, "items.url_pattern")
        if self.items and self.items.key and self.items.key not in self.items.fields:
            raise ValueError(f"items.key {self.items.key!r} is not one of the fields {sorted(self.items.fields)}")
        return self


def load_config(path: str | Path, out: str | Path | None = None) -> CrawlConfig:
    """Read and validate a crawl YAML; ``out`` overrides ``output.path``.

    Relative output paths are taken relative to the current directory (where the user runs
    the command), not to the YAML file.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"crawl config {path} not found")
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"crawl config {path} must be a mapping of keys to values")
    if out is not None:
        raw.setdefault("output", {})
        if isinstance(raw["output"], dict):
            raw["output"]["path"] = str(out)
    return validate(raw, source=str(path))


def validate(raw: dict, source: str = "crawl config") -> CrawlConfig:
    try:
        return CrawlConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {first_error(exc, CrawlConfig)}") from None
