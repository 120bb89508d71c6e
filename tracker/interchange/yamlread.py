"""Reading YAML so that every value remembers its file, line and path.

A file is composed into YAML nodes (not Python objects), and the typed readers below turn
nodes into values. That keeps each node's line, so a problem can be reported as
`file:line: path: problem`, and it means YAML's guesses never reach the record: a title
written as `1984` or a wording written as `No` stays the text it looks like.
"""

import datetime
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml when present (both build the same nodes), resolving repeated values once.

    Resolving a plain scalar's type runs several regular expressions in Python; a large
    file repeats the same short values (slugs, dates, statuses) thousands of times.
    """

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._resolved: dict = {}

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode or len(value) > 64:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = self._resolved[key] = super().resolve(kind, value, implicit)
        return tag


STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
SCALAR_TAGS = {STR, INT, FLOAT, BOOL, NULL, TIMESTAMP}

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_http_url = URLValidator(schemes=["http", "https"])
_constructor = yaml.constructor.SafeConstructor()


@dataclass(frozen=True)
class Where:
    """A place in a file: what a problem message points at."""

    file: str
    line: int | None
    path: str

    def child(self, part: str | int, line: int | None = None) -> "Where":
        return Where(self.file, line or self.line, join_path(self.path, part))


class Places:
    """Where each key of one mapping is: its lines, noted when the mapping is read, so that
    a spec can report a problem found later without keeping the file's nodes (a long
    file's specs are written aside and read back: tracker.interchange.sections)."""

    __slots__ = ("file", "line", "lines", "path")

    def __init__(self, mapping: "Mapping") -> None:
        self.file, self.path = mapping.reader.file, mapping.path
        # The line of the mapping's key (`report:`), or of the mapping (a list's item).
        self.line = line_of(mapping.key_node or mapping.node)
        self.lines = {key: line_of(node) for key, node in mapping.keys.items()}

    def __getitem__(self, key: str) -> Where:
        if key and key in self.lines:
            return Where(self.file, self.lines[key], join_path(self.path, key))
        return Where(self.file, self.line, join_path(self.path, key) if key else self.path)

    def get(self, key: str, default: Where | None = None) -> Where | None:
        if key == "" or key in self.lines:
            return self[key]
        return default


@dataclass(frozen=True)
class Problem:
    where: Where
    message: str

    def __str__(self) -> str:
        place = (
            self.where.file if self.where.line is None else f"{self.where.file}:{self.where.line}"
        )
        return (
            f"{place}: {self.where.path}: {self.message}"
            if self.where.path
            else (f"{place}: {self.message}")
        )


def join_path(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def quoted(value: Any) -> str:
    return f"“{value}”"


def describe(node: yaml.Node) -> str:
    """What a node is, in the words of the person who wrote the file."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping (key: value lines)"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "nothing"
    if node.tag in (INT, FLOAT):
        return f"the number {node.value}"
    if node.tag == BOOL:
        return f"the yes/no value {node.value}"
    return f"the text {quoted(node.value)}"


class LateProblems(Exception):
    """Problems only the write can find (it rolls back the whole import)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems


class Problems:
    """Collects problems so that a file is checked completely, not up to its first mistake."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, where: Where, message: str) -> None:
        self.items.append(Problem(where, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def within(self, where: Where) -> bool:
        """Whether a problem was found at or inside this place (e.g. an item of a list)."""
        path = where.path
        return any(
            p.where.file == where.file
            and (p.where.path == path or p.where.path.startswith((f"{path}.", f"{path}[")))
            for p in self.items
        )


def load(path: str | Path, problems: Problems) -> yaml.Node | None:
    """The file's root node, or None (with the reason added to `problems`)."""
    label = str(path)
    here = Where(label, None, "")
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        problems.add(here, "no such file")
        return None
    except IsADirectoryError:
        problems.add(here, "is a directory; give the scorecard files inside it")
        return None
    except OSError as error:
        problems.add(here, f"cannot be read: {error.strerror}")
        return None
    if b"\0" in data:
        at = data.index(b"\0")
        problems.add(
            Where(label, data.count(b"\n", 0, at) + 1, ""),
            "contains a NUL byte, so it is not a text file; scorecard files are UTF-8 YAML text",
        )
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.add(
            Where(label, data.count(b"\n", 0, error.start) + 1, ""),
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} cannot be decoded); "
            f"save the file as UTF-8",
        )
        return None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        problems.add(here, "is empty; a scorecard file starts with “format: 1”")
        return None
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or error.context or "cannot be parsed"
        if error.context and error.problem:
            message = f"{error.problem} ({error.context})"
        problems.add(
            Where(label, mark.line + 1 if mark else None, ""), f"is not valid YAML: {message}"
        )
        return None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        problems.add(
            Where(label, line, ""),
            f"contains the control character #x{error.character:04x}, which YAML does not "
            f"allow; remove it",
        )
        return None
    except yaml.YAMLError as error:
        problems.add(here, f"is not valid YAML: {error}")
        return None
    if node is None:
        problems.add(here, "is empty; a scorecard file starts with “format: 1”")
    return node


class Reader:
    """Typed access to the nodes of one file, adding a problem for every bad value."""

    def __init__(self, file: str, problems: Problems) -> None:
        self.file = file
        self.problems = problems
        self._seen: set[int] = set()
        # The ids of the nodes that carry an anchor, when the file is read as a stream
        # (tracker.interchange.stream): only those can be met twice. None: any node.
        self.anchored: set[int] | None = None

    def where(self, node: yaml.Node | None, path: str) -> Where:
        return Where(self.file, line_of(node) if node is not None else None, path)

    def problem(self, node: yaml.Node | None, path: str, message: str) -> None:
        self.problems.add(self.where(node, path), message)

    def _first_visit(self, node: yaml.Node, path: str, at: yaml.Node | None = None) -> bool:
        # A node met twice was reached through an alias (*name). Refusing aliases keeps
        # files plain to read and a small file from expanding into a huge one.
        if self.anchored is not None and id(node) not in self.anchored:
            return True
        if id(node) in self._seen:
            # The alias has no node of its own: point at its key, not at the anchor.
            self.problem(
                at or node,
                path,
                "uses an alias (*name) to repeat a value; write the value out instead",
            )
            return False
        self._seen.add(id(node))
        return True

    def mapping(
        self,
        node: yaml.Node,
        path: str,
        keys: tuple[str, ...],
        what: str,
        key_node: yaml.Node | None = None,
    ) -> "Mapping | None":
        if not self._first_visit(node, path, key_node):
            return None
        if not isinstance(node, yaml.MappingNode):
            self.problem(
                key_node or node,
                path,
                f"expected {what} as a mapping (key: value lines), found {describe(node)}",
            )
            return None
        return Mapping(self, node, path, keys, key_node)

    def sequence(
        self, node: yaml.Node, path: str, what: str, key_node: yaml.Node | None = None
    ) -> list[yaml.Node] | None:
        if not self._first_visit(node, path, key_node):
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(
                key_node or node, path, f"expected a list of {what}, found {describe(node)}"
            )
            return None
        return list(node.value)


class Mapping:
    """One mapping of a file: its keys checked, its values read by type."""

    def __init__(
        self,
        reader: Reader,
        node: yaml.MappingNode,
        path: str,
        keys: tuple[str, ...],
        key_node: yaml.Node | None = None,
    ):
        self.reader = reader
        self.node = node
        self.key_node = key_node  # `report:` for the report's mapping; None for list items
        self.path = path
        self.values: dict[str, yaml.Node] = {}
        self.keys: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str) or key_node.tag not in SCALAR_TAGS:
                reader.problem(key_node, path or "(top level)", "keys must be plain words")
                continue
            if key in self.values:
                reader.problem(
                    key_node,
                    self.sub(key),
                    f"appears twice (first at line {line_of(self.values[key])}); keep one",
                )
                continue
            if key not in keys:
                hint = difflib.get_close_matches(key, keys, n=1)
                suggestion = (
                    f"did you mean “{hint[0]}”?" if hint else f"allowed keys: {', '.join(keys)}"
                )
                reader.problem(key_node, self.sub(key), f"unknown key; {suggestion}")
                continue
            self.values[key] = value_node
            self.keys[key] = key_node

    def sub(self, key: str | int) -> str:
        return join_path(self.path, key)

    def where(self, key: str | None = None) -> Where:
        """The line of the key (where a person looks for its value), or of the mapping."""
        if key is not None and key in self.keys:
            return self.reader.where(self.keys[key], self.sub(key))
        return self.reader.where(self.key_node or self.node, self.sub(key) if key else self.path)

    def problem(self, key: str | None, message: str) -> None:
        self.reader.problems.add(self.where(key), message)

    def has(self, key: str) -> bool:
        node = self.values.get(key)
        return node is not None and not (isinstance(node, yaml.ScalarNode) and node.tag == NULL)

    def _scalar(self, key: str, required: bool, expected: str) -> yaml.ScalarNode | None:
        """The key's scalar node, or None (missing, null, or not a scalar: reported)."""
        node = self.values.get(key)
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL):
            if required:
                self.problem(key, f"is required ({expected})")
            return None
        if not self.reader._first_visit(node, self.sub(key), self.keys[key]):
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problem(key, f"expected {expected}, found {describe(node)}")
            return None
        if node.tag not in SCALAR_TAGS:
            self.problem(key, f"the tag {node.tag} is not supported here; remove it")
            return None
        return node

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        single_line: bool = False,
    ) -> str:
        """Text exactly as written (empty when absent); YAML's type guesses are ignored."""
        expected = "a line of text" if single_line else "text"
        node = self._scalar(key, required, expected)
        if node is None:
            return ""
        value = node.value
        if "\0" in value:
            self.problem(key, "contains a NUL character (\\0); remove it")
            return ""
        if required and not value.strip():
            self.problem(key, f"is required ({expected}) but is blank")
            return ""
        if single_line and ("\n" in value or "\r" in value):
            self.problem(
                key,
                "must be a single line; to wrap a long line in the file, use “>-” "
                "(folded, without a final line break)",
            )
            return ""
        if max_length is not None and len(value) > max_length:
            self.problem(key, f"is {len(value)} characters long; at most {max_length} are allowed")
            return ""
        return value

    def slug(self, key: str, *, required: bool = True, max_length: int = 50, what: str = "a slug"):
        node = self._scalar(key, required, f"{what}: letters, digits, hyphens")
        if node is None:
            return None
        value = node.value
        if not SLUG_RE.match(value):
            self.problem(
                key,
                f"{quoted(value)} is not {what}; use only letters, digits, hyphens and "
                f"underscores (e.g. “missile-defense”)",
            )
            return None
        if len(value) > max_length:
            self.problem(key, f"is {len(value)} characters long; at most {max_length} are allowed")
            return None
        return value

    def choice(self, key: str, choices: list[str], *, what: str, default: str | None = None):
        node = self._scalar(key, default is None, f"one of: {', '.join(choices)}")
        if node is None:
            return None if self.has(key) else default
        if node.value not in choices:
            self.problem(
                key, f"{quoted(node.value)} is not {what} (choose one of: {', '.join(choices)})"
            )
            return None
        return node.value

    def integer(self, key: str, *, required: bool = True, minimum: int = 0, maximum: int = 32767):
        node = self._scalar(key, required, "a whole number")
        if node is None:
            return None
        if node.tag != INT:
            self.problem(key, f"expected a whole number, found {describe(node)}")
            return None
        value = _constructor.construct_yaml_int(node)
        if not minimum <= value <= maximum:
            self.problem(key, f"{value} is out of range; use a number from {minimum} to {maximum}")
            return None
        return value

    def date(self, key: str, *, required: bool = False) -> datetime.date | None:
        node = self._scalar(key, required, "a date, YYYY-MM-DD")
        if node is None:
            return None
        try:
            if not DATE_RE.match(node.value):
                raise ValueError
            return datetime.date.fromisoformat(node.value)
        except ValueError:
            self.problem(
                key,
                f"{quoted(node.value)} is not a date; write dates as YYYY-MM-DD (e.g. 2004-04-26)",
            )
            return None

    def datetime(self, key: str) -> datetime.datetime | None:
        node = self._scalar(key, False, "a date and time with a zone")
        if node is None:
            return None
        try:
            if DATE_RE.match(node.value):
                raise ValueError
            value = datetime.datetime.fromisoformat(node.value)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            self.problem(
                key,
                f"{quoted(node.value)} is not a date and time with a zone; write it as "
                f"YYYY-MM-DDTHH:MM:SSZ (e.g. 2004-04-26T12:00:00Z, Z for UTC)",
            )
            return None
        return value.astimezone(datetime.UTC)

    def url(self, key: str, *, max_length: int) -> str:
        value = self.text(key, max_length=max_length, single_line=True)
        if value:
            try:
                _http_url(value)
            except ValidationError:
                self.problem(key, f"{quoted(value)} is not a web address (http:// or https://)")
                return ""
        return value

    def colour(self, key: str) -> str | None:
        node = self._scalar(key, True, "a colour, #RRGGBB")
        if node is None:
            return None
        if not COLOUR_RE.match(node.value):
            self.problem(
                key,
                f"{quoted(node.value)} is not a colour; write it as #RRGGBB in quotes "
                f'(e.g. "#1a5e20")',
            )
            return None
        return node.value

    def mapping(self, key: str, keys: tuple[str, ...], what: str) -> "Mapping | None":
        node = self.values.get(key)
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL):
            self.problem(key, f"is required ({what})")
            return None
        return self.reader.mapping(node, self.sub(key), keys, what, self.keys[key])

    def nodes(self, key: str, what: str) -> list[yaml.Node]:
        """The items of a list, as nodes (not yet read)."""
        node = self.values.get(key)
        if node is None:
            return []
        return self.reader.sequence(node, self.sub(key), what, self.keys[key]) or []

    def items(self, key: str, keys: tuple[str, ...], what: str) -> list["Mapping | None"]:
        """A list of mappings; an entry that is not a mapping comes back as None."""
        nodes = self.nodes(key, what)
        path = self.sub(key)
        return [
            self.reader.mapping(item, join_path(path, index), keys, f"each of the {what}")
            for index, item in enumerate(nodes)
        ]

    def slugs(self, key: str, what: str) -> list[tuple[str, Where]]:
        """A list of slugs, each with its place (for reporting unknown references)."""
        node = self.values.get(key)
        if node is None:
            return []
        nodes = self.reader.sequence(node, self.sub(key), what, self.keys[key])
        result = []
        for index, item in enumerate(nodes or []):
            path = join_path(self.sub(key), index)
            if not isinstance(item, yaml.ScalarNode) or item.tag not in SCALAR_TAGS - {NULL}:
                self.reader.problem(item, path, f"expected a slug, found {describe(item)}")
            elif not SLUG_RE.match(item.value):
                self.reader.problem(item, path, f"{quoted(item.value)} is not a slug")
            else:
                result.append((item.value, self.reader.where(item, path)))
        return result


class Unique:
    """Finds a value used twice in one list of a file (codes, slugs, keys)."""

    def __init__(self, what: str, problems: Problems, message: str | None = None):
        self.what, self.problems, self.message, self.first = what, problems, message, {}

    def check(self, value, where: Where, shown: str | None = None) -> bool:
        if value is None:
            return False
        if value in self.first:
            first = self.first[value]
            shown = shown or quoted(value)
            if self.message:
                message = self.message.format(value=shown, line=first.line, path=first.path)
            else:
                message = (
                    f"{shown} is used twice in this file (first at line {first.line}, "
                    f"{first.path}); {self.what} must be unique"
                )
            self.problems.add(where, message)
            return False
        self.first[value] = where
        return True
