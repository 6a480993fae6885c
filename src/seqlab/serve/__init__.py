"""``seqlab serve``: a web page and JSON API over the inference path of ``seqlab predict``.

``app.create_app`` builds the FastAPI application; ``engine`` is its only door into the
inference modules; ``upload`` streams a capped multipart body into a per-request directory;
``records`` turns WFDB, EDF and CSV uploads into the reader's ``EcgRecord``; ``jobs`` does
one request's work in a worker thread. See docs/serve.md.
"""
