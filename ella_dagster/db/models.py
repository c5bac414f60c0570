"""The firm's data model (SQLAlchemy 2.x); the schema itself is created by Alembic migrations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class TaxCase(Base):
    __tablename__ = "tax_cases"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    tax_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), default="INTAKE")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ChecklistTemplate(Base):
    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("tax_type", "doc_type"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tax_type: Mapped[str] = mapped_column(String(32))
    doc_type: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(255))
    is_required: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class ChecklistItem(Base):
    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("case_id", "template_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("tax_cases.id"), index=True)
    template_id: Mapped[str] = mapped_column(ForeignKey("checklist_templates.id"))
    status: Mapped[str] = mapped_column(String(16), default="MISSING")  # MISSING -> HAS_DIGITAL -> VERIFIED
    expected_count: Mapped[int] = mapped_column(Integer, default=1)
    received_count: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)


class ImageGroup(Base):
    __tablename__ = "image_groups"
    __table_args__ = (UniqueConstraint("case_id", "group_key"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("tax_cases.id"), index=True)
    group_key: Mapped[str] = mapped_column(String(100))  # "sha256:<hex>" or "paper:<first document id>"
    doc_type: Mapped[str | None] = mapped_column(String(32))
    best_image_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


CONTENT_CLAIM = "duplicate_of_id IS NULL AND sha256 IS NOT NULL"


class RawImage(Base):
    __tablename__ = "raw_images"
    __table_args__ = (
        # A renamed key is one document's: the rename claims it by writing it here (migration 0004).
        # Raw keys (storage_key = original_key) are unique per upload already and stay out of the index.
        Index(
            "uq_raw_images_renamed_key",
            "storage_key",
            unique=True,
            sqlite_where=text("storage_key <> original_key"),
            postgresql_where=text("storage_key <> original_key"),
        ),
        # One original per case and content: the hash step claims the bytes by being the row that
        # is no duplicate (migration 0005); every other copy points at it.
        Index(
            "uq_raw_images_content",
            "case_id",
            "sha256",
            unique=True,
            sqlite_where=text(CONTENT_CLAIM),
            postgresql_where=text(CONTENT_CLAIM),
        ),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the document id = partition key
    case_id: Mapped[str] = mapped_column(ForeignKey("tax_cases.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(512))
    original_key: Mapped[str] = mapped_column(String(512))
    original_filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    phash: Mapped[str | None] = mapped_column(String(16))
    image_group_id: Mapped[str | None] = mapped_column(ForeignKey("image_groups.id"))
    duplicate_of_id: Mapped[str | None] = mapped_column(String(64))
    # A child of a scanned bundle (migration 0006): the upload it was split from and its pages there.
    parent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    page_start: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    # UPLOADED -> PROCESSING -> CLASSIFIED | UNCLASSIFIED | DUPLICATE -> LINKED; FAILED with error_message;
    # SPLIT: a bundle whose documents became child uploads (parent_id = this id)
    status: Mapped[str] = mapped_column(String(16), default="UPLOADED", index=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    classified_type: Mapped[str | None] = mapped_column(String(32))
    ai_confidence: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str | None] = mapped_column(String(16), index=True)
    route: Mapped[str | None] = mapped_column(String(16))
    tax_year: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    checklist_item_id: Mapped[str | None] = mapped_column(ForeignKey("checklist_items.id"))
    classified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Set when the pipeline is done with the document (whatever the outcome); NULL while in flight.
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Extraction(Base):
    """The latest extraction of a document, staged for the digital-doc transaction."""

    __tablename__ = "extractions"
    raw_image_id: Mapped[str] = mapped_column(ForeignKey("raw_images.id"), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # EXTRACTED | PARTIAL | FAILED
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    schema_version: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    page_count: Mapped[int] = mapped_column(Integer)
    page_confidences: Mapped[list[Any]] = mapped_column(JSON)
    # Each field's confidence from its validators (domain/field_confidence.py); no values, names only.
    field_confidences: Mapped[dict[str, float] | None] = mapped_column(JSON, nullable=True)
    validation_errors: Mapped[list[Any]] = mapped_column(JSON)
    engine: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DigitalDoc(Base):
    __tablename__ = "digital_docs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("tax_cases.id"), index=True)
    raw_image_id: Mapped[str] = mapped_column(ForeignKey("raw_images.id"), unique=True)
    doc_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # EXTRACTED | PARTIAL | FAILED
    extracted_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    ai_confidence: Mapped[float] = mapped_column(Float)
    schema_version: Mapped[str] = mapped_column(String(16))
    page_count: Mapped[int] = mapped_column(Integer, default=1)
    page_confidences: Mapped[list[Any]] = mapped_column(JSON)
    field_confidences: Mapped[dict[str, float] | None] = mapped_column(JSON, nullable=True)
    checklist_item_id: Mapped[str | None] = mapped_column(ForeignKey("checklist_items.id"))
    # The checklist item this document was counted in, so a re-run never counts it twice.
    counted_in_item_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (
        # At most one open action of a type per document.
        Index(
            "uq_actions_open_per_image",
            "raw_image_id",
            "type",
            unique=True,
            sqlite_where=text("is_completed = 0"),
            postgresql_where=text("NOT is_completed"),
        ),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("tax_cases.id"), index=True)
    raw_image_id: Mapped[str | None] = mapped_column(ForeignKey("raw_images.id"))
    type: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    metadata_json: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    is_completed: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolution: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ClassificationResult(Base):
    """One row per classification attempt: the history analysts query."""

    __tablename__ = "classification_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    raw_image_id: Mapped[str] = mapped_column(ForeignKey("raw_images.id"), index=True)
    engine: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(128))
    doc_type: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    reasoning: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[list[Any]] = mapped_column(JSON)
    tax_year: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(255))
    reused_from_id: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(64))
    seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ConfidenceMetric(Base):
    """Daily confidence distribution by document type and engine (written by the confidence_metrics asset)."""

    __tablename__ = "confidence_metrics"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    engine: Mapped[str] = mapped_column(String(64), primary_key=True)
    engine_version: Mapped[str] = mapped_column(String(128))
    documents: Mapped[int] = mapped_column(Integer)
    mean_confidence: Mapped[float] = mapped_column(Float)
    p10: Mapped[float] = mapped_column(Float)
    p50: Mapped[float] = mapped_column(Float)
    p90: Mapped[float] = mapped_column(Float)
    auto_linked_share: Mapped[float] = mapped_column(Float)
    needs_review_share: Mapped[float] = mapped_column(Float)
    unclassified_share: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
