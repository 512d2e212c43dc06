"""Prints the CREATE statements of the SQLAlchemy models, for retort's autogenerate.

retort.toml:   [models]
               command = "python3 dump_models.py"

retort runs this in the project's directory with RETORT_DIALECT set to the dialect of the
database it compares (postgresql or sqlite), loads the SQL into a scratch database and compares
that with the real one: `retort check`, `retort revision --autogenerate -m "..."`.
"""
import os
import sys

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from models import Base

DIALECTS = {"postgresql": postgresql.dialect(), "sqlite": sqlite.dialect()}

name = os.environ.get("RETORT_DIALECT", "postgresql")
if name not in DIALECTS:
    sys.exit(f"dump_models.py: unknown RETORT_DIALECT {name!r} (expected postgresql or sqlite)")
dialect = DIALECTS[name]
for table in Base.metadata.sorted_tables:
    print(f"{str(CreateTable(table).compile(dialect=dialect)).strip()};\n")
    for index in sorted(table.indexes, key=lambda i: i.name):
        print(f"{CreateIndex(index).compile(dialect=dialect)};\n")
