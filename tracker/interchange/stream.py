"""Reading a scorecard file as a stream, so that an import's memory does not grow with it.

The file's top level is composed into nodes as `yamlread.load` composes a whole file, except
the long lists (`recommendations`, `evaluations`): their items are composed one at a time and
handed over as they come, and the top level keeps an empty list in their place (with its
line). YAML's events come from libyaml when present; the nodes are built by PyYAML's own
composer, driven here item by item (libyaml's composer only builds whole documents).

`Section` is such a list; `sections` keeps what the import must know of all its items at
once (small indexes) and its specs, written aside, for the checks and the write to go
through again one at a time.
"""

import codecs
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.resolver import Resolver

from tracker.interchange.yamlread import SCALAR_TAGS, Problem, Reader, Where, join_path

STREAMED = ("recommendations", "evaluations")
CHUNK = 1 << 20  # bytes read at a time when checking a file's text

try:  # libyaml's parser (events); PyYAML's pure-Python one otherwise
    from yaml._yaml import CParser as _Parser

    def _init_parser(loader, stream) -> None:
        _Parser.__init__(loader, stream)

    _BASES: tuple = (_Parser,)
except ImportError:  # pragma: no cover -- PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader as _YamlReader
    from yaml.scanner import Scanner

    def _init_parser(loader, stream) -> None:
        _YamlReader.__init__(loader, stream)
        Scanner.__init__(loader)
        Parser.__init__(loader)

    _BASES = (_YamlReader, Scanner, Parser)


class StreamLoader(*_BASES, Composer, Resolver):
    """Events from the parser, nodes from PyYAML's composer, one node at a time.

    `anchored` holds the ids of the nodes that carry an anchor (&name): only those can be
    reached a second time, through an alias, so only those need remembering
    (`yamlread.Reader` refuses aliases)."""

    def __init__(self, stream) -> None:
        _init_parser(self, stream)
        Composer.__init__(self)
        Resolver.__init__(self)
        self._resolved: dict = {}
        self.anchored: set[int] = set()

    def resolve(self, kind, value, implicit):
        # As yamlread.Loader: a large file repeats the same short values thousands of times.
        if kind is not yaml.ScalarNode or len(value) > 64:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = self._resolved[key] = super().resolve(kind, value, implicit)
        return tag

    def compose_node(self, parent, index):
        event = self.peek_event()
        node = super().compose_node(parent, index)
        if not isinstance(event, AliasEvent) and event.anchor is not None:
            self.anchored.add(id(node))
        return node


class Unreadable(Exception):
    """The file cannot be read at all (not found, not UTF-8, not YAML): this problem only."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def _check_text(path: str | Path) -> None:
    """What `yamlread.load` refuses before parsing, found reading the file a chunk at a time."""
    label = str(path)
    here = Where(label, None, "")
    try:
        stream = Path(path).open("rb")  # noqa: SIM115 -- closed below, errors reported
    except FileNotFoundError:
        raise Unreadable(Problem(here, "no such file")) from None
    except IsADirectoryError:
        raise Unreadable(
            Problem(here, "is a directory; give the scorecard files inside it")
        ) from None
    except OSError as error:
        raise Unreadable(Problem(here, f"cannot be read: {error.strerror}")) from None
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, nul, bad, blank, first = 0, None, None, True, True
    with stream:
        while chunk := stream.read(CHUNK):
            if nul is None and (at := chunk.find(b"\0")) >= 0:
                nul = lines + chunk.count(b"\n", 0, at) + 1
            if bad is None:
                pending = len(decoder.getstate()[0])
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    start = max(error.start - pending, 0)
                    bad = (lines + chunk.count(b"\n", 0, start) + 1, chunk[start])
                    text = ""
                if first:
                    text, first = text.removeprefix("\ufeff"), False
                blank = blank and not text.strip()
            lines += chunk.count(b"\n")
        if bad is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad = (lines + 1, 0)
    if nul is not None:
        raise Unreadable(
            Problem(
                Where(label, nul, ""),
                "contains a NUL byte, so it is not a text file; scorecard files are UTF-8 "
                "YAML text",
            )
        )
    if bad is not None:
        raise Unreadable(
            Problem(
                Where(label, bad[0], ""),
                f"is not UTF-8 text (byte 0x{bad[1]:02x} cannot be decoded); save the file "
                f"as UTF-8",
            )
        )
    if blank:
        raise Unreadable(Problem(here, "is empty; a scorecard file starts with “format: 1”"))


def _line_at(path: str | Path, offset: int) -> int:
    with Path(path).open("rb") as stream:
        return stream.read(offset).count(b"\n") + 1


def walk(path: str | Path, reader: Reader) -> Iterator[tuple[str | None, int, yaml.Node | None]]:
    """The items of the streamed lists as (list, index, node), in the file's order, then
    (None, 0, the top-level node). Raises Unreadable with the reason the file cannot be
    read."""
    label = str(path)
    _check_text(path)
    with Path(path).open("rb") as stream:
        loader = StreamLoader(stream)
        reader.anchored = loader.anchored
        try:
            loader.get_event()  # the stream's start
            if loader.check_event(StreamEndEvent):
                raise Unreadable(
                    Problem(
                        Where(label, None, ""), "is empty; a scorecard file starts with “format: 1”"
                    )
                )
            document = loader.get_event()
            if loader.check_event(MappingStartEvent):
                top = yield from _top(loader)
            else:
                top = loader.compose_node(None, None)
            loader.get_event()  # the document's end
            if not loader.check_event(StreamEndEvent):
                event = loader.get_event()
                raise yaml.composer.ComposerError(
                    "expected a single document in the stream",
                    document.start_mark,
                    "but found another document",
                    event.start_mark,
                )
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            message = error.problem or error.context or "cannot be parsed"
            if error.context and error.problem:
                message = f"{error.problem} ({error.context})"
            raise Unreadable(
                Problem(
                    Where(label, mark.line + 1 if mark else None, ""),
                    f"is not valid YAML: {message}",
                )
            ) from None
        except yaml.reader.ReaderError as error:
            raise Unreadable(
                Problem(
                    Where(label, _line_at(path, error.position), ""),
                    f"contains the control character #x{error.character:04x}, which YAML does "
                    f"not allow; remove it",
                )
            ) from None
        except yaml.YAMLError as error:
            raise Unreadable(
                Problem(Where(label, None, ""), f"is not valid YAML: {error}")
            ) from None
        finally:
            loader.dispose()
    yield None, 0, top


def _top(loader: StreamLoader):
    start = loader.get_event()
    tag = start.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.MappingNode, None, start.implicit)
    top = yaml.MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
    if start.anchor is not None:
        loader.anchors[start.anchor] = top
        loader.anchored.add(id(top))
    streamed: set[str] = set()
    while not loader.check_event(MappingEndEvent):
        key = loader.compose_node(top, None)
        name = key.value if isinstance(key, yaml.ScalarNode) and key.tag in SCALAR_TAGS else None
        event = loader.peek_event()
        if (
            name in STREAMED
            and name not in streamed
            and isinstance(event, SequenceStartEvent)
            and event.anchor is None
        ):
            streamed.add(name)
            value = yield from _items(loader, name, top)
        else:
            value = loader.compose_node(top, key)
        top.value.append((key, value))
    top.end_mark = loader.get_event().end_mark
    return top


def _items(loader: StreamLoader, name: str, parent: yaml.Node):
    start = loader.get_event()
    tag = start.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.SequenceNode, None, start.implicit)
    # In the top level's place: an empty list, where the list starts.
    placeholder = yaml.SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
    index = 0
    while not loader.check_event(SequenceEndEvent):
        yield name, index, loader.compose_node(placeholder, index)
        index += 1
    placeholder.end_mark = loader.get_event().end_mark
    return placeholder


class Section:
    """One long list of a file: `build(mapping, index, problems, unreadable)` turns each of
    its items into a spec (or None). What is kept of the specs, and how they are gone
    through again, is `sections`'."""

    def __init__(self, path: str, name: str, keys: tuple, what: str, build: Callable):
        self.path, self.name, self.keys, self.what, self.build = path, name, keys, what, build
        self.count = 0  # items with a spec
        self.translated = 0  # of them, with translations (their own or their evidence's)

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def item(self, reader: Reader, index: int, node: yaml.Node, unreadable: set):
        m = reader.mapping(node, join_path(self.name, index), self.keys, f"each of the {self.what}")
        return None if m is None else self.build(m, index, reader.problems, unreadable)
