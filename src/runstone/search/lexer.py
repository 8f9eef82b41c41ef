"""Tokens of the search language, each with the character offset it starts at.

An identifier ``[entity.]key`` is one :attr:`Kind.NAME` token: the entity is split off at the
first dot, and the key is either a bare run of word characters and dots (``mlflow.runName``) or a
single quoted segment (```my metric```, ``"a b"``, ``'k'``). A bare word with no dot is a
:attr:`Kind.WORD` — a keyword such as ``AND`` or an attribute name such as ``status``; the parser
tells which.

Quoted text is kept verbatim, as MLflow keeps it: ``''`` and ``\\'`` do not end a single-quoted
string (nor ``""`` / ``\\"`` a double-quoted one, nor doubled backticks a backticked name), but
they are not unescaped either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class SearchSyntaxError(Exception):
    """A problem at one offset of the text; the parser turns it into InvalidParameterValue."""

    def __init__(self, position: int, detail: str) -> None:
        super().__init__(f"at position {position}, {detail}")
        self.position = position
        self.detail = detail


class Kind(StrEnum):
    WORD = "word"  # bare word: keyword or attribute name
    NAME = "name"  # [entity.]key, or a backticked name
    STRING = "string"  # 'single-quoted'
    QUOTED = "quoted"  # "double-quoted": a string value or a quoted attribute name
    NUMBER = "number"
    OP = "operator"  # = != < <= > >=
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    EOF = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # the source text of the token
    pos: int
    value: str = ""  # unquoted content (STRING, QUOTED), the key (NAME), the word (WORD)
    prefix: str | None = None  # NAME only: the entity text before the first dot
    key_pos: int = 0  # NAME only: where the key starts


_QUOTED = {
    "'": re.compile(r"'(?:''|\\'|[^'])*'"),
    '"': re.compile(r'"(?:""|\\"|[^"])*"'),
    "`": re.compile(r"`(?:``|[^`])*`"),
}
_WORD = re.compile(r"\w+")
_BARE_KEY = re.compile(r"[\w.]+")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?[eE]-?\d+|\d+\.\d*|\.\d+|\d+)")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
_PUNCTUATION = {"(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA}


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with one EOF token."""
    return _Lexer(text).run()


def is_float_literal(text: str) -> bool:
    return any(c in text for c in ".eE")


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def run(self) -> list[Token]:
        tokens: list[Token] = []
        while True:
            while self.pos < len(self.text) and self.text[self.pos].isspace():
                self.pos += 1
            if self.pos >= len(self.text):
                tokens.append(Token(Kind.EOF, "", self.pos))
                return tokens
            tokens.append(self._token())

    def _token(self) -> Token:
        char = self.text[self.pos]
        if char in "'\"":
            return self._quoted()
        if char == "`":
            return self._backticked()
        if number := _NUMBER.match(self.text, self.pos):
            return self._number(number.end())
        if word := _WORD.match(self.text, self.pos):
            return self._word(word)
        return self._symbol()

    def _take(
        self, kind: Kind, end: int, value: str = "", prefix: str | None = None, key_pos: int = 0
    ) -> Token:
        start, self.pos = self.pos, end
        return Token(kind, self.text[start:end], start, value, prefix, key_pos)

    def _quoted_end(self, start: int) -> int:
        """End offset of the quoted segment opening at ``start``."""
        match = _QUOTED[self.text[start]].match(self.text, start)
        if match is None:
            raise SearchSyntaxError(start, f"unterminated quote {self.text[start]}")
        return match.end()

    def _quoted(self) -> Token:
        end = self._quoted_end(self.pos)
        kind = Kind.STRING if self.text[self.pos] == "'" else Kind.QUOTED
        return self._take(kind, end, value=self.text[self.pos + 1 : end - 1])

    def _backticked(self) -> Token:
        end = self._quoted_end(self.pos)
        if self.text.startswith(".", end):
            return self._name(self.text[self.pos + 1 : end - 1], end)
        return self._take(Kind.NAME, end, value=self.text[self.pos + 1 : end - 1], key_pos=self.pos)

    def _number(self, end: int) -> Token:
        if glued := _WORD.match(self.text, end):  # 1AND, 1e, 1_000: not a number
            bad = self.text[self.pos : glued.end()]
            raise SearchSyntaxError(self.pos, f"invalid number '{bad}'")
        return self._take(Kind.NUMBER, end)

    def _word(self, word: re.Match[str]) -> Token:
        if self.text.startswith(".", word.end()):
            return self._name(word.group(), word.end())
        return self._take(Kind.WORD, word.end(), value=word.group())

    def _name(self, prefix: str, dot: int) -> Token:
        """An identifier whose entity ``prefix`` ends at the dot at offset ``dot``."""
        key_pos = dot + 1
        if self.text[key_pos : key_pos + 1] in ("'", '"', "`"):
            end = self._quoted_end(key_pos)
            key = self.text[key_pos + 1 : end - 1]
        else:
            match = _BARE_KEY.match(self.text, key_pos)
            if match is None:
                raise SearchSyntaxError(key_pos, f"expected a key after '{prefix}.'")
            key, end = match.group(), match.end()
        return self._take(Kind.NAME, end, value=key, prefix=prefix, key_pos=key_pos)

    def _symbol(self) -> Token:
        for op in _OPERATORS:
            if self.text.startswith(op, self.pos):
                return self._take(Kind.OP, self.pos + len(op), value=op)
        char = self.text[self.pos]
        if char in _PUNCTUATION:
            return self._take(_PUNCTUATION[char], self.pos + 1)
        raise SearchSyntaxError(self.pos, f"unexpected character '{char}'")
