"""Reads whose SQL the ORM compiles once per database, then runs with new arguments.

Building and compiling a QuerySet costs more CPU than running a small indexed query: for
the API's busiest reads, several times more (bench/README.md). A read of fixed shape, the
same SQL every time but for a few values, needs compiling only once:

    def _timeline(*, recommendation: int) -> QuerySet:
        return Evaluation.objects.filter(recommendation_id=recommendation).values_list("id")

    timeline = Prepared(Evaluation, _timeline)
    rows = timeline.rows(recommendation=12)

On PostgreSQL the statement is also prepared on the server, once per connection: planning
a join of six tables took several times as long as running it. (`execute_prepared` does
the same for any fixed SQL.)

`build` is called once per database with placeholder arguments, and must return a
`values_list()` QuerySet in which each argument reaches the SQL as a parameter, unchanged
but for the ORM's usual adaptation (an id, a string, a date or time compared to a column;
not a list). The rows come back as tuples, through the ORM's own converters (dates on
SQLite, for one).

An argument annotated `Limit` ends a slice (`queryset[:size]`). The ORM writes a slice
into the SQL, and the planner needs its value (how many rows are wanted) to choose well:
as a parameter, a join over a page was planned as a join over the whole table. So each
value gets a statement of its own, compiled and prepared on first use (so keep the values
few: the API's page sizes are at most 200).

An argument annotated `Ids[n]` is a list of up to n ids for `__in`. It always reaches the
SQL as n parameters (the list's first id repeated to fill them), so a list of any length
runs the same statement.
"""

import datetime
import functools
import inspect
import itertools
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.backends.utils import CursorWrapper
from django.db.models import Model, QuerySet

_numbers = itertools.count(1)


class Limit(int):
    """The annotation of a `Prepared` argument that ends a slice: `queryset[:size]`."""


class Ids(tuple):
    """The annotation `Ids[n]` of a `Prepared` argument: up to n ids, for `__in`."""

    most = 0

    def __class_getitem__(cls, most: int) -> type["Ids"]:
        return _ids_of(most)


@functools.cache
def _ids_of(most: int) -> type[Ids]:
    if not 0 < most < 1000:  # (their placeholders are numbered in thousands)
        raise ValueError(most)
    return type(f"Ids{most}", (Ids,), {"most": most})


# PostgreSQL connections (the driver's, weakly: a new connection prepares again) and the
# statements prepared on each, least recently run first.
_PREPARED_ON: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Each prepared statement holds its plan in the connection's memory, and the shapes a
# client can ask for are many (the recommendation list's filters, the feed's page sizes):
# past this many on one connection, the least recently run is forgotten.
MOST_PREPARED = 256


def execute_prepared(cursor: CursorWrapper, name: str, sql: str, params: Sequence[Any]) -> None:
    """Run `sql` (with the ORM's %s placeholders) as the prepared statement `name` on
    PostgreSQL, preparing it on first use on this connection; elsewhere, just run it."""
    connection = cursor.db
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    prepared = _PREPARED_ON.get(connection.connection)
    if prepared is None:
        # Plan each statement once, as PREPARE is meant to here. By default PostgreSQL plans
        # again on every run for as long as a plan for the values at hand looks cheaper
        # than the generic one; for the change feed it always did (its guess of the rows
        # after `updated_at > $1` is worse than a real value's), planning in 4 ms a query
        # that runs in 1. Only statements prepared here are affected: psycopg2 sends every
        # other query with its values written in.
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        prepared = _PREPARED_ON[connection.connection] = {}
    if name in prepared:
        prepared[name] = prepared.pop(name)  # now the most recently run
    else:
        while len(prepared) >= MOST_PREPARED:
            oldest = next(iter(prepared))
            cursor.execute(f"DEALLOCATE {oldest}")
            del prepared[oldest]
        # %s become $1, $2, ... (and %% a plain %); PostgreSQL infers each one's type.
        parts = sql.replace("%%", "\x00").split("%s")
        numbered = "".join(
            part + (f"${index}" if index < len(parts) else "")
            for index, part in enumerate(parts, start=1)
        ).replace("\x00", "%")
        cursor.execute(f"PREPARE {name} AS {numbered}")
        prepared[name] = True
    if params:
        cursor.execute(f"EXECUTE {name}({', '.join('%s' for _ in params)})", params)
    else:
        cursor.execute(f"EXECUTE {name}")


@dataclass(frozen=True)
class _Plan:
    name: str
    sql: str
    params: tuple
    # (position in params, argument name, index in an `Ids` argument or None)
    slots: tuple[tuple[int, str, int | None], ...]
    converters: tuple[tuple[int, tuple, Any], ...]  # (column, functions, expression)


def _placeholder(index: int, kind: type) -> Any:
    # Values no real query uses, so each can be found among the compiled parameters.
    if kind is datetime.datetime:
        return datetime.datetime(1111, 1, 1, 1, 1, 1, 100 + index, tzinfo=datetime.UTC)
    if kind is datetime.date:
        return datetime.date(1111, 1, 1 + index)
    if kind is str:
        return f"\x1fprepared-argument-{index}\x1f"
    if issubclass(kind, Ids):
        return [-(10**15) - 1000 * index - item for item in range(kind.most)]
    return -(10**15) - 1000 * index


def _filled(ids: Sequence[int], most: int) -> Sequence[int]:
    if not 0 < len(ids) <= most:
        raise ValueError(f"Between 1 and {most} ids, not {len(ids)}")
    return [*ids, *[ids[0]] * (most - len(ids))]


class Prepared:
    def __init__(self, model: type[Model], build: Callable[..., QuerySet]):
        self.model = model
        self.build = build
        signature = inspect.signature(build)
        # Each argument's annotation says what placeholder it takes (int by default).
        self.kinds = {
            name: (parameter.annotation if isinstance(parameter.annotation, type) else int)
            for name, parameter in signature.parameters.items()
        }
        # By database and the values of the `Limit` arguments.
        self._plans: dict[tuple, _Plan] = {}
        self.name = f"scorecard_prepared_{next(_numbers)}"

    def _adapt(self, connection, kind: type, value: Any) -> Any:
        # What the ORM does to a value of this kind before it becomes a parameter.
        if value is None:
            return None
        if kind is datetime.datetime:
            return connection.ops.adapt_datetimefield_value(value)
        if kind is datetime.date:
            return connection.ops.adapt_datefield_value(value)
        return value

    def _plan(self, connection, limits: dict[str, int]) -> _Plan:
        placeholders = {
            name: _placeholder(index, kind)
            for index, (name, kind) in enumerate(self.kinds.items())
            if kind is not Limit
        }
        queryset = self.build(**placeholders, **limits)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        wanted = {}
        for name, value in placeholders.items():
            if issubclass(self.kinds[name], Ids):
                wanted.update({item: (name, index) for index, item in enumerate(value)})
            else:
                wanted[self._adapt(connection, self.kinds[name], value)] = (name, None)
        slots = tuple(
            (position, *wanted[p])
            for position, p in enumerate(params)
            if isinstance(p, (int, str, datetime.date)) and p in wanted
        )
        missing = set(wanted.values()) - {(name, index) for _, name, index in slots}
        if missing:
            names = sorted({name for name, _ in missing})
            raise ValueError(f"Arguments {names} do not reach the SQL as parameters")
        expressions = [column[0] for column in compiler.select]
        converters = tuple(
            (index, tuple(functions), expression)
            for index, (functions, expression) in compiler.get_converters(expressions).items()
        )
        name = "_".join([self.name, *(str(int(value)) for value in limits.values())])
        return _Plan(name, sql, tuple(params), slots, converters)

    def rows(self, **arguments: Any) -> list[tuple]:
        connection = connections[router.db_for_read(self.model)]
        limits = {name: arguments[name] for name, kind in self.kinds.items() if kind is Limit}
        key = (connection.alias, *limits.values())
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(connection, limits)
        filled = {
            name: _filled(arguments[name], kind.most)
            for name, kind in self.kinds.items()
            if issubclass(kind, Ids)
        }
        params = list(plan.params)
        for position, name, index in plan.slots:
            if index is None:
                params[position] = self._adapt(connection, self.kinds[name], arguments[name])
            else:
                params[position] = filled[name][index]
        with connection.cursor() as cursor:
            execute_prepared(cursor, plan.name, plan.sql, params)
            rows = cursor.fetchall()
        if not plan.converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for index, functions, expression in plan.converters:
                value = row[index]
                for function in functions:
                    value = function(value, expression, connection)
                row[index] = value
            converted.append(tuple(row))
        return converted
