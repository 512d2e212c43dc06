"""retort import alembic: renders every revision of an Alembic project as SQL, through Alembic.

Usage: PYTHON alembic_export.py ALEMBIC_INI DIALECT[,DIALECT...]|auto

auto: the dialect of the project's sqlalchemy.url, else postgresql and sqlite.

Prints one JSON document on stdout (see render_project); the C++ side (src/cli/import_command.cpp)
turns it into retort revision files. Diagnostics go to stderr; exit code 2 when Alembic or
SQLAlchemy cannot be imported, 1 when the project cannot be loaded.

How the SQL is obtained, for each dialect:
- Offline (Alembic's --sql mode): the project's env.py runs as `alembic upgrade heads --sql` would
  run it, except that its context.configure() is given the dialect asked for (a URL without a
  host: nothing connects), literal binds, and no BEGIN/COMMIT. Every revision's upgrade() (then,
  in a second run from the heads to base, every downgrade()) is wrapped so that the statements it
  emits are collected for that revision alone: the version-table statements Alembic emits between
  revisions never reach a revision's SQL.
- Live, SQLite only, for the revisions that failed offline (batch_alter_table must reflect the
  table it copies): the whole graph runs against a scratch SQLite file (env.py is not run, so the
  project's own database is never touched); the statements a failed revision sends to the
  database are captured with a before_cursor_execute listener, their parameters inlined.
  Reflection reads (PRAGMA, sqlite_master) are dropped; a revision that reads rows of its own
  tables is reported instead, since its SQL would depend on the data.
A revision whose function raised in both (it reads the database: op.get_bind() results, an
inspector, rows) is reported with the error, for the C++ side to write as a file to complete.
"""
import contextlib
import inspect
import io
import json
import os
import re
import sys
import tempfile
import traceback
import warnings

sys.dont_write_bytecode = True
warnings.simplefilter("ignore")

try:
    import sqlalchemy as sa
    from alembic import __version__ as alembic_version
    from alembic.config import Config
    from alembic.ddl.impl import DefaultImpl
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import to_tuple
except ImportError as error:
    sys.stderr.write(
        "%s (%s %s) cannot import Alembic and SQLAlchemy: %s\n"
        % (sys.executable, sys.implementation.name, sys.version.split()[0], error))
    sys.exit(2)


# What the wrapped revision functions are collecting into: a dict with "statements" (list of
# str), "error" (str or None), "non_transactional" (bool), "reads" (list of str), or None
# between revisions.
_bucket = None


def _collecting_static_output(original):
    def static_output(self, text):
        if _bucket is not None:
            _bucket["statements"].append(text)
        else:
            original(self, text)
    return static_output


def _marking_autocommit_block(original):
    @contextlib.contextmanager
    def autocommit_block(self):
        if _bucket is not None:
            _bucket["non_transactional"] = True
        with original(self):
            yield
    return autocommit_block


def _noting_bind(original):
    def bind(self):
        if _bucket is not None:
            _bucket["used_bind"] = True
        return original.fget(self)
    return property(bind)


DefaultImpl.static_output = _collecting_static_output(DefaultImpl.static_output)
DefaultImpl.bind = _noting_bind(DefaultImpl.bind)
MigrationContext.autocommit_block = _marking_autocommit_block(MigrationContext.autocommit_block)


def _wrap(function, buckets, key):
    """The revision function, collecting what it emits into buckets[key]."""
    def run(*args, **kw):
        global _bucket
        bucket = {"statements": [], "error": None, "non_transactional": False, "reads": [],
                  "used_bind": False}
        buckets[key] = bucket
        _bucket = bucket
        try:
            function(*args, **kw)
        except Exception as error:  # the revision cannot render here: say why, go on
            bucket["error"] = "%s: %s" % (type(error).__name__, str(error).strip())
            bucket["traceback"] = traceback.format_exc(limit=-3)
        finally:
            _bucket = None
    return run


def _install_wrappers(script, buckets, mode):
    for rev in script.walk_revisions():
        module = rev.module
        for direction in ("upgrade", "downgrade"):
            original = getattr(module, "_retort_original_" + direction, None)
            if original is None:
                original = getattr(module, direction)
                setattr(module, "_retort_original_" + direction, original)
            setattr(module, direction, _wrap(original, buckets, (mode, rev.revision, direction)))


def _forcing_configure(dialect, captured):
    """EnvironmentContext.configure for offline runs: the dialect asked for, literal binds,
    no BEGIN/COMMIT; what env.py chose otherwise (version table, ...) stays."""
    original = EnvironmentContext.configure

    def configure(self, *args, **kw):
        for key in ("connection", "url", "dialect_name", "dialect_opts", "output_buffer"):
            kw.pop(key, None)
        captured.update({k: v for k, v in kw.items()
                         if k in ("version_table", "version_table_schema", "version_table_pk")})
        kw.update(dialect_name=dialect, literal_binds=True, transactional_ddl=False,
                  output_buffer=io.StringIO())
        return original(self, *args, **kw)
    return configure


def _run_offline(config, script, dialect, starting_rev, destination_rev, upgrade, captured):
    def fn(rev, context):
        if upgrade:
            return script._upgrade_revs(destination_rev, rev)
        return script._downgrade_revs(destination_rev, rev)

    original = EnvironmentContext.configure
    EnvironmentContext.configure = _forcing_configure(dialect, captured)
    try:
        with EnvironmentContext(config, script, fn=fn, as_sql=True, starting_rev=starting_rev,
                                destination_rev=destination_rev, tag=None):
            script.run_env()
    finally:
        EnvironmentContext.configure = original


_READ_FROM_CATALOG = re.compile(r"sqlite_master|sqlite_temp_master|sqlite_schema", re.I)


def _sql_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "X'%s'" % bytes(value).hex()
    return "'%s'" % str(value).replace("'", "''")


def _inline_parameters(statement, parameters):
    """The statement with its qmark parameters as SQL literals (outside quotes only)."""
    if not parameters:
        return statement
    if isinstance(parameters, dict):
        return re.sub(r":(\w+)", lambda m: _sql_literal(parameters[m.group(1)]), statement)
    values = iter(parameters)
    out, quote = [], None
    for char in statement:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"`[":
            quote = "]" if char == "[" else char
        elif char == "?":
            out.append(_sql_literal(next(values)))
            continue
        out.append(char)
    return "".join(out)


def _capture_listener(conn, cursor, statement, parameters, context, executemany):
    if _bucket is None:
        return
    text = statement.strip()
    head = text.split(None, 1)[0].upper() if text else ""
    if head == "PRAGMA" and "=" not in text:
        return  # reflection
    if head in ("SELECT", "WITH"):
        if not _READ_FROM_CATALOG.search(text):
            _bucket["reads"].append(text)
        return
    sets = parameters if executemany else [parameters]
    for one in sets:
        rendered = _inline_parameters(text, one).replace("\t", "    ").rstrip(";")
        _bucket["statements"].append(rendered + ";")


def _run_live_sqlite(config, script):
    """Upgrades a scratch SQLite database to the heads and back to base, capturing."""
    directory = tempfile.mkdtemp(prefix="retort-import-")
    path = os.path.join(directory, "scratch.db")
    engine = sa.create_engine("sqlite:///" + path)
    sa.event.listen(engine, "before_cursor_execute", _capture_listener)
    try:
        for upgrade in (True, False):
            def fn(rev, context, upgrade=upgrade):
                if upgrade:
                    return script._upgrade_revs("heads", rev)
                return script._downgrade_revs("base", rev)
            with engine.connect() as connection:
                with EnvironmentContext(config, script, fn=fn) as env:
                    env.configure(connection=connection, transaction_per_migration=True)
                    with env.begin_transaction():
                        env.run_migrations()
    finally:
        engine.dispose()
        with contextlib.suppress(OSError):
            os.remove(path)
            os.rmdir(directory)


def _function_source(module, direction):
    function = getattr(module, "_retort_original_" + direction, None) or getattr(module, direction)
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def _create_date(longdoc):
    match = re.search(r"^Create Date:\s*(.+)$", longdoc, re.M)
    return match.group(1).strip() if match else ""


def _describe(rev, dialects, offline, live):
    module = rev.module
    sql = {}
    for dialect in dialects:
        sections = {}
        for direction in ("upgrade", "downgrade"):
            bucket = offline.get((dialect, rev.revision, direction))
            entry = {"statements": [], "error": None, "non_transactional": False,
                     "rendered": "offline"}
            if bucket is None:
                entry["error"] = "Alembic did not run this revision's %s()" % direction
            elif bucket["error"] is None:
                entry["statements"] = bucket["statements"]
                entry["non_transactional"] = bucket["non_transactional"]
            else:
                entry["error"] = "offline: " + bucket["error"]
                if bucket["used_bind"]:
                    entry["error"] = ("offline: it reads the database through op.get_bind() ("
                                      + bucket["error"] + ")")
                live_bucket = live.get(("live", rev.revision, direction)) if dialect == "sqlite" else None
                if live_bucket is not None:
                    entry["rendered"] = "live"
                    if live_bucket["error"] is not None:
                        entry["error"] += "; on a scratch SQLite database: " + live_bucket["error"]
                    elif live_bucket["reads"]:
                        entry["error"] += ("; on a scratch SQLite database it reads rows (%s), so "
                                           "its SQL depends on the data"
                                           % live_bucket["reads"][0][:200])
                    else:
                        entry["error"] = None
                        entry["statements"] = live_bucket["statements"]
                        entry["non_transactional"] = live_bucket["non_transactional"]
            if entry["error"] is not None:
                entry["source"] = _function_source(module, direction)
            sections[direction] = entry
        sql[dialect] = sections
    longdoc = rev.longdoc
    return {
        "revision": rev.revision,
        "down_revisions": list(to_tuple(rev.down_revision, default=())),
        "branch_labels": list(rev._orig_branch_labels),
        "depends_on": list(to_tuple(getattr(module, "depends_on", None), default=())),
        "message": rev.doc,
        "create_date": _create_date(longdoc),
        "path": rev.path,
        "sql": sql,
    }


def _project_dialects(url):
    """The dialect of the project's sqlalchemy.url (any driver spelling), else both."""
    try:
        name = sa.engine.make_url(url).get_backend_name()
    except Exception:
        return ["postgresql", "sqlite"]
    return [name] if name in ("postgresql", "sqlite") else ["postgresql", "sqlite"]


def render_project(ini, dialects):
    config = Config(ini)
    try:
        project_url = config.get_main_option("sqlalchemy.url")
    except Exception:  # an interpolation that does not resolve
        project_url = None
    if dialects == ["auto"]:
        dialects = _project_dialects(project_url)
    config.set_main_option("sqlalchemy.url", dialects[0] + "://retort-import-offline.invalid/x")
    script = ScriptDirectory.from_config(config)
    ScriptDirectory.from_config = classmethod(lambda cls, cfg: script)  # one load for all runs
    revisions = list(script.walk_revisions())
    revisions.reverse()  # base first
    heads = tuple(script.get_heads())
    captured = {}
    offline = {}
    for dialect in dialects:
        buckets = {}
        _install_wrappers(script, buckets, dialect)
        _run_offline(config, script, dialect, None, "heads", True, captured)
        if heads:
            _run_offline(config, script, dialect, heads, "base", False, captured)
        offline.update(buckets)
    live = {}
    if "sqlite" in dialects and any(
            b["error"] for (mode, _, _), b in offline.items() if mode == "sqlite"):
        _install_wrappers(script, live, "live")
        _run_live_sqlite(config, script)
    return {
        "alembic": alembic_version,
        "sqlalchemy": sa.__version__,
        "python": sys.executable,
        "url": project_url,
        "dialects": dialects,
        "script_location": script.dir,
        "version_table": captured.get("version_table", "alembic_version"),
        "version_table_schema": captured.get("version_table_schema"),
        "heads": list(heads),
        "revisions": [_describe(rev, dialects, offline, live) for rev in revisions],
    }


def _where_in_project(error, project_dir):
    """'FILE, line N' of the project's own file the error came from (env.py, a revision), or
    None when it came from elsewhere."""
    if isinstance(error, SyntaxError) and error.filename:
        return "%s, line %s" % (error.filename, error.lineno)
    where = None
    for frame in traceback.extract_tb(error.__traceback__):
        if os.path.abspath(frame.filename).startswith(project_dir + os.sep):
            where = "%s, line %s" % (frame.filename, frame.lineno)
    return where


def _failure_summary(error, project_dir):
    """One line saying what failed and where, then what to do about it."""
    where = _where_in_project(error, project_dir)
    text = "%s: %s" % (type(error).__name__, str(error).strip())
    if where:
        text = "%s: %s" % (where, text)
    if isinstance(error, ImportError):
        text += ("\n(the project imports a module this interpreter (%s) does not have: pass "
                 "--python with the interpreter of the project's virtualenv)" % sys.executable)
    return text


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: alembic_export.py ALEMBIC_INI DIALECT[,DIALECT...]\n")
        return 64
    ini, dialects = sys.argv[1], sys.argv[2].split(",")
    try:
        document = render_project(ini, dialects)
    except Exception as error:
        project_dir = os.path.dirname(os.path.abspath(ini))
        sys.stderr.write("%s\n%s" % (_failure_summary(error, project_dir),
                                     traceback.format_exc(limit=-4)))
        return 1
    json.dump(document, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
