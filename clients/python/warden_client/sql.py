"""SQL fragments of a Filter answer, ready for psycopg and sqlite3.

Values only ever travel as bind parameters. Warden renders PostgreSQL with
``$n`` placeholders (each cast to its column's type) and SQLite with ``?``;
:meth:`Fragment.psycopg` turns the former into psycopg's ``%s`` style and
:meth:`Fragment.sqlite3` hands the latter over as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Fragment", "renumber"]

POSTGRES, MYSQL, SQLITE = "postgres", "mysql", "sqlite"
_DIGITS = "0123456789"


@dataclass(frozen=True)
class Fragment:
    """SQL text with its bind parameters in placeholder order."""

    sql: str
    params: list[Any] = field(default_factory=list)
    dialect: str = POSTGRES

    def psycopg(self) -> tuple[str, list[Any]]:
        """(sql, params) for psycopg 3 (or psycopg2): ``%s`` placeholders.

        Every ``%`` of the fragment is doubled, as psycopg wants for literal
        percent signs, and the parameters follow the placeholders' order of
        appearance. Needs a fragment rendered for PostgreSQL.
        """
        if self.dialect != POSTGRES:
            raise ValueError(f"psycopg needs a postgres fragment, not {self.dialect}")
        base = _lowest(self.sql)
        order: list[int] = []

        def to_format(n: int) -> str:
            k = n - base
            if not 0 <= k < len(self.params):
                raise ValueError(f"placeholder ${n} has no parameter (the fragment has {len(self.params)})")
            order.append(k)
            return "%s"

        text = renumber(self.sql, to_format, escape_percent=True)
        return text, [self.params[k] for k in order]

    def sqlite3(self) -> tuple[str, list[Any]]:
        """(sql, params) for the sqlite3 module (qmark style). Needs a fragment rendered for SQLite."""
        if self.dialect != SQLITE:
            raise ValueError(f"sqlite3 needs a sqlite fragment, not {self.dialect}")
        return self.sql, list(self.params)


def renumber(sql: str, to: Callable[[int], str], escape_percent: bool = False) -> str:
    """Rewrites each ``$n`` placeholder of PostgreSQL text as ``to(n)``.

    String literals ('...'), quoted identifiers ("...") and comments are left
    alone, except that with escape_percent every ``%`` is doubled.
    """
    out: list[str] = []
    i, n = 0, len(sql)

    def keep(text: str) -> None:
        out.append(text.replace("%", "%%") if escape_percent else text)

    while i < n:
        c = sql[i]
        if c in "'\"":
            end = _closing(sql, i, c)
            keep(sql[i:end])
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            keep(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise ValueError("unterminated comment in SQL fragment")
            keep(sql[i : end + 2])
            i = end + 2
        elif c == "$" and i + 1 < n and sql[i + 1] in _DIGITS and not (i > 0 and (sql[i - 1].isalnum() or sql[i - 1] in "_$")):
            j = i + 1
            while j < n and sql[j] in _DIGITS:
                j += 1
            out.append(to(int(sql[i + 1 : j])))
            i = j
        else:
            keep(c)
            i += 1
    return "".join(out)


def _closing(sql: str, start: int, quote: str) -> int:
    i = start + 1
    while True:
        j = sql.find(quote, i)
        if j < 0:
            raise ValueError(f"unterminated {quote} in SQL fragment")
        if sql.startswith(quote * 2, j):
            i = j + 2
            continue
        return j + 1


def _lowest(sql: str) -> int:
    seen: list[int] = []
    renumber(sql, lambda n: seen.append(n) or "")
    return min(seen, default=1)
