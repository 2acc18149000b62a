"""A fast, single-pass reader of Terraform's HCL2 native syntax, giving exactly what python-hcl2 serializes.

python-hcl2 builds a Lark tree, transforms and serializes it; for a directory of thousands of resources that is most
of `dr-audit plan`'s time. This reader tokenizes once and descends recursively, producing the same dict python-hcl2
gives with SerializationOptions(preserve_heredocs=False, with_comments=False): blocks as lists of dicts marked
`__is_block__`, labels kept quoted, quoted templates kept with their quotes, other expressions as "${...}" text in
python-hcl2's own spacing. It reads a conservative subset: whatever it is not sure to render exactly as python-hcl2
does (for expressions, splats, directives, exponents, ...) raises `Unsupported`, and the caller reads that file with
python-hcl2 instead. Invalid files raise `Unsupported` too, so python-hcl2 reports them with its line numbers.
"""

from __future__ import annotations

import re
from typing import Any


class Unsupported(Exception):
    """This input is outside what the reader renders exactly like python-hcl2; read it with python-hcl2."""


# One master pattern: the first alternative that matches at the position (after any spaces) names the token. Spaces
# are taken as the next token's prefix rather than as tokens of their own, which halves the matches to make. A
# string's plain characters are taken a run at a time, possessively: giving some back could never end the string
# elsewhere, and a string left open fails at once instead of trying every split of the run.
_TOKEN = re.compile(r"""
    [ \t]*
    (?:
        (?P<nl>\n)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
      | (?P<heredoc><<(?P<strip>-?)(?P<marker>[A-Za-z_][A-Za-z0-9_-]*)\n)
      | (?P<op>==|!=|<=|>=|&&|\|\||[-+*%<>!?:=,.(){}\[\]]|/(?![/*]))
      | (?P<string>"(?:[^"\\\n$%]++|\\[^\n]|\$(?!\{)|%(?!\{)|\$\{[^{}"\n\\]*\})*")
      | (?P<number>\d+(?:\.\d+)?(?![A-Za-z0-9_.]))
      | (?P<comment>(?:\#|//)[^\n]*)
      | (?P<block_comment>/\*.*?\*/)
      | (?P<end>\Z)
    )
""", re.VERBOSE | re.DOTALL)
_INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")
_BINARY = frozenset(("==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "<", ">"))
_KEYWORDS = {"true": True, "false": False, "null": None}
_CLOSERS = frozenset((",", "]", "}", ")"))

# A token: (kind, text, line). Kinds: nl, number, ident, string, heredoc, op, eof.
Token = tuple[str, str, int]


def _heredoc_text(lines: list[str], strip: bool, closer_indent: int) -> str:
    if strip:
        indents = []
        for line in lines:
            if not line:
                continue
            body = line.lstrip(" ")
            if not body or body[0] in "\t\f\v":  # blank-but-spaced lines and tabs: python-hcl2's rule is unclear
                raise Unsupported("indented heredoc with blank or tab-indented lines")
            indents.append(len(line) - len(body))
        least = min(indents, default=0)
        if closer_indent < least:
            raise Unsupported("heredoc closer indented less than its text")
        lines = [line[least:] for line in lines]
    text = "\n".join(lines)
    if ("${" in text or "%{" in text) and ('"' in text or "\\" in text):
        raise Unsupported("heredoc template with quotes or backslashes")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def tokenize(text: str) -> list[Token]:
    if "\r" in text or "\ufeff" in text:
        raise Unsupported("carriage returns or byte-order mark")
    tokens: list[Token] = []
    append = tokens.append
    match = _TOKEN.match
    position, line, end = 0, 1, len(text)
    while position < end:
        found = match(text, position)
        if found is None:
            raise Unsupported(f"unexpected character at line {line}")
        kind = found.lastgroup
        position = found.end()
        # The commonest kinds first: this loop runs once per token of every file.
        if kind == "ident" or kind == "op" or kind == "number":
            value = found.group(kind)
            if value == "." and text.startswith("..", position):
                raise Unsupported("ellipsis")
            append((kind, value, line))
        elif kind == "nl":
            append(("nl", "\n", line))
            line += 1
        elif kind == "string":
            value = found.group(kind)
            if "$${" in value or "%%{" in value:
                raise Unsupported("escaped template sequence")
            if "${" in value:
                value = _INTERPOLATION.sub(_render_interpolation, value)
            append(("string", value, line))
        elif kind == "block_comment":
            newlines = found.group(kind).count("\n")
            if newlines:
                append(("nl", "\n", line))
                line += newlines
        elif kind == "heredoc":
            strip, marker = found.group("strip") == "-", found.group("marker")
            start_line = line
            line += 1  # the opener's own new line
            body: list[str] = []
            while True:
                if position >= end:
                    raise Unsupported("unterminated heredoc")
                stop = text.find("\n", position)
                stop = end if stop < 0 else stop
                current = text[position:stop]
                position = stop + 1
                line += 1
                if current.strip(" \t") == marker:
                    closer_indent = len(current) - len(current.lstrip(" "))
                    break
                body.append(current)
            append(("heredoc", _heredoc_text(body, strip, closer_indent), start_line))
            append(("nl", "\n", line - 1))  # the closer's new line ends the attribute
        # comments and trailing spaces at the end of the text add no token
    append(("eof", "", line))
    return tokens


def _render_interpolation(found: re.Match[str]) -> str:
    parser = _Parser(tokenize(found.group(1)))
    node = parser.expression()
    parser.skip_newlines()
    if parser.peek()[0] != "eof":
        raise Unsupported("interpolation is not one expression")
    return "${" + _render(node) + "}"


# Expression nodes: ("number", value, text), ("keyword", value, text), ("string", text), ("heredoc", text),
# ("ident", name), ("tuple", items), ("object", [(key, node)]), ("expr", text).
Node = tuple[Any, ...]


def _number(text: str, negative: bool = False) -> Node:
    if "." in text:
        value: int | float = float(text)
        shown = repr(value)
        if "e" in shown or "n" in shown or len(text.replace(".", "").lstrip("0")) > 15:
            raise Unsupported("number beyond exact rendering")
    else:
        value = int(text)
        shown = str(value)
    if negative:
        if value == 0:
            raise Unsupported("negative zero")
        value, shown = -value, "-" + shown
    return ("number", value, shown)


def _render(node: Node) -> str:
    kind = node[0]
    if kind == "number" or kind == "keyword":
        return node[2]
    if kind == "string" or kind == "ident" or kind == "expr":
        return node[1]
    if kind == "tuple":
        return "[" + ", ".join(_render(item) for item in node[1]) + "]"
    if kind == "object":
        return "{" + ", ".join(f"{key} = {_render(value)}" for key, value in node[1]) + "}"
    raise Unsupported(f"{kind} inside an expression")


def _convert(node: Node) -> Any:
    kind = node[0]
    if kind == "number" or kind == "keyword":
        return node[1]
    if kind == "string" or kind == "ident" or kind == "heredoc":
        return node[1]
    if kind == "tuple":
        return [_convert(item) for item in node[1]]
    if kind == "object":
        return {key: _convert(value) for key, value in node[1]}
    if len(node) > 2:
        raise Unsupported("parenthesised literal as a whole value")
    return "${" + node[1] + "}"


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token[0] != "op" or token[1] != text:
            raise Unsupported(f"expected {text!r} at line {token[2]}")

    def skip_newlines(self) -> None:
        while self.tokens[self.index][0] == "nl":
            self.index += 1

    def at_op(self, text: str) -> bool:
        token = self.tokens[self.index]
        return token[0] == "op" and token[1] == text

    # --- bodies -------------------------------------------------------------------------------------------------

    def body(self, closing: bool, lines: dict[tuple[str, str], int] | None) -> dict[str, Any]:
        result: dict[str, Any] = {}
        blocks: set[str] = set()  # names of blocks: an attribute of the same name is not HCL python-hcl2 reads
        while True:
            self.skip_newlines()
            token = self.take()
            if token[0] == "eof":
                if closing:
                    raise Unsupported("unclosed block")
                return result
            if token[0] == "op" and token[1] == "}":
                if not closing:
                    raise Unsupported(f"unexpected '}}' at line {token[2]}")
                self.index -= 1
                return result
            if token[0] != "ident":
                raise Unsupported(f"expected a name at line {token[2]}")
            name = token[1]
            if self.at_op("="):
                self.index += 1
                if name in result:
                    raise Unsupported(f"{name} defined twice")
                result[name] = _convert(self.expression())
            else:
                labels: list[str] = []
                while True:
                    label = self.take()
                    plain = label[0] == "string" and "${" not in label[1] and "\\" not in label[1]
                    if label[0] == "ident" or plain:
                        labels.append(label[1])
                    elif label[0] == "op" and label[1] == "{":
                        break
                    else:
                        raise Unsupported(f"unexpected token in block header at line {label[2]}")
                inner = self.body(True, None)
                self.expect("}")
                inner["__is_block__"] = True
                value: dict[str, Any] = inner
                for label_text in reversed(labels):
                    value = {label_text: value}
                if name in result and name not in blocks:
                    raise Unsupported(f"{name} is both an attribute and a block")
                blocks.add(name)
                result.setdefault(name, []).append(value)
                if lines is not None and name == "resource" and len(labels) >= 2:
                    lines[(labels[0].strip('"'), labels[1].strip('"'))] = token[2]
            following = self.peek()
            if following[0] not in ("nl", "eof") and not (closing and following[0] == "op" and following[1] == "}"):
                raise Unsupported(f"expected a new line at line {following[2]}")

    # --- expressions --------------------------------------------------------------------------------------------

    def expression(self) -> Node:
        token = self.tokens[self.index]
        following = self.tokens[self.index + 1] if token[0] != "eof" else token
        if following[0] == "nl" or (following[0] == "op" and following[1] in _CLOSERS):
            # A lone literal, the commonest value by far: skip the descent through every precedence level.
            kind = token[0]
            if kind == "string" or kind == "heredoc":
                self.index += 1
                return (kind, token[1])
            if kind == "number":
                self.index += 1
                return _number(token[1])
            if kind == "ident":
                self.index += 1
                text = token[1]
                return ("keyword", _KEYWORDS[text], text) if text in _KEYWORDS else ("ident", text)
        condition = self.binary()
        if not self.at_op("?"):
            return condition
        self.index += 1
        when_true = self.expression()
        self.expect(":")
        when_false = self.expression()
        return ("expr", f"{_render(condition)} ? {_render(when_true)} : {_render(when_false)}")

    def binary(self) -> Node:
        left = self.unary()
        token = self.peek()
        if token[0] != "op" or token[1] not in _BINARY:
            return left
        parts = [_render(left)]
        while token[0] == "op" and token[1] in _BINARY:
            self.index += 1
            parts.append(token[1])
            parts.append(_render(self.unary()))
            token = self.peek()
        return ("expr", " ".join(parts))

    def unary(self) -> Node:
        token = self.peek()
        if token[0] == "op" and token[1] in ("-", "!"):
            self.index += 1
            following = self.peek()
            if token[1] == "-" and following[0] == "number":
                self.index += 1
                return self.postfix(_number(following[1], negative=True))
            operand = self.unary()
            if operand[0] == "number" and token[1] == "-":
                raise Unsupported("doubled minus")
            return ("expr", token[1] + _render(operand))
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.peek()
            if token[0] != "op" or token[1] not in (".", "["):
                return node
            if node[0] == "number" and node[2].startswith("-"):
                raise Unsupported("traversal of a negative number")
            self.index += 1
            if token[1] == ".":
                step = self.take()
                if step[0] != "ident":
                    raise Unsupported(f"splat or legacy index at line {step[2]}")
                node = ("expr", f"{_render(node)}.{step[1]}")
            else:
                self.skip_newlines()
                if self.at_op("*"):
                    raise Unsupported("splat")
                key = self.expression()
                self.skip_newlines()
                self.expect("]")
                node = ("expr", f"{_render(node)}[{_render(key)}]")

    def primary(self) -> Node:
        token = self.take()
        kind, text = token[0], token[1]
        if kind == "number":
            return _number(text)
        if kind == "string" or kind == "heredoc":
            return (kind, text)
        if kind == "ident":
            if text in _KEYWORDS:
                return ("keyword", _KEYWORDS[text], text)
            if self.at_op("("):
                self.index += 1
                return ("expr", f"{text}({', '.join(_render(arg) for arg in self.items(')'))})")
            return ("ident", text)
        if kind == "op":
            if text == "(":
                self.skip_newlines()
                inner = self.expression()
                self.skip_newlines()
                self.expect(")")
                if inner[0] in ("keyword", "object", "tuple") or len(inner) > 2:
                    # python-hcl2 writes these as Python reprs ("(True)") when they are a whole value: not ours to copy.
                    return ("expr", f"({_render(inner)})", "python-repr")
                return ("expr", f"({_render(inner)})")
            if text == "[":
                return ("tuple", self.items("]"))
            if text == "{":
                return ("object", self.entries())
        raise Unsupported(f"unexpected {text!r} at line {token[2]}")

    def items(self, closer: str) -> list[Node]:
        """Comma-separated expressions up to `closer`, newlines anywhere, an optional trailing comma."""
        found: list[Node] = []
        self.skip_newlines()
        first = self.peek()
        if first[0] == "ident" and first[1] == "for" and closer == "]":
            raise Unsupported("for expression")
        while not self.at_op(closer):
            found.append(self.expression())
            self.skip_newlines()
            if self.at_op(","):
                self.index += 1
                self.skip_newlines()
            elif not self.at_op(closer):
                raise Unsupported(f"expected ',' or {closer!r} at line {self.peek()[2]}")
        self.index += 1
        return found

    def entries(self) -> list[tuple[str, Node]]:
        found: list[tuple[str, Node]] = []
        seen: set[str] = set()
        self.skip_newlines()
        first = self.peek()
        if first[0] == "ident" and first[1] == "for":
            raise Unsupported("for expression")
        while not self.at_op("}"):
            key = self.take()
            named = key[0] == "ident" and key[1] not in _KEYWORDS
            if not (named or (key[0] == "string" and "${" not in key[1])):
                raise Unsupported(f"object key at line {key[2]}")
            name = key[1]
            if name in seen:
                raise Unsupported(f"object key {name} twice")
            seen.add(name)
            if not (self.at_op("=") or self.at_op(":")):
                raise Unsupported(f"expected '=' at line {key[2]}")
            self.index += 1
            found.append((name, self.expression()))
            separated = False
            while True:
                token = self.peek()
                if token[0] == "nl" or (token[0] == "op" and token[1] == ","):
                    self.index += 1
                    separated = True
                else:
                    break
            if not separated and not self.at_op("}"):
                raise Unsupported(f"expected a separator at line {self.peek()[2]}")
        self.index += 1
        return found


def read(text: str) -> tuple[dict[str, Any], dict[tuple[str, str], int]]:
    """The file's python-hcl2 serialization and the line of each resource block, or `Unsupported`."""
    lines: dict[tuple[str, str], int] = {}
    parser = _Parser(tokenize(text))
    data = parser.body(False, lines)
    return data, lines
