"""The watch query language (pure). No user-supplied regular expressions: queries compile to word matching.

    sanctions "ship-to-ship"          implicit AND; a quoted phrase
    coal OR fuel                      OR (upper case)
    -"South Korea"                    exclude
    (coal OR fuel) -Nampo             parentheses
    coal NEAR/5 Nampo                 NEAR/n: two terms or phrases within n words
    title:sanctions site:nknews.org lang:ko
    refin*                            a trailing * matches word endings

Matching is case- and diacritic-insensitive, on word boundaries (Cyrillic and Hangul included).
"""

import re
from dataclasses import dataclass

from radar_classifier.text import Document, Term, compile_term


class QuerySyntaxError(ValueError):
    """An invalid query; `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int, query: str) -> None:
        super().__init__(f"{message} at position {position}: {query[:position]}⟨here⟩{query[position:]}")
        self.position = position
        self.reason = message


@dataclass(frozen=True)
class TermNode:
    term: Term
    field: str | None = None  # None (anywhere) or "title"


@dataclass(frozen=True)
class Not:
    node: "Node"


@dataclass(frozen=True)
class And:
    nodes: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple["Node", ...]


@dataclass(frozen=True)
class Near:
    left: TermNode
    right: TermNode
    distance: int


@dataclass(frozen=True)
class Site:
    domain: str


@dataclass(frozen=True)
class Lang:
    code: str


Node = TermNode | Not | And | Or | Near | Site | Lang

MAX_DEPTH = 32  # parentheses and exclusions nested deeper than this are refused, not parsed until Python's stack runs out
_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<phrase>"[^"]*"?)|(?P<near>NEAR/\d*)|(?P<word>[^\s()"]+))')
_FIELDS = ("title", "site", "lang")


def _lex(query: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if not m or m.end() == pos:
            if query[pos:].strip() == "":
                break
            raise QuerySyntaxError("unexpected character", pos, query)
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.i = 0
        self.depth = 0

    def nested(self, pos: int) -> None:
        """Enter a '(' or a '-'; refused beyond MAX_DEPTH levels (each level is a Python stack frame or three)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested deeper than {MAX_DEPTH} levels", pos)

    def error(self, message: str, pos: int | None = None) -> QuerySyntaxError:
        if pos is None:
            pos = self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.query)
        return QuerySyntaxError(message, pos, self.query)

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("empty query", 0)
        node = self.or_expr()
        if self.peek():
            raise self.error("unexpected ')'" if self.peek()[0] == "rp" else "unexpected token")  # type: ignore[index]
        return node

    def or_expr(self) -> Node:
        nodes = [self.and_expr()]
        while (t := self.peek()) and t[0] == "word" and t[1] == "OR":
            self.i += 1
            nodes.append(self.and_expr())
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def and_expr(self) -> Node:
        nodes: list[Node] = []
        while (t := self.peek()) and t[0] != "rp" and not (t[0] == "word" and t[1] == "OR"):
            if t[0] == "word" and t[1] == "AND":
                self.i += 1
                continue
            nodes.append(self.unary())
        if not nodes:
            raise self.error("expected a term")
        if all(isinstance(n, Not) for n in nodes):
            raise self.error("a query needs at least one term that is not excluded", self.tokens[self.i - 1][2] if self.i else 0)
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def unary(self) -> Node:
        t = self.peek()
        assert t is not None
        if t[0] == "word" and t[1].startswith("-"):
            self.nested(t[2])
            if t[1] == "-":
                self.i += 1
                if not self.peek():
                    raise self.error("nothing to exclude after '-'")
            else:
                self.tokens[self.i] = ("word", t[1][1:], t[2] + 1)
            node: Node = Not(self.unary())
            self.depth -= 1
            return node
        node = self.primary()
        while (n := self.peek()) and n[0] == "near":
            digits = n[1][5:]
            if not digits:
                raise self.error("NEAR needs a distance, as in NEAR/5")
            self.i += 1
            if not isinstance(node, TermNode):
                raise self.error("NEAR joins two terms or phrases", n[2])
            right = self.primary()
            if not isinstance(right, TermNode):
                raise self.error("NEAR joins two terms or phrases", n[2])
            node = Near(node, right, int(digits))  # type: ignore[assignment]
        return node

    def term(self, text: str, pos: int, field: str | None = None) -> TermNode:
        try:
            return TermNode(compile_term(text), field)
        except ValueError:
            raise self.error("a term needs letters or digits", pos) from None

    def primary(self) -> Node:
        kind, text, pos = self.tokens[self.i]
        self.i += 1
        if kind == "lp":
            self.nested(pos)
            node = self.or_expr()
            if not (t := self.peek()) or t[0] != "rp":
                raise self.error(f"missing ')' for the '(' at position {pos}")
            self.i += 1
            self.depth -= 1
            return node
        if kind == "rp":
            raise self.error("unexpected ')'", pos)
        if kind == "near":
            raise self.error("NEAR needs a term on its left", pos)
        if kind == "phrase":
            if len(text) < 2 or not text.endswith('"'):
                raise self.error("unclosed quote", pos)
            return self.term(text[1:-1], pos + 1)
        field, sep, value = text.partition(":")
        if sep and field.lower() in _FIELDS:
            if not value:
                nxt = self.peek()
                if nxt and nxt[0] == "phrase" and field.lower() == "title":
                    self.i += 1
                    if not nxt[1].endswith('"') or len(nxt[1]) < 2:
                        raise self.error("unclosed quote", nxt[2])
                    return self.term(nxt[1][1:-1], nxt[2] + 1, "title")
                raise self.error(f"{field}: needs a value", pos + len(field) + 1)
            if field.lower() == "site":
                return Site(value.lower().removeprefix("www."))
            if field.lower() == "lang":
                return Lang(value.lower())
            return self.term(value, pos + len(field) + 1, "title")
        if text in ("AND", "OR"):
            raise self.error(f"{text} needs a term on each side", pos)
        return self.term(text, pos)


def parse_query(query: str) -> Node:
    """Parse a watch query, or raise QuerySyntaxError pointing at the position."""
    if len(query) > 2000:
        raise QuerySyntaxError("query longer than 2000 characters", 2000, query[:2000])
    return _Parser(query).parse()


@dataclass(frozen=True)
class Article:
    """What a query is evaluated on."""

    doc: Document
    site: str
    lang: str | None


def evaluate(node: Node, article: Article, hits: list[tuple[int, int, str]], found: dict[Term, list[tuple[int, int]]] | None = None) -> bool:
    """True when the article matches; the positive evidence (token ranges and terms) is appended to `hits`.

    `found` holds the term occurrences already found by the matcher; without it, terms are looked up here.
    """
    doc = article.doc

    def find(term: Term) -> list[tuple[int, int]]:
        return found.get(term, []) if found is not None else doc.find(term)

    if isinstance(node, TermNode):
        found_here = [(i, j) for i, j in find(node.term) if node.field != "title" or doc.sentence_of[i] == 0]
        hits.extend((i, j, node.term.source) for i, j in found_here)
        return bool(found_here)
    if isinstance(node, Not):
        return not evaluate(node.node, article, [], found)
    if isinstance(node, And):
        local: list[tuple[int, int, str]] = []
        if all(evaluate(n, article, local, found) for n in node.nodes):
            hits.extend(local)
            return True
        return False
    if isinstance(node, Or):
        results = [evaluate(n, article, hits, found) for n in node.nodes]
        return any(results)
    if isinstance(node, Near):
        left = find(node.left.term)
        right = find(node.right.term)
        pairs = [(a, b) for a in left for b in right if abs(a[0] - b[0]) <= node.distance]
        for a, b in pairs:
            hits += [(a[0], a[1], node.left.term.source), (b[0], b[1], node.right.term.source)]
        return bool(pairs)
    if isinstance(node, Site):
        return article.site == node.domain or article.site.endswith("." + node.domain)
    if isinstance(node, Lang):
        return (article.lang or "") == node.code
    raise TypeError(f"unknown query node {node!r}")
