"""Recursive-descent parser: filter text and order_by clauses -> the AST of :mod:`.ast`.

Grammar (keywords are case-insensitive; the schema of the search kind decides which
identifiers, operators and values are valid)::

    filter      := AND* [or_expr] EOF
    or_expr     := and_expr (OR and_expr)*
    and_expr    := primary (AND* primary)* [AND+ before EOF]
    primary     := '(' or_expr ')' | comparison
    comparison  := identifier operator value | identifier IS [NOT] NULL
    operator    := '=' | '!=' | '<' | '<=' | '>' | '>=' | LIKE | ILIKE | IN | NOT IN
    value       := STRING | QUOTED | NUMBER | '(' string (',' string)* [','] ')'
    order_by    := identifier [ASC | DESC] EOF

MLflow accepts only AND-chains; ``OR`` and parentheses are Runstone's. Like MLflow, an AND may be
repeated, may lead or trail the whole filter, and two comparisons side by side are ANDed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runstone.errors import InvalidParameterValue
from runstone.search.ast import And, Comparison, Entity, Expr, Op, Or, OrderBy, Value
from runstone.search.grammar import (
    LIST_OPS,
    NULL_OPS,
    OP_ORDER,
    SCHEMAS,
    VALUE_DESCRIPTIONS,
    Field,
    Schema,
    SearchKind,
    ValueType,
)
from runstone.search.lexer import Kind, SearchSyntaxError, Token, is_float_literal, tokenize

_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"})
_TERM_STARTS = frozenset({Kind.LPAREN, Kind.NAME, Kind.QUOTED, Kind.WORD})
_QUOTED = frozenset({Kind.STRING, Kind.QUOTED})
_LITERALS = _QUOTED | {Kind.NUMBER, Kind.WORD, Kind.NAME}
_NUMERIC = frozenset(
    {ValueType.NUMBER, ValueType.TIMESTAMP, ValueType.INTEGER, ValueType.INTEGER_OR_QUOTED}
)
_MAX_SHOWN = 40  # characters of a token quoted in an error message
_MAX_QUOTED = 300  # characters of the filter quoted in an error message
_MAX_DEPTH = 50
# Bounds that keep a hostile filter cheap: parsing is linear, and the database's own limits
# (SQLite refuses expressions deeper than 1,000, as a chain of 1,000 ANDs is) stay far away.
MAX_FILTER_LENGTH = 65_536  # characters; room for an IN list of 1,500 run ids
MAX_COMPARISONS = 500
MAX_ORDER_BY_CLAUSES = 100
MAX_ORDER_BY_LENGTH = 1_000  # characters of one clause (a key is at most 250)


def parse_filter(text: str | None, kind: SearchKind) -> Expr | None:
    """Parse a search filter; ``None`` for no filter (``None``, blank, or only ``AND``)."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_FILTER_LENGTH:
        raise _invalid("filter", text, f"longer than {MAX_FILTER_LENGTH} characters ({len(text)})")
    try:
        return _Parser(text, SCHEMAS[SearchKind(kind)], "filter").filter()
    except SearchSyntaxError as exc:
        raise _invalid("filter", text, exc) from exc


def parse_order_by(clauses: Sequence[str] | None, kind: SearchKind) -> list[OrderBy]:
    """Parse order_by clauses (``<identifier> [ASC|DESC]`` each), in order; no field twice."""
    if isinstance(clauses, str):
        clauses = [clauses]
    schema = SCHEMAS[SearchKind(kind)]
    result: list[OrderBy] = []
    if clauses and len(clauses) > MAX_ORDER_BY_CLAUSES:
        raise InvalidParameterValue(
            f"Invalid order_by: more than {MAX_ORDER_BY_CLAUSES} clauses ({len(clauses)})"
        )
    for clause in clauses or ():
        if len(clause) > MAX_ORDER_BY_LENGTH:
            detail = f"longer than {MAX_ORDER_BY_LENGTH} characters ({len(clause)})"
            raise _invalid("order_by clause", clause, detail)
        try:
            order = _Parser(clause, schema, "clause").order_clause()
        except SearchSyntaxError as exc:
            raise _invalid("order_by clause", clause, exc) from exc
        if any((o.entity, o.key) == (order.entity, order.key) for o in result):
            detail = f"{order.entity} '{order.key}' is already ordered by an earlier clause"
            raise _invalid("order_by clause", clause, detail)
        result.append(order)
    return result


def _invalid(what: str, text: str, detail: object) -> InvalidParameterValue:
    """The error for ``text``: one line, the text cut after a few hundred characters."""
    shown = text if len(text) <= _MAX_QUOTED else text[:_MAX_QUOTED] + "..."
    message = f'Invalid {what} "{shown}": {detail}'
    return InvalidParameterValue(message.replace("\r", "\\r").replace("\n", "\\n"))


def _join(kind: type[And] | type[Or], terms: list[Expr]) -> Expr:
    """One term as itself; several as ``kind``, absorbing nested terms of the same kind."""
    if len(terms) == 1:
        return terms[0]
    flat: list[Expr] = []
    for term in terms:
        if isinstance(term, (And, Or)) and isinstance(term, kind):
            flat.extend(term.terms)
        else:
            flat.append(term)
    return kind(tuple(flat))


@dataclass(frozen=True, slots=True)
class _Target:
    """A resolved identifier: canonical entity and key, and where it was written."""

    entity: Entity
    key: str
    position: int


class _Parser:
    def __init__(self, text: str, schema: Schema, subject: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.schema = schema
        self.subject = subject  # what "the end of the ..." refers to in messages
        self.depth = 0  # of parentheses, bounded so that recursion stays shallow
        self.comparisons = 0  # bounded by MAX_COMPARISONS

    # -- entry points ---------------------------------------------------------------------------

    def filter(self) -> Expr | None:
        self._skip_ands()
        if self._at(Kind.EOF):
            return None
        expr = self._or_expr()
        if not self._at(Kind.EOF):
            raise self._expected("AND, OR or the end of the filter")
        return expr

    def order_clause(self) -> OrderBy:
        target = self._order_target()
        ascending, expected = True, "ASC, DESC or the end of the clause"
        if self._is_keyword("ASC") or self._is_keyword("DESC"):
            ascending, expected = self._advance().value.upper() == "ASC", "the end of the clause"
        if not self._at(Kind.EOF):
            raise self._expected(expected)
        return OrderBy(target.entity, target.key, ascending)

    # -- token helpers --------------------------------------------------------------------------

    @property
    def _token(self) -> Token:
        return self.tokens[self.index]

    def _at(self, kind: Kind) -> bool:
        return self._token.kind is kind

    def _advance(self) -> Token:
        token = self._token
        if token.kind is not Kind.EOF:
            self.index += 1
        return token

    def _is_keyword(self, word: str) -> bool:
        return self._at(Kind.WORD) and self._token.value.upper() == word

    def _expect_keyword(self, word: str) -> None:
        if not self._is_keyword(word):
            raise self._expected(word)
        self._advance()

    def _skip_ands(self) -> int:
        count = 0
        while self._is_keyword("AND"):
            self._advance()
            count += 1
        return count

    def _found(self, token: Token) -> str:
        if token.kind is Kind.EOF:
            return f"the end of the {self.subject}"
        text = token.text if len(token.text) <= _MAX_SHOWN else token.text[:_MAX_SHOWN] + "..."
        return f"string {text}" if token.kind in _QUOTED else f"'{text}'"

    def _expected(self, what: str, token: Token | None = None) -> SearchSyntaxError:
        token = token or self._token
        return SearchSyntaxError(token.pos, f"expected {what}, found {self._found(token)}")

    # -- boolean structure ----------------------------------------------------------------------

    def _or_expr(self) -> Expr:
        terms = [self._and_expr()]
        while self._is_keyword("OR"):
            self._advance()
            terms.append(self._and_expr())
        return _join(Or, terms)

    def _and_expr(self) -> Expr:
        terms = [self._primary()]
        while True:
            ands = self._skip_ands()
            if self._starts_term():
                terms.append(self._primary())
            elif ands and not self._at(Kind.EOF):
                raise self._expected("a comparison after AND")
            else:
                return _join(And, terms)

    def _starts_term(self) -> bool:
        token = self._token
        return token.kind in _TERM_STARTS and not (
            token.kind is Kind.WORD and token.value.upper() in _KEYWORDS
        )

    def _primary(self) -> Expr:
        if not self._at(Kind.LPAREN):
            return self._comparison()
        if self.depth >= _MAX_DEPTH:
            raise SearchSyntaxError(self._token.pos, f"parentheses nest deeper than {_MAX_DEPTH}")
        self.depth += 1
        self._advance()
        expr = self._or_expr()
        if not self._at(Kind.RPAREN):
            raise self._expected("AND, OR or ')'")
        self._advance()
        self.depth -= 1
        return expr

    # -- comparisons ----------------------------------------------------------------------------

    def _comparison(self) -> Comparison:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise SearchSyntaxError(self._token.pos, f"more than {MAX_COMPARISONS} comparisons")
        target, field = self._filter_target()
        op_token = self._token
        op = self._operator()
        if op not in field.ops:
            allowed = " ".join(o.value for o in OP_ORDER if o in field.ops)
            what = f"one of {allowed} for {target.entity} '{target.key}'"
            raise SearchSyntaxError(op_token.pos, f"expected {what}, found '{op.value}'")
        value = self._value(field.value, op)
        return Comparison(target.entity, target.key, op, value, target.position)

    def _operator(self) -> Op:
        token = self._advance()
        if token.kind is Kind.OP:
            return Op(token.value)
        word = token.value.upper() if token.kind is Kind.WORD else ""
        if word in ("LIKE", "ILIKE", "IN"):
            return Op(word)
        if word == "NOT":
            self._expect_keyword("IN")
            return Op.NOT_IN
        if word == "IS":
            negated = self._is_keyword("NOT")
            if negated:
                self._advance()
            self._expect_keyword("NULL")
            return Op.IS_NOT_NULL if negated else Op.IS_NULL
        raise self._expected("an operator", token)

    def _value(self, value_type: ValueType, op: Op) -> Value:
        if op in NULL_OPS:
            return None
        if op in LIST_OPS:
            return self._string_list(value_type)
        return self._scalar(value_type)

    def _scalar(self, value_type: ValueType) -> str | float | int:
        token = self._advance()
        if token.kind in _QUOTED and value_type is ValueType.STRING:
            return token.value
        if token.kind in _QUOTED and value_type is ValueType.EXPERIMENT_ID:
            return str(self._int(token.value, token))
        if token.kind in _QUOTED and value_type is ValueType.INTEGER_OR_QUOTED:
            return self._int(token.value, token)
        if token.kind is Kind.NUMBER and value_type in _NUMERIC:
            return self._number(value_type, token)
        what = VALUE_DESCRIPTIONS[value_type] if token.kind in _LITERALS else "a value"
        raise self._expected(what, token)

    def _number(self, value_type: ValueType, token: Token) -> float | int:
        if value_type is ValueType.NUMBER:
            return float(token.text)
        if not is_float_literal(token.text):
            return self._int(token.text, token)
        if value_type is ValueType.TIMESTAMP:
            return float(token.text)
        raise self._expected("an integer", token)

    def _int(self, text: str, token: Token) -> int:
        try:
            return int(text)
        except ValueError:
            raise self._expected("an integer", token) from None

    def _string_list(self, value_type: ValueType) -> tuple[str, ...]:
        if not self._at(Kind.LPAREN):
            raise self._expected("a parenthesised list of quoted strings")
        self._advance()
        is_id = value_type is ValueType.EXPERIMENT_ID
        items: list[str] = []
        while not self._at(Kind.RPAREN):
            token = self._advance()
            if token.kind not in _QUOTED:
                raise self._expected("a quoted string", token)
            items.append(str(self._int(token.value, token)) if is_id else token.value)
            if self._at(Kind.COMMA):
                self._advance()
            elif not self._at(Kind.RPAREN):
                raise self._expected("',' or ')'")
        if not items:
            raise self._expected("a non-empty list")
        self._advance()
        return tuple(items)

    # -- identifiers ----------------------------------------------------------------------------

    def _identifier(self) -> tuple[str | None, str, Token]:
        """``(entity prefix or None, key, token)`` of the identifier at the cursor."""
        token = self._token
        if token.kind is Kind.NAME:
            prefix = token.prefix
        elif token.kind is Kind.QUOTED or (
            token.kind is Kind.WORD and token.value.upper() not in _KEYWORDS
        ):
            prefix = None
        else:
            raise self._expected("an identifier")
        self._advance()
        return prefix, token.value, token

    def _entity(self, prefix: str | None, token: Token, prefixes: Mapping[str, Entity]) -> Entity:
        if prefix is None:
            return Entity.ATTRIBUTE
        entity = prefixes.get(prefix)
        if entity is None:
            valid = f"an entity prefix ({', '.join(prefixes)})" if prefixes else "no prefix"
            raise SearchSyntaxError(token.pos, f"expected {valid}, found '{prefix}'")
        return entity

    def _filter_target(self) -> tuple[_Target, Field]:
        prefix, key, token = self._identifier()
        entity = self._entity(prefix, token, self.schema.prefixes)
        if entity in self.schema.open:
            return _Target(entity, key, token.pos), self.schema.open[entity]
        fields = self.schema.closed[entity]
        canonical = self.schema.aliases.get(key, key) if entity is Entity.ATTRIBUTE else key
        if canonical not in fields:
            raise self._unknown_key(f"{entity} key", key, token, sorted(fields))
        return _Target(entity, canonical, token.pos), fields[canonical]

    def _order_target(self) -> _Target:
        prefix, key, token = self._identifier()
        entity = self._entity(prefix, token, self.schema.order_prefixes)
        if entity in self.schema.order_open:
            return _Target(entity, key, token.pos)
        canonical = self.schema.order_keys.get(key)
        if canonical is None:
            raise self._unknown_key("sort key", key, token, sorted(self.schema.order_keys))
        return _Target(entity, canonical, token.pos)

    @staticmethod
    def _unknown_key(noun: str, key: str, token: Token, valid: list[str]) -> SearchSyntaxError:
        position = token.key_pos if token.kind is Kind.NAME else token.pos
        article = "an" if noun[0] in "aeiou" else "a"
        what = f"{article} {noun} ({', '.join(valid)})"
        return SearchSyntaxError(position, f"expected {what}, found '{key}'")
