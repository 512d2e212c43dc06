#!/usr/bin/python3
"""Differential oracle on real databases: runs sequences of Alembic 1.8.1 commands.

Usage: alembic_db_oracle.py REQUEST.json  (prints one JSON document on stdout)

REQUEST.json:
  {"projects": [{"project": DIR (holds alembic.ini and a real env.py),
                 "url": a SQLAlchemy URL, "schema": PostgreSQL schema or null,
                 "commands": [COMMAND, ...]}, ...]}
  COMMAND: {"cmd": "upgrade"|"downgrade"|"stamp", "targets": [str, ...], "purge": bool}

Answer: {"projects": [{"load": null, or the error loading the whole graph raises,
                        "results": [RESULT, ...], "stopped": null or why the results end}]}

Each project's commands run in order through alembic.command (upgrade, downgrade, stamp),
which executes the project's env.py against the database: SQLAlchemy's own engine and
transactions, Alembic's own version table. The revisions' upgrade()/downgrade() insert a row
into applied_log, which this script creates first. Around every command the script reads, on
a connection of its own (autocommit, so it holds no locks or snapshots), a RESULT:

  {"read": the version rows as Alembic's SELECT returns them before the command (the order
           decides which head "-1" starts from),
   "error": {"kind", "message", "type"} (absent when the command succeeded),
   "ran": the applied_log rows the command added, [[rev, direction], ...] (the whole log
          when "log_intact" is false: the rows before the command did not stay as they were),
   "rows_before"/"rows": the version rows before/after, sorted (compared as sets)}

A command still running after RETORT_ORACLE_COMMAND_TIMEOUT seconds (default 20) is
interrupted and answered with the error kind "hang": Alembic 1.8.1's _topological_sort can
loop forever (seen for "upgrade label@head" on a graph with a down-revision cycle that
Alembic's loader does not detect).

A command that fails after changing the database (Alembic commits per migration on SQLite,
so a failure half-way keeps the steps before it) ends its sequence: the two databases no
longer start the next command from the same state. The answer says so in "stopped".

The determinism patches of alembic_oracle.py (file-name load order, ordered sets, the #1373
fix) apply here too: importing it installs them.
"""
import json
import os
import signal
import sys
import warnings

sys.dont_write_bytecode = True  # no __pycache__ in the source tree or the projects

import sqlalchemy as sa  # noqa: E402

import alembic_oracle  # noqa: E402  (installs the determinism patches)
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402

warnings.simplefilter("ignore")


# Every command would otherwise load the revision files again (ScriptDirectory.from_config
# builds a new directory each time); the files do not change during a run, so one load per
# project keeps the oracle's time in executing, not importing.
_scripts = {}
_from_config = ScriptDirectory.from_config.__func__


def _cached_from_config(cls, config):
    key = config.config_file_name
    if key not in _scripts:
        _scripts[key] = _from_config(cls, config)
    return _scripts[key]


ScriptDirectory.from_config = classmethod(_cached_from_config)


COMMAND_TIMEOUT = int(os.environ.get("RETORT_ORACLE_COMMAND_TIMEOUT", "20"))


class AlembicHang(Exception):
    pass


def _interrupt(signum, frame):
    raise AlembicHang("no answer after %d s" % COMMAND_TIMEOUT)


LOG_DDL = {
    "postgresql": "CREATE TABLE applied_log (id BIGSERIAL PRIMARY KEY, "
                  "rev TEXT NOT NULL, direction TEXT NOT NULL)",
    "sqlite": "CREATE TABLE applied_log (id INTEGER PRIMARY KEY AUTOINCREMENT, "
              "rev TEXT NOT NULL, direction TEXT NOT NULL)",
}


class Observer:
    """Reads the version table and applied_log of one database between commands."""

    def __init__(self, url, schema):
        args = {"options": "-csearch_path=" + schema} if schema else {}
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=args)
        self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.conn.execute(sa.text(LOG_DDL[self.engine.dialect.name]))

    def version_rows(self):
        if not sa.inspect(self.conn).has_table("alembic_version"):
            return []
        # The statement Alembic's get_current_heads() runs, so the order is the one it sees.
        return [r[0] for r in self.conn.execute(sa.text(
            "SELECT alembic_version.version_num FROM alembic_version"))]

    def log(self):
        return [[r[0], r[1]] for r in self.conn.execute(sa.text(
            "SELECT rev, direction FROM applied_log ORDER BY id"))]

    def close(self):
        self.conn.close()
        self.engine.dispose()


def make_config(request):
    config = Config(os.path.join(request["project"], "alembic.ini"))
    # ConfigParser interpolates '%': a percent-encoded password must be doubled.
    config.set_main_option("sqlalchemy.url", request["url"].replace("%", "%%"))
    config.set_main_option("retort_test.schema", request.get("schema") or "")
    return config


def run_command(config, cmd):
    targets = cmd["targets"]
    if cmd["cmd"] == "upgrade":
        command.upgrade(config, targets[0])
    elif cmd["cmd"] == "downgrade":
        command.downgrade(config, targets[0])
    else:
        command.stamp(config, targets, purge=cmd.get("purge", False))


def guarded(fn):
    """fn()'s error as {"error": ...} (kind "hang" when it never returns), else {}."""
    signal.alarm(COMMAND_TIMEOUT)
    try:
        fn()
        return {}
    except AlembicHang as exc:  # unwinds Alembic's transaction like any error
        return {"error": {"kind": "hang", "message": str(exc), "type": "AlembicHang"}}
    except Exception as exc:
        return alembic_oracle.error_json(exc)
    finally:
        signal.alarm(0)


def load_graph(config):
    """What loading the whole graph says, on a directory of its own: the commands load it
    lazily, and some (e.g. "downgrade -1" from an empty table) fail before they load it."""
    return guarded(lambda: alembic_oracle.describe_map(_from_config(ScriptDirectory, config)))


def run_sequence(config, observer, commands):
    results = []
    for index, cmd in enumerate(commands):
        read, log_before = observer.version_rows(), observer.log()
        result = {"read": read}
        result.update(guarded(lambda: run_command(config, cmd)))
        log_after = observer.log()
        intact = log_after[:len(log_before)] == log_before
        result["ran"] = log_after[len(log_before):] if intact else log_after
        result["log_intact"] = intact
        result["rows_before"] = sorted(read)
        result["rows"] = sorted(observer.version_rows())
        results.append(result)
        changed = result["ran"] or not intact or result["rows"] != result["rows_before"]
        if "error" in result and changed:
            return results, "command %d failed after changing the database" % index
    return results, None


def run_project(request):
    config = make_config(request)
    observer = Observer(request["url"], request.get("schema"))
    try:
        results, stopped = run_sequence(config, observer, request["commands"])
    finally:
        observer.close()
    return {"load": load_graph(config).get("error"), "results": results, "stopped": stopped}


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    signal.signal(signal.SIGALRM, _interrupt)
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing Alembic prints may corrupt the answer
    answer = {"projects": [run_project(p) for p in request["projects"]]}
    json.dump(answer, out)


if __name__ == "__main__":
    main()
