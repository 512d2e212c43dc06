"""The original stack's asynchronous path, as the seed's migrations module would run it: SQLAlchemy
1.4's asyncio engine on asyncpg (Debian's python3-sqlalchemy and python3-asyncpg), the seed's Event
model and GenericRepository.create (add, commit), TASKS concurrent asyncio tasks over a pool of POOL
connections, each storing events in a loop for SECONDS.

usage: /usr/bin/python3 async_anchor_sqlalchemy.py URL SCHEMA SECONDS [TASKS] [POOL] [SYNC_COMMIT]
  URL          postgresql://user:password@host:port/db (libpq form; asyncpg is put in)
  SCHEMA       the schema its events table is made in (dropped and recreated first)
  SYNC_COMMIT  the session's synchronous_commit (default: the server's)
Prints "create: N events in T s = R events/s" and checks that the table holds N rows."""
import asyncio, datetime, random, sys, time, uuid

from sqlalchemy import Column, DateTime, JSON, func, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import declarative_base, sessionmaker

Base = declarative_base()


class Event(Base):
    __tablename__ = "events"
    id = Column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid1)
    data = Column(JSON)
    task_context = Column(JSON)
    created_at = Column(DateTime, default=datetime.datetime.utcnow)
    updated_at = Column(DateTime, default=datetime.datetime.utcnow, onupdate=datetime.datetime.utcnow)


class GenericRepository:
    def __init__(self, session, model):
        self.session, self.model = session, model

    async def create(self, obj):
        self.session.add(obj)
        await self.session.commit()
        return obj


def payload(i):  # the reference payload (../shared/anchors/ingest/seed_repo.py)
    return {"type": "ticket.created", "source": "helpdesk", "ticket": {"id": i, "subject": f"Order {i} has not arrived",
            "body": "Hello, I ordered a blue kettle two weeks ago and it has still not arrived. " * 4,
            "customer": {"email": f"user{i}@example.com", "name": "Jane Doe", "tier": random.choice(["free", "pro"])},
            "tags": ["shipping", "delay"], "priority": i % 4}}


async def main():
    url, schema, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    tasks = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    pool = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    settings = {"search_path": schema}
    if len(sys.argv) > 6:
        settings["synchronous_commit"] = sys.argv[6]
    engine = create_async_engine("postgresql+asyncpg://" + url.split("://", 1)[1], pool_size=pool,
                                 max_overflow=0, connect_args={"server_settings": settings})
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await conn.run_sync(Base.metadata.create_all)
    Session = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    payloads = [payload(i) for i in range(4096)]
    # The pool's connections are opened before the clock starts, as pgbench's and retort's are.
    async def touch():
        async with Session() as session:
            await session.execute(text("SELECT 1"))

    await asyncio.gather(*[touch() for _ in range(pool)])
    stored = 0
    deadline = time.perf_counter() + seconds

    async def worker(k):
        nonlocal stored
        i = k
        async with Session() as session:
            repo = GenericRepository(session, Event)
            while time.perf_counter() < deadline:
                await repo.create(Event(data=payloads[i % 4096]))
                stored += 1
                i += tasks

    start = time.perf_counter()
    await asyncio.gather(*[worker(k) for k in range(tasks)])
    elapsed = time.perf_counter() - start
    async with Session() as session:
        in_table = (await session.execute(select(func.count()).select_from(Event))).scalar_one()
    await engine.dispose()
    if in_table != stored:
        sys.exit(f"counted {stored} events, the table holds {in_table}")
    print(f"create: {stored} events in {elapsed:.2f} s = {stored / elapsed:.0f} events/s")


asyncio.run(main())
