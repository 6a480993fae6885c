"""A polite, resumable crawler whose output feeds ``seqlab data build``.

Pipeline: a YAML config (``config.py``) names start URLs, the domain fence, link and item
rules; ``Crawler`` (``crawler.py``) fetches pages through per-host gates that honour
robots.txt, Crawl-delay and Retry-After (``fetch.py``, ``politeness.py``), each within a
page deadline and size cap whatever the server does (``deadline.py``, ``body.py``), parses them with
BeautifulSoup/lxml (``parse.py``), appends items to JSONL/CSV (``sink.py``) and commits its
progress per page to SQLite (``state.py``) so a killed crawl resumes exactly. ``export.py``
maps crawled reviews to the NSMC gzip TSV the text pipeline builds from (see docs/crawl.md).

This package imports no torch and nothing from ``seqlab.training`` or ``seqlab.models``.
"""

from seqlab.crawl.config import CrawlConfig, load_config
from seqlab.crawl.crawler import Crawler
from seqlab.crawl.export import to_nsmc_tsv

__all__ = ["CrawlConfig", "Crawler", "load_config", "to_nsmc_tsv"]
