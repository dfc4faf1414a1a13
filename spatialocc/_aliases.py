"""Old homes of moved names: a module keeps answering to the names that moved out of it.

A module whose functions moved to a module that imports it (the reports import the solvers)
cannot import them back at module level without an import cycle. :func:`lazy_aliases` gives it
a module-level ``__getattr__`` and ``__dir__`` (PEP 562) that import the new home only when an
old name is asked for, and return the very same objects.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable


def lazy_aliases(
    module: str, target: str, names: Iterable[str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``module`` resolving ``names`` from ``target``.

    Assign them in the old home: ``__getattr__, __dir__ = lazy_aliases(__name__, new, names)``.
    ``target`` is imported the first time one of ``names`` is looked up, and every lookup
    returns its current attribute (nothing is cached, so the alias is always the object
    itself). ``dir(module)`` lists the aliases with the module's own names.

    Examples
    --------
    >>> getattr_, dir_ = lazy_aliases("spatialocc._aliases", "math", ["pi"])
    >>> getattr_("pi")
    3.141592653589793
    >>> "pi" in dir_()
    True
    """
    moved = frozenset(names)

    def __getattr__(name: str) -> object:
        if name in moved:
            return getattr(importlib.import_module(target), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[module]), *moved})

    return __getattr__, __dir__
