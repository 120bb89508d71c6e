"""The scorecard interchange format: one human-editable YAML file per report.

The format is described in docs/interchange-format.md. Callers go through
`tracker.services.import_scorecard` and `tracker.services.export_scorecard`.

    yamlread  YAML → nodes that remember file and line; typed readers
    specs     what a file holds, as plain data: the sections, their keys, the specs
    parse     one file → specs, with every problem the file has on its own
    snapshot  the database rows an import reads or may change, and the plan pairing them
              with the files' merged definitions
    checks    the files against each other and the database: shared definitions,
              reports, areas, topics, recommendations, links, sources
    evaluation_checks  the same for evaluations and editions (grades, dates, what
              publishing needs, what a published edition froze)
    write     the upserts, in one transaction, writing only what differs
    importing the order of it all: read all, check all, write all (or nothing)
    export    a report → YAML, deterministically
"""

from tracker.interchange.export import export_report
from tracker.interchange.importing import (
    ImportConflict,
    ImportResult,
    ScorecardFileError,
    import_files,
)
from tracker.interchange.specs import FORMAT
from tracker.interchange.write import KINDS, Counts, Progress
from tracker.interchange.yamlread import Problem, Where

__all__ = [
    "FORMAT",
    "KINDS",
    "Counts",
    "ImportConflict",
    "ImportResult",
    "Problem",
    "Progress",
    "ScorecardFileError",
    "Where",
    "export_report",
    "import_files",
]
