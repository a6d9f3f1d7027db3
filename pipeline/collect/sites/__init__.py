"""Site adapters: one module per kind of site that the generic crawler cannot read.

Every adapter module in this package has the same shape:

    NAME: str            the name a sources file gives in its `adapter` column
    DESCRIPTION: str     one line: which sites, and why they need an adapter
    def matches(url: str) -> bool    True for start URLs this adapter serves without being named
    def crawl(ctx: pipeline.collect.adapter.SiteContext) -> None    fetch the site's reports through ctx

The registry imports every module of the package once. `adapter_for(site)` returns the adapter the
sources file names, else the first (by name, generic last) whose `matches` accepts the site's first
start URL, else `generic`.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.collect.sources import Site

__all__ = ["UnknownAdapter", "adapters", "adapter_for", "GENERIC"]

GENERIC = "generic"
_REQUIRED = ("NAME", "DESCRIPTION", "matches", "crawl")


class UnknownAdapter(Exception):
    """A sources file names an adapter that does not exist; the message is one line."""


@cache
def adapters() -> dict[str, ModuleType]:
    """NAME -> module, for every adapter module of this package."""
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if all(hasattr(module, attr) for attr in _REQUIRED):
            found[module.NAME] = module
    return found


def adapter_for(site: Site) -> ModuleType:
    registry = adapters()
    if site.adapter:
        if site.adapter not in registry:
            raise UnknownAdapter(f"{site.name}: no adapter {site.adapter!r} (known: {', '.join(sorted(registry))})")
        return registry[site.adapter]
    for name in sorted(registry):
        if name != GENERIC and registry[name].matches(site.start_urls[0]):
            return registry[name]
    return registry[GENERIC]
