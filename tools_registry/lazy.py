"""Lazy package exports: names resolve to their module on first access, so imports stay cheap.

__getattr__, __dir__ = lazy_exports(__name__, {"Name": ".module"}, globals())
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, table: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package`` serving the names in ``table``.

    Args:
        package: The package's ``__name__`` (relative module paths resolve against it).
        table: Public name -> module that defines it (``".env"`` or an absolute name).
        namespace: The package's ``globals()``; a resolved name is cached there.
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
