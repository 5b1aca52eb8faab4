"""A throwaway PostgreSQL server on 127.0.0.1 and the real data sets published to it.

The server is created with ``initdb`` in a temporary folder and started with
``pg_ctl`` on a free port, listening on 127.0.0.1 only (its Unix socket in the same
folder); it is stopped and removed at the end of the session. PostgreSQL refuses to run
as root, so under root the folder is handed to the ``postgres`` account (else
``nobody``) and the server runs as that account through ``runuser``.

Each project is imported and cleaned once into a staging file and published to its
own schema; the DuckDB side of every comparison reads that same staging file, so both
engines see the same cleaned rows.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from cxlens.pipeline import import_and_clean
from cxlens.settings import load_settings
from cxlens.store import Warehouse

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_DATA = ROOT / "examples" / "public-data" / "cxlens.toml"
DATASETS = ROOT.parent / "shared" / "datasets"
USER, PASSWORD, DATABASE = "cxlens", "s3cret-pw", "cxlens_test"
SERVER_SETTINGS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=20"
)


def _binary(name: str) -> str:
    """``initdb`` / ``pg_ctl`` on PATH, else in Debian's versioned folder."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    pytest.skip(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    raise AssertionError  # unreachable: skip raises


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(folder: Path) -> list[str]:
    """The command prefix that runs the server's tools as an unprivileged account."""
    if os.geteuid() != 0:
        return []
    for account in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(account)
        except KeyError:
            continue
        for path in (folder, *folder.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return ["runuser", "-u", account, "--"]
    pytest.skip("running as root with no postgres or nobody account to run PostgreSQL as")
    raise AssertionError


@pytest.fixture(scope="session")
def server():
    """``postgresql://`` URL of a fresh server on 127.0.0.1 (user, password and database)."""
    pytest.importorskip("psycopg")
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    folder = Path(tempfile.mkdtemp(prefix="cxlens-pg-"))
    (folder / "password").write_text(PASSWORD + "\n")
    prefix = _as_server_user(folder)
    data, port = folder / "data", _free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", USER, "--auth=scram-sha-256",
         f"--pwfile={folder / 'password'}", "-E", "UTF8", "--no-locale", "--no-sync"],
        check=True, capture_output=True, cwd=folder,
    )  # fmt: skip
    options = f"{SERVER_SETTINGS} -p {port} -k {folder}"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-o", options,
         "-w", "start"],
        check=True, capture_output=True, cwd=folder,
    )  # fmt: skip
    try:
        import psycopg

        url = f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}"
        with psycopg.connect(f"{url}/postgres", autocommit=True) as con:
            con.execute(f"CREATE DATABASE {DATABASE}")
        yield f"{url}/{DATABASE}"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False, capture_output=True, cwd=folder,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def load(settings, url: str, staging: Path, schema: str) -> Warehouse:
    """Import every source of ``settings`` into a Postgres warehouse, clean and publish."""
    warehouse = Warehouse(url, staging=staging, schema=schema)
    import_and_clean(settings, warehouse)
    return warehouse


@pytest.fixture(scope="session")
def projects(tmp_path_factory, server):
    """name -> (settings, Postgres warehouse, DuckDB warehouse over the same staging file).

    The sample project goes to the default schema (``cxlens``), so that a bare
    ``--db postgres://…`` finds it.
    """
    from cxlens.sample import write_sample_project

    loaded = {}
    if DATASETS.is_dir():
        settings = load_settings(PUBLIC_DATA)
        folder = tmp_path_factory.mktemp("public-data")
        warehouse = load(settings, server, folder / "staging.duckdb", "public_data")
        loaded["public-data"] = (settings, warehouse, Warehouse(warehouse.path))
    folder = tmp_path_factory.mktemp("sample")
    settings = load_settings(write_sample_project(folder / "project", seed=7))
    warehouse = load(settings, server, folder / "staging.duckdb", "cxlens")
    loaded["sample"] = (settings, warehouse, Warehouse(warehouse.path))
    return loaded
