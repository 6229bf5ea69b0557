"""One lookup for the words people read, in Chinese and English.

Every word shown for a key comes from the package data through :func:`label`:

* the codes of each code list of the standard (``landuse/data/standard.toml``,
  ``[codes.*]``, ``[labels_en.*]`` and the longer ``[labels_long.*]``): kind = the list's
  name, e.g. ``label("lifecycle", "supplied_unused", "en")``;
* the assessment fields (§3 of the parcel standard, ``[[assessment]]``): kind ``"field"``;
  :func:`header` adds the field's unit, as table headers show it;
* units (``[units]``): kind ``"unit"``;
* fixed words of the outputs (``landuse/data/words.toml``): kind = the group,
  ``"common"``, ``"report"``, ``"map"`` or ``"store"``.

An unknown kind, key or language is a :class:`~landuse.errors.SchemaError` naming it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from functools import cache
from importlib import resources

from landuse.errors import SchemaError
from landuse.standard import get_standard

__all__ = ["LANGS", "both", "check_lang", "entries", "has_label", "header", "label", "label_keys"]

LANGS: tuple[str, ...] = ("zh", "en")
"""Languages every word exists in."""

_Pair = tuple[str, str]


@cache
def _tables() -> tuple[dict[str, dict[str, _Pair]], dict[str, dict[str, _Pair]]]:
    """All words by kind and key, and the long variants of codes, as (zh, en) pairs."""
    std = get_standard()
    tables: dict[str, dict[str, _Pair]] = {}
    for list_name, codes in std.codes.items():
        en = std.labels_en.get(list_name, {})
        tables[list_name] = {
            code: (words[0], en[code]) for code, words in codes.items() if words and code in en
        }
    tables["field"] = dict(std.field_labels)
    tables["unit"] = dict(std.units)
    text = resources.files("landuse.data").joinpath("words.toml").read_text("utf-8")
    for group, words in tomllib.loads(text).items():
        if group in tables:
            raise SchemaError(
                f"words.toml: group [{group}] has the name of a code list or of 'field'/'unit'."
                f" Fix: rename the group."
            )
        tables[group] = {k: (pair[0], pair[1]) for k, pair in words.items()}
    return tables, dict(std.labels_long)


def check_lang(lang: str) -> None:
    """Raise :class:`SchemaError` unless ``lang`` is one of :data:`LANGS`."""
    if lang not in LANGS:
        raise SchemaError(
            f"language '{lang}' is not supported. Fix: use one of {', '.join(LANGS)}."
        )


def _kind(kind: str) -> dict[str, _Pair]:
    tables, _ = _tables()
    if kind not in tables:
        raise SchemaError(
            f"no words for kind '{kind}'. Fix: use a code list of the standard or one of "
            f"{', '.join(k for k in tables if k not in get_standard().codes)}."
        )
    return tables[kind]


def has_label(kind: str, key: str) -> bool:
    """Whether ``key`` has words in ``kind`` (an unknown kind is an error)."""
    return key in _kind(kind)


def label(kind: str, key: str, lang: str = "zh", *, long: bool = False) -> str:
    """The word for ``key`` of ``kind`` in ``lang``.

    Parameters
    ----------
    kind : str
        A code list of the standard (``lifecycle``, ``method`` …), ``field`` (an
        assessment field), ``unit``, or a group of fixed words (``common``, ``report``,
        ``map``, ``store``).
    key : str
        The code, field name, unit or word key.
    lang : {"zh", "en"}
        Language.
    long : bool
        For a code: its longer descriptive variant where the standard has one
        (``A类（优先发展）``), else its ordinary label.

    Raises
    ------
    SchemaError
        For an unknown kind, key or language; the message names it and the fix.

    Examples
    --------
    >>> label("method", "merger", "en")
    'merger and restructuring'
    >>> label("field", "mujun_score"), label("mujun_class", "A", long=True)
    ('亩均效益得分', 'A类（优先发展）')
    """
    check_lang(lang)
    words = _kind(kind)
    if key not in words:
        raise SchemaError(
            f"no words for '{key}' in '{kind}'. Fix: add it to the package data "
            f"(standard.toml for codes and fields, words.toml for other words) or use one "
            f"of {', '.join(list(words)[:12])}{' …' if len(words) > 12 else ''}."
        )
    if long:
        pair = _tables()[1].get(kind, {}).get(key)
        if pair:
            return pair[LANGS.index(lang)]
    return words[key][LANGS.index(lang)]


def header(field: str, lang: str = "zh") -> str:
    """An assessment field as a table header: its label and, if it has one, its unit.

    Examples
    --------
    >>> header("idle_fee_wan"), header("idle_fee_wan", "en"), header("lifecycle")
    ('闲置费(万元)', 'Idle-land fee (10k yuan)', '五未阶段')
    """
    text = label("field", field, lang)
    unit = get_standard().field("assessment", field).unit
    if unit is None:
        return text
    u = label("unit", unit, lang)
    return f"{text}({u})" if lang == "zh" else f"{text} ({u})"


def both(kind: str, key: str) -> str:
    """Chinese and English together, as the terminal and bilingual files show them.

    Examples
    --------
    >>> both("common", "parcels")
    '宗地 parcels'
    """
    return f"{label(kind, key, 'zh')} {label(kind, key, 'en')}"


def entries() -> Iterator[tuple[str, str, str, str]]:
    """Every (kind, key, zh, en) the lookup knows, long variants included."""
    tables, longs = _tables()
    for kind, words in tables.items():
        for key, (zh, en) in words.items():
            yield kind, key, zh, en
    for kind, words in longs.items():
        for key, (zh, en) in words.items():
            yield kind, f"{key} (long)", zh, en


def label_keys(kind: str) -> list[str]:
    """The keys that have words in ``kind`` (an unknown kind is an error), in file order.

    Examples
    --------
    >>> "title" in label_keys("app")
    True
    """
    return list(_kind(kind))
