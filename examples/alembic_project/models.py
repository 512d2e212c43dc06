"""The original service's SQLAlchemy models, as the Alembic revisions left them.

The Event model: uuid1 ids, the raw event and its processing results as JSON, and when it was
created and last updated (written in UTC by the application).
"""
import uuid

from sqlalchemy import CHAR, JSON, Column, DateTime, Index, String, func  # noqa: F401
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Event(Base):
    __tablename__ = "events"

    id = Column(UUID(as_uuid=True).with_variant(CHAR(36), "sqlite"), primary_key=True,
                default=uuid.uuid1)
    data = Column(JSON, nullable=False)     # Raw event data
    task_context = Column(JSON)             # Processing results
    created_at = Column(DateTime, server_default=func.now(), nullable=False)
    updated_at = Column(DateTime, server_default=func.now(), nullable=False)

    __table_args__ = (Index("ix_events_created_at", "created_at"),)
