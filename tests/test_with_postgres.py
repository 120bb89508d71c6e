"""bin/with-postgres, which `make test` and `make bench` start PostgreSQL with, works from a
clone in any directory: here one that only its owner may enter (for root: a clone in root's
home, which the postgres user the server runs as cannot reach). A failure is one line."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where root keeps the clusters postgres cannot reach where they were asked for.
KEPT = Path("/var/tmp/scorecard-postgres")  # noqa: S108 -- the script's fixed place

pytestmark = pytest.mark.skipif(
    not (
        os.environ.get("PG_BIN")
        or shutil.which("initdb")
        or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    ),
    reason="PostgreSQL server binaries are not installed",
)

# The child sees the server through DATABASE_URL; it writes a row unless told to read.
CHILD = """
import os, sys, psycopg2
connection = psycopg2.connect(os.environ["DATABASE_URL"])
connection.autocommit = True
cursor = connection.cursor()
if sys.argv[1] == "write":
    cursor.execute("CREATE TABLE kept (word text)")
    cursor.execute("INSERT INTO kept VALUES ('still here')")
    print("wrote")
else:
    cursor.execute("SELECT word FROM kept")
    print(cursor.fetchone()[0])
"""


@pytest.fixture
def private_clone(tmp_path):
    """The script in a clone inside a directory of mode 700; the kept cluster removed after."""
    private = tmp_path / "private"
    (private / "clone" / "bin").mkdir(parents=True)
    private.chmod(0o700)
    clone = private / "clone"
    shutil.copy2(ROOT / "bin" / "with-postgres", clone / "bin" / "with-postgres")
    yield clone
    link = clone / "bench" / ".cache" / "pgdata"
    if link.is_symlink() and Path(os.readlink(link)).parent == KEPT:
        shutil.rmtree(os.readlink(link), ignore_errors=True)


def with_postgres(clone: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCORECARD_PG_")}
    return subprocess.run(
        [sys.executable, "bin/with-postgres", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_throwaway_server_from_a_private_clone(private_clone):
    """make test's way: a temporary cluster."""
    result = with_postgres(private_clone, "--", sys.executable, "-c", CHILD, "write")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[-1] == "wrote"


def test_a_kept_cluster_in_a_private_clone_survives_between_runs(private_clone):
    """make bench's way: --data-dir inside the clone, the data there on the next run."""
    data_dir = "bench/.cache/pgdata"
    kept = ("--data-dir", data_dir, "--", sys.executable, "-c", CHILD)
    first = with_postgres(private_clone, *kept, "write")
    assert (first.returncode, first.stderr) == (0, "")
    second = with_postgres(private_clone, *kept, "read")
    assert (second.returncode, second.stderr) == (0, "")
    assert second.stdout.splitlines()[-1] == "still here"
    assert (private_clone / data_dir / "PG_VERSION").is_file()


def test_the_command_s_exit_status_is_passed_on(private_clone):
    result = with_postgres(private_clone, "--", sys.executable, "-c", "raise SystemExit(7)")
    assert result.returncode == 7


def test_a_data_dir_that_cannot_be_made_is_one_clear_line(private_clone):
    (private_clone / "bench").write_text("a file where the folder should be")
    result = with_postgres(private_clone, "--data-dir", "bench/.cache/pgdata", "--", "true")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"with-postgres: cannot use --data-dir bench/.cache/pgdata: "
        f"Not a directory: {private_clone / 'bench' / '.cache'}"
    ]
