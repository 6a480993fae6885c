"""Config validation, URL normalisation, charset detection and extraction, without a server."""

from __future__ import annotations

import pytest
from pathlib import Path

from seqlab.crawl.config import load_config, validate
from seqlab.crawl.parse import PageParser, decode_html, item_key
from seqlab.crawl.politeness import crawl_delay
from seqlab.crawl.urls import domain_allowed, normalise_url
from seqlab.errors import ConfigError

MINIMAL = {"start_urls": ["http://127.0.0.1:1/"], "output": {"path": "out.jsonl"}}


def test_minimal_config_fences_to_start_hosts():
    config = validate(MINIMAL)
    assert config.allowed_domains == ["127.0.0.1"] and config.start_urls == ["http://127.0.0.1:1/"]
    assert config.politeness.obey_robots and config.politeness.delay_s == 1.0


@pytest.mark.parametrize(
    "patch, message",
    [
        ({"start_url": ["x"]}, "unknown key 'start_url' (did you mean 'start_urls'?)"),
        ({"politeness": {"delay": 1}}, "unknown key 'politeness.delay' (did you mean 'delay_s'?)"),
        ({"items": {"selector": "li", "fields": {"t": {"csss": "p"}}}}, "unknown key 'items.fields.t.csss' (did you mean 'css'?)"),
        ({"politeness": {"delay_s": -1}}, "'politeness.delay_s': input should be greater than or equal to 0, got -1"),
        ({"start_urls": ["ftp://x/"]}, "is not an absolute http(s) URL"),
        ({"items": {"selector": "li", "fields": {"a": "p"}, "key": "id"}}, "items.key 'id' is not one of the fields"),
        ({"links": {"allow": ["("]}}, "missing ), unterminated subpattern"),
    ],
)
def test_config_errors_are_one_line_and_name_the_key(patch, message):
    raw = {**MINIMAL, **patch}
    if "start_url" in patch:
        del raw["start_urls"]
    with pytest.raises(ConfigError) as err:
        validate(raw)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_load_config_reports_missing_file_and_overrides_output(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    path = tmp_path / "c.yaml"
    path.write_text("start_urls: [http://127.0.0.1:1/]\noutput: {path: a.jsonl}\n")
    assert str(load_config(path, out=tmp_path / "b.jsonl").output.path).endswith("b.jsonl")


def test_example_config_loads():
    config = load_config(Path(__file__).resolve().parents[2] / "configs" / "crawl" / "movie_reviews.yaml")
    assert config.export.nsmc is not None and config.items.key in config.items.fields


@pytest.mark.parametrize(
    "url, base, expected",
    [
        ("HTTP://Example.COM:80/a/./b/../c?b=2&a=1#frag", None, "http://example.com/a/c?a=1&b=2"),
        ("reviews?page=2#list", "http://h:8080/movie/1/reviews?page=1", "http://h:8080/movie/1/reviews?page=2"),
        ("https://h:443", None, "https://h/"),
        ("mailto:a@b", None, None),
        ("javascript:void(0)", None, None),
        ("/a b", "http://h/", "http://h/a%20b"),
        ("/a%20b", "http://h/", "http://h/a%20b"),
    ],
)
def test_normalise_url(url, base, expected):
    assert normalise_url(url, base) == expected


def test_domain_fence():
    assert domain_allowed("http://127.0.0.1:5/x", ["127.0.0.1"])
    assert not domain_allowed("http://localhost:5/x", ["127.0.0.1"])
    assert domain_allowed("https://m.example.com/", ["example.com"])


def test_decode_prefers_header_then_meta_then_guess():
    korean = "<p>좋은 영화</p>"
    assert decode_html(korean.encode("euc-kr"), "text/html; charset=EUC-KR") == (korean, "cp949")
    meta = ("<meta charset='euc-kr'>" + korean).encode("euc-kr")
    assert decode_html(meta, "text/html")[1] == "cp949"
    assert decode_html(korean.encode("utf-8"), "text/html")[1] == "utf-8"
    # a wrong header charset that cannot decode falls through to the next candidate
    assert decode_html(korean.encode("euc-kr"), "text/html; charset=utf-8")[0] == korean


def test_parser_fields_attrs_patterns_and_links():
    config = validate({
        **MINIMAL,
        "start_urls": ["http://h/"],
        "links": {"css": ["a.next"], "deny": ["page=3"]},
        "items": {
            "selector": "div.r",
            "fields": {"id": {"attr": "data-id"}, "score": {"css": "b", "pattern": r"(\d+)/10"}, "t": "p"},
        },
    })
    html = (
        "<div class='r' data-id='7'><p> nice\n film </p><b>8/10</b></div><div class='r'><p>x</p></div>"
        "<a class='next' href='?page=2'>2</a><a class='next' href='?page=3'>3</a><a href='/other'>o</a>"
        "<a class='next' href='http://elsewhere/'>e</a>"
    ).encode()
    page = PageParser(config).parse("http://h/list", html, "text/html")
    assert page.items == [{"id": "7", "score": "8", "t": "nice film"}, {"id": None, "score": None, "t": "x"}]
    assert page.links == ["http://h/list?page=2"]


def test_item_key_by_field_or_content():
    assert item_key({"id": 3, "t": "a"}, "id") == "3"
    assert item_key({"t": "a", "u": 1}, None) == item_key({"u": 1, "t": "a"}, None)


def test_crawl_delay_for_our_agent_wins_over_star():
    text = "User-agent: *\nCrawl-delay: 2\n\nUser-agent: seqlab-test\nCrawl-delay: 0.5\nDisallow: /x"
    assert crawl_delay(text, "seqlab-test/1.0") == 0.5
    assert crawl_delay(text, "other/1.0") == 2.0
    assert crawl_delay("User-agent: *\nDisallow: /", "a") is None


@pytest.mark.parametrize("module", ["urls", "politeness", "parse", "export"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"seqlab.crawl.{module}"))
    assert result.attempted > 0 and result.failed == 0


def test_hardening_defaults_and_the_old_body_cap_name():
    config = validate(MINIMAL)
    assert (config.timeouts.page_s, config.max_page_bytes, config.max_redirects) == (30.0, 10_000_000, 10)
    assert validate({**MINIMAL, "max_body_bytes": 4096}).max_page_bytes == 4096  # first name, still read
    with pytest.raises(ConfigError, match="did you mean 'max_redirects'"):
        validate({**MINIMAL, "max_redirect": 3})


def test_malformed_hrefs_are_counted_and_skipped_not_fatal():
    config = validate({**MINIMAL, "start_urls": ["http://h/"], "items": {"selector": "li", "fields": {"t": "b"}}})
    html = (
        "<base href='http://[::1'><li><b>kept</b></li>"
        "<a href='http://[::1'>v6</a><a href='http://h:99999/'>port</a><a href='mailto:x@h'>mail</a><a href='/ok'>ok</a>"
    ).encode()
    page = PageParser(config).parse("http://h/list", html, "text/html")
    assert page.items == [{"t": "kept"}] and page.links == ["http://h/ok"]
    assert page.bad_links == 3  # the base and two anchors; mailto is no mistake, just not followed
