"""Parse Logs Insights QL text into the frozen syntax tree of :mod:`labkit.insights.ast`.

Design: the grammar lives in ``grammar.lark`` and is parsed with lark's LALR parser and
its contextual lexer. The contextual lexer is what lets ``/`` mean division after an
operand but open a ``/regex/`` after ``like`` or ``=~``, and lets words such as ``by``,
``desc`` or ``start`` be field names wherever a keyword cannot stand. A lark
``Transformer`` turns the parse tree into AST nodes that keep their source span, and lark's
exceptions become :class:`QueryError` with the caret at lark's reported position.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.tree import Meta

from labkit.insights import ast
from labkit.insights.errors import QueryError

# What each grammar terminal means to a reader of an error message.
_TERMINAL_WORDS = {
    "_FIELDS": "fields",
    "_DISPLAY": "display",
    "_FILTER": "filter",
    "_STATS": "stats",
    "_SORT": "sort",
    "_LIMIT": "limit",
    "_PARSE": "parse",
    "_DEDUP": "dedup",
    "_BY": "by",
    "_AS": "as",
    "_OR": "or",
    "_AND": "and",
    "_NOT": "not",
    "_IN": "in",
    "_LIKE": "like",
    "_MATCH": "=~",
    "_PIPE": "|",
    "ASC": "asc",
    "DESC": "desc",
    "CMP_OP": "a comparison",
    "PLUS": "+",
    "MINUS": "-",
    "STAR": "*",
    "SLASH": "/",
    "PERCENT": "%",
    "CARET": "^",
    "NUMBER": "a number",
    "INT": "a whole number",
    "STRING": "a quoted string",
    "REGEX": "a /regex/",
    "NAME": "a field name",
    "BACKTICKED": "a `field name`",
    "PERIOD": "a period like 5m",
    "LPAR": "(",
    "RPAR": ")",
    "LSQB": "[",
    "RSQB": "]",
    "COMMA": ",",
    "$END": "the end of the query",
}
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "/": "/"}


@cache
def _lark() -> Lark:
    grammar = resources.files("labkit.insights").joinpath("grammar.lark").read_text()
    # cache=True keeps the built LALR tables in the temp dir: a fresh process skips ~0.1 s.
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )


def parse(text: str) -> ast.Query:
    """Parse query text into a :class:`~labkit.insights.ast.Query` (syntax only, no checks)."""
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.split("\n")
    ):
        raise QueryError(
            "the query is empty; start with a command such as fields or stats", text, 0
        )
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise _query_error(err, text) from None
    commands = _ToAst(text).transform(tree)
    return ast.Query(text=text, commands=tuple(commands), span=(0, len(text)))


def _query_error(err: UnexpectedInput, text: str) -> QueryError:
    """Translate a lark error into a QueryError pointing at the offending column."""
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        char = text[pos] if pos < len(text) else ""
        return QueryError(f"unexpected character {char!r}", text, pos)
    if isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    ):
        expected: set[str] = set(getattr(err, "expected", None) or ())
        return QueryError(
            f"the query ends too early; expected {_expected(expected)}", text, len(text.rstrip())
        )
    assert isinstance(err, UnexpectedToken)
    pos = err.token.start_pos if err.token.start_pos is not None else 0
    return QueryError(
        f"unexpected {str(err.token.value)!r}; expected {_expected(err.expected)}", text, pos
    )


def _expected(names: set[str]) -> str:
    words = sorted({_TERMINAL_WORDS.get(n, n.lower().strip("_")) for n in names})
    if not words or len(words) > 8:  # a long list from the parser state helps nobody
        return "a command, an operator, a comma or | here"
    return ", ".join(words)


def unescape(body: str) -> str:
    """Resolve backslash escapes in a string literal's body; unknown escapes stay as written."""
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and body[i + 1] in _ESCAPES:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _span(meta: Meta) -> ast.Span:
    return (meta.start_pos, meta.end_pos)


def _tok_span(tok: Token) -> ast.Span:
    return (tok.start_pos or 0, tok.end_pos or 0)


def _literal(tok: Token) -> ast.String | ast.Regex:
    """A STRING or REGEX token as its AST node."""
    if tok.type == "REGEX":
        return ast.Regex(str(tok)[1:-1].replace("\\/", "/"), span=_tok_span(tok))
    return ast.String(unescape(str(tok)[1:-1]), span=_tok_span(tok))


def _balanced(op: str, terms: list[ast.Expr]) -> ast.Expr:
    """``a or b or c ...`` as a balanced tree of BoolOps: depth log2(n), not n.

    ``and`` and ``or`` are associative (also with missing values, as in SQL), so the
    grouping does not change the answer; it keeps a 1,000-term filter shallow for every
    recursive pass that follows (checks, compiler, DuckDB's parser).
    """
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    left, right = _balanced(op, terms[:middle]), _balanced(op, terms[middle:])
    return ast.BoolOp(op, left, right, span=(left.span[0], right.span[1]))


@v_args(meta=True)
class _ToAst(Transformer[Any, Any]):
    """Build AST nodes bottom-up; every node keeps its source span."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    # ------------------------------------------------------------ query and commands
    def start(self, meta: Meta, children: list[Any]) -> list[Any]:
        return children

    def fields_cmd(self, meta: Meta, items: list[ast.Item]) -> ast.Fields:
        return ast.Fields(tuple(items), span=_span(meta))

    def display_cmd(self, meta: Meta, names: list[ast.Field]) -> ast.Display:
        return ast.Display(tuple(names), span=_span(meta))

    def filter_cmd(self, meta: Meta, children: list[Any]) -> ast.Filter:
        return ast.Filter(children[0], span=_span(meta))

    def stats_cmd(self, meta: Meta, children: list[Any]) -> ast.Stats:
        by: tuple[ast.Item, ...] = ()
        if children and isinstance(children[-1], tuple):
            by = children.pop()
        return ast.Stats(tuple(children), by, span=_span(meta))

    def by_clause(self, meta: Meta, items: list[ast.Item]) -> tuple[ast.Item, ...]:
        return tuple(items)

    def sort_cmd(self, meta: Meta, keys: list[ast.SortKey]) -> ast.Sort:
        return ast.Sort(tuple(keys), span=_span(meta))

    def sort_key(self, meta: Meta, children: list[Any]) -> ast.SortKey:
        descending = len(children) > 1 and children[1] == "desc"
        return ast.SortKey(children[0], descending, span=_span(meta))

    def direction(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    def limit_cmd(self, meta: Meta, children: list[Token]) -> ast.Limit:
        return ast.Limit(int(children[0]), span=_span(meta))

    def parse_cmd(self, meta: Meta, children: list[Any]) -> ast.Parse:
        source = ast.Field("@message", span=_span(meta))
        if isinstance(children[0], ast.Field):
            source = children.pop(0)
        pattern = _literal(children.pop(0))
        return ast.Parse(source, pattern, tuple(children), span=_span(meta))

    def dedup_cmd(self, meta: Meta, names: list[ast.Field]) -> ast.Dedup:
        return ast.Dedup(tuple(names), span=_span(meta))

    def item(self, meta: Meta, children: list[Any]) -> ast.Item:
        expr = children[0]
        alias = children[1].name if len(children) > 1 else None
        text = self.text[expr.span[0] : expr.span[1]].strip()
        return ast.Item(expr, alias, text, span=_span(meta))

    # ------------------------------------------------------------ expressions
    def or_(self, meta: Meta, c: list[Any]) -> ast.Expr:
        return _balanced("or", c)

    def and_(self, meta: Meta, c: list[Any]) -> ast.Expr:
        return _balanced("and", c)

    def not_(self, meta: Meta, c: list[Any]) -> ast.Not:
        return ast.Not(c[0], span=_span(meta))

    def compare(self, meta: Meta, c: list[Any]) -> ast.Compare:
        return ast.Compare(str(c[1]), c[0], c[2], span=_span(meta))

    def in_(self, meta: Meta, c: list[Any]) -> ast.InList:
        return ast.InList(c[0], c[1].items, False, span=_span(meta))

    def not_in(self, meta: Meta, c: list[Any]) -> ast.InList:
        return ast.InList(c[0], c[1].items, True, span=_span(meta))

    def like(self, meta: Meta, c: list[Any]) -> ast.Like:
        return ast.Like(c[0], _literal(c[1]), False, span=_span(meta))

    def not_like(self, meta: Meta, c: list[Any]) -> ast.Like:
        return ast.Like(c[0], _literal(c[1]), True, span=_span(meta))

    def binop(self, meta: Meta, c: list[Any]) -> ast.BinOp:
        return ast.BinOp(str(c[1]), c[0], c[2], span=_span(meta))

    def neg(self, meta: Meta, c: list[Any]) -> ast.Expr:
        operand = c[1]
        if isinstance(operand, ast.Number):  # fold "-5" into a literal
            return ast.Number(-operand.value, span=_span(meta))
        return ast.Neg(operand, span=_span(meta))

    def number(self, meta: Meta, c: list[Token]) -> ast.Number:
        text = str(c[0])
        value: int | float = float(text) if any(ch in text for ch in ".eE") else int(text)
        return ast.Number(value, span=_span(meta))

    def string(self, meta: Meta, c: list[Token]) -> ast.String:
        return ast.String(unescape(str(c[0])[1:-1]), span=_span(meta))

    def period(self, meta: Meta, c: list[Token]) -> ast.Period:
        text = str(c[0])
        digits = len(text) - len(text.lstrip("0123456789"))
        return ast.Period(int(text[:digits]), text[digits:], span=_span(meta))

    def list_lit(self, meta: Meta, c: list[Any]) -> ast.ListLit:
        return ast.ListLit(tuple(c), span=_span(meta))

    def call(self, meta: Meta, c: list[Any]) -> ast.Call:
        return ast.Call(str(c[0]), tuple(c[1:]), span=_span(meta))

    def star(self, meta: Meta, c: list[Any]) -> ast.Star:
        return ast.Star(span=_span(meta))

    def field(self, meta: Meta, c: list[Token]) -> ast.Field:
        name = str(c[0])
        if c[0].type == "BACKTICKED":
            name = name[1:-1]
        return ast.Field(name, span=_span(meta))
