"""Collecting reports: polite HTTP (fetch), crawling sites (crawl, with one adapter per kind of site
under sites/), finding report and pagination links (links), and the raw archive with its manifest
(archive). Sources files (sources) say which sites to crawl.

May use: parsers (charset rules for HTML). Nothing of the engine, the dataset or the CLI.
"""
