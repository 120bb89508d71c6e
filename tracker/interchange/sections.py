"""A file's long lists and what the import must know of all their items at once.

`FileSpec.recommendations` and `FileSpec.evaluations` are `stream.Section`s: read again
from the file each time they are gone through. The first reading (`parse.parse_file`)
reports each item's problems and keeps these small indexes, which the checks and the write
need before they go through the items: the codes (unique in a file, named by evaluations
and links), the evaluations' keys (unique in a file), and the slugs and keys the items
name (the database rows `snapshot` loads). An index entry is a few dozen bytes; an item's
nodes and spec are let go as soon as it is read.
"""

import hashlib
import pickle
import tempfile
from collections.abc import Iterator

from tracker.interchange.specs import (
    EVALUATION_KEYS,
    RECOMMENDATION_KEYS,
    EvaluationSpec,
    RecommendationSpec,
)
from tracker.interchange.stream import Section
from tracker.interchange.yamlread import Reader, quoted

_INDEX_BITS = 32  # a first place is (line << 32) | index: one int, not a Where


def _first(line: int | None, index: int) -> int:
    return ((line or 0) << _INDEX_BITS) | index


def _line(first: int) -> int:
    return first >> _INDEX_BITS


def _index(first: int) -> int:
    return first & ((1 << _INDEX_BITS) - 1)


class _List(Section):
    """A list whose specs, once read, are written aside to a temporary file (pickled, with
    their places but without the file's nodes) and read back from it each time the list is
    gone through: reading the YAML again would cost several times as much."""

    def __init__(self, path: str, name: str, keys: tuple, what: str, build):
        super().__init__(path, name, keys, what, build)
        self.spool = None  # a temporary file, from the first spec on (closed by close())

    def read(self, reader: Reader, index: int, node, unreadable: set):
        """The first reading of an item: its problems reported, its spec indexed."""
        spec = self.item(reader, index, node, unreadable)
        if spec is not None:
            self.count += 1
            self.index(spec, index, reader)
            if self.spool is None:
                self.spool = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by close()
            self.spool.write(pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL))
        return spec

    # A list composed whole (one with an anchor) is read as the streamed ones are.
    kept_read = read

    def __iter__(self) -> Iterator:
        if self.spool is None:
            return
        self.spool.seek(0)
        for _ in range(self.count):
            yield pickle.load(self.spool)  # noqa: S301 -- written by this process, just now

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()

    def index(self, spec, index: int, reader: Reader) -> None:
        raise NotImplementedError


class Recommendations(_List):
    def __init__(self, path: str, build):
        super().__init__(path, "recommendations", RECOMMENDATION_KEYS, "recommendations", build)
        self.codes: dict[str, int] = {}  # code → its first place
        self.topics: set[str] = set()  # the topics the recommendations name

    def index(self, spec: RecommendationSpec, index: int, reader: Reader) -> None:
        self.topics.update(spec.topics)
        if spec.translations:
            self.translated += 1
        where = spec.at.get("code", spec.at[""])
        first = self.codes.get(spec.code)
        if first is None:
            self.codes[spec.code] = _first(where.line, index)
            return
        reader.problems.add(
            where,
            f"{quoted(spec.code)} is used twice in this file (first at line {_line(first)}, "
            f"recommendations[{_index(first)}].code); recommendation codes must be unique",
        )


class Evaluations(_List):
    def __init__(self, path: str, build):
        super().__init__(path, "evaluations", EVALUATION_KEYS, "evaluations", build)
        self.keys_seen: dict[bytes, int] = {}  # a digest of each key → its first place
        self.evaluators: set[str] = set()  # the evaluators and sources the items name
        self.sources: set[str] = set()

    def index(self, spec: EvaluationSpec, index: int, reader: Reader) -> None:
        self.evaluators.add(spec.evaluator)
        self.sources.update(item.source for item in spec.evidence)
        if spec.publication:
            self.sources.add(spec.publication)
        if spec.translations or any(item.translations for item in spec.evidence):
            self.translated += 1
        digest = hashlib.blake2b(
            f"{spec.recommendation}\x1f{spec.evaluator}\x1f{spec.as_of}".encode(), digest_size=16
        ).digest()
        where = spec.at[""]
        first = self.keys_seen.get(digest)
        if first is None:
            self.keys_seen[digest] = _first(where.line, index)
            return
        reader.problems.add(
            where,
            f"the evaluation of {spec.recommendation} by {spec.evaluator} as of {spec.as_of} "
            f"is used twice in this file (first at line {_line(first)}, "
            f"evaluations[{_index(first)}]); evaluations (recommendation, evaluator, as_of) "
            f"must be unique",
        )
