"""A visitor's search is words, not FTS5 syntax: ``escape_fts`` (the SQL function Datasette's table
search and the site's saved searches match with) is registered again on every connection so that
any text is searched as plain words. Datasette's own version keeps a quoted phrase and adds a
missing closing quote, which leaves a lone ``"`` as an empty match that SQLite rejects ("fts5:
syntax error"); here quotes are dropped, every word is matched as a quoted term (all words must
match, as before), and a search of no words matches nothing instead of failing."""

from __future__ import annotations

import re

# what FTS5 reads as syntax around words: quotes, column filters, groups, prefix and NEAR marks
_NOT_WORD = re.compile(r'["():^*{}+\-,]+|\s+')


def plain_words(query: object) -> str:
    words = [w for w in _NOT_WORD.split(str(query or "")) if w]
    # every word quoted: AND, OR, NOT and NEAR are words too; "" is a valid match of nothing
    return " ".join(f'"{w}"' for w in words) or '""'


def register_plain_word_search(conn) -> None:
    conn.create_function("escape_fts", 1, plain_words, deterministic=True)
