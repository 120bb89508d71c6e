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
    def __init__(self, path: str, name: str, keys: tuple, what: str, build):
        super().__init__(path, name, keys, what, build)
        self.kept: list | None = None  # a list composed whole (one with an anchor)

    def read(self, reader: Reader, index: int, node, unreadable: set):
        """The first reading of an item: its problems reported, its spec indexed."""
        spec = self.item(reader, index, node, unreadable)
        if spec is not None:
            self.count += 1
            self.index(spec, index, reader)
        return spec

    def kept_read(self, reader: Reader, index: int, node, unreadable: set) -> None:
        spec = self.read(reader, index, node, unreadable)
        if self.kept is None:
            self.kept = []
        if spec is not None:
            self.kept.append(spec)

    def __iter__(self):
        if self.kept is not None:
            return iter(self.kept)
        return super().__iter__()

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
