"""Input checks shared by the estimators whose samples are items, not rows (texts, clips)."""

from __future__ import annotations

from typing import Any


def as_list(X: Any, noun: str) -> list[Any]:
    """``X`` as a non-empty list; ``noun`` (plural: "texts", "clips") names the items
    in the ValueError for something that is not a collection, or an empty one."""
    try:
        items = list(X)
    except TypeError:
        raise ValueError(f"X must be a list of {noun}; got {type(X).__name__}.") from None
    if not items:
        raise ValueError(f"X holds no {noun}: at least one is needed.")
    return items
