"""ICP Qualifier engine: ingestion, enrichment, embedding, reranking, classification and scoring
of LinkedIn followers against a client's Ideal Customer Profile (ICP), stored in PostgreSQL + pgvector.

This module is the public API: the dashboard (``app.py``, ``pages/``) imports only from here, and
the CLI (``python -m icp_engine``) calls the same :class:`Engine`. The package never imports
streamlit. Names are loaded on first access, so ``python -m icp_engine rank`` does not pay for the
database layer.

* :class:`Engine` - the facade (clients, ICP versions, uploads, runs, review, export); its
  services: ``engine.runs``, ``engine.uploads``, ``engine.views`` (the pages' read side),
  ``engine.wiring`` (models and providers).
* Domain types: :class:`ICP`, :class:`Follower`, :class:`Profile`, :class:`ScoreResult`,
  :class:`RunOptions`, :class:`LeadFilters`, :class:`UploadPreview`, :class:`Settings`.
* Vocabularies (``str`` enums): :class:`LeadStatus`, :class:`RunStatus`, :class:`RunStage`,
  :class:`EnrichProvider`, :class:`RerankerName`, :class:`Bucket`, :class:`FeedbackLabel`.
* Errors: one hierarchy rooted at :class:`ICPError` (see :mod:`icp_engine.errors`).
* Sign-in and roles: :class:`User`, :class:`Role`, :class:`Permission` (``engine.auth``,
  :mod:`icp_engine.auth`); erasure: ``engine.forget_person``, ``engine.delete_client``
  (:mod:`icp_engine.erasure`), the audit trail ``engine.audit_trail``.
* ICP editing: :data:`ICP_TEMPLATES`, suggestions and choice lists, :func:`icp_diff`,
  :func:`history_with_changes`.
* ICP from discovery calls: ``engine.calls`` (:class:`CallService`, :class:`CallReview`,
  :class:`CallStatus`, :data:`CALL_FIELD_LABELS`; errors :class:`TranscriptError`, :class:`FathomError`).

Pipeline stages, one module each:

* :mod:`icp_engine.ingest`      saved pages / Connections.csv / URL lists  -> followers
* :mod:`icp_engine.enrich`      followers -> profiles (page, apify-json, apify)
* :mod:`icp_engine.embeddings`  short texts -> unit vectors (wordllama offline, OpenAI with a key)
* :mod:`icp_engine.rerank`      optional second stage on the top N (local cross-encoder, Jina, Cohere)
* :mod:`icp_engine.classify`    industry and company type of a lead
* :mod:`icp_engine.scoring`     field-aware, calibrated 0-100 ``icp_score`` + ``match_reasoning``
* :mod:`icp_engine.pipeline`    the stages of a run; :mod:`icp_engine.runs` how runs are executed
* :mod:`icp_engine.export`      ranked CSV
* :mod:`icp_engine.db`          every SQL statement: schema, migrations, one module per aggregate
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "Engine": "engine",
    "Settings": "config",
    "ICP": "domain", "Follower": "domain", "Profile": "domain", "ScoreResult": "domain",
    "SIZE_BANDS": "domain", "bucket_for": "domain",
    "RunOptions": "pipeline",
    "LeadFilters": "views", "PAGE_COLUMNS": "views", "Views": "views", "score_rows": "views",
    "criteria_rows": "views", "change_summary": "views", "enrichment_summary": "views",
    "UploadPreview": "uploads", "MergedUpload": "uploads", "merge_previews": "uploads",
    "default_batch_name": "uploads",
    "EXPORT_COLUMNS": "export",
    "ICP_TEMPLATES": "icps", "ICP_FIELDS": "icps", "TITLE_SUGGESTIONS": "icps", "KEYWORD_SUGGESTIONS": "icps",
    "EXCLUSION_SUGGESTIONS": "icps", "icp_diff": "icps", "history_with_changes": "icps",
    "industry_choices": "icps", "company_type_choices": "icps", "size_choices": "icps",
    "function_choices": "icps", "seniority_choices": "icps", "implied_roles": "icps",
    "LeadStatus": "enums", "RunStatus": "enums", "RunStage": "enums", "EnrichProvider": "enums",
    "RerankerName": "enums", "Bucket": "enums", "FeedbackLabel": "enums",
    "ICPError": "errors", "InvalidInput": "errors", "NotFound": "errors", "DatabaseError": "errors",
    "ExternalServiceError": "errors", "RunInterrupted": "errors", "RunStopped": "errors", "RunBusy": "errors",
    "RunFailed": "errors", "RunConflict": "errors", "NothingToDo": "errors",
    "UploadError": "ingest.upload", "ParsedUpload": "ingest.upload",
    "ApifyExportError": "enrich.apify_json", "ApifyFatalError": "enrich.apify_client",
    "ServiceError": "http", "LLMError": "llm", "ModelNotAvailableError": "embeddings.local",
    "Role": "enums", "LoginFailed": "errors", "PermissionDenied": "errors",
    "User": "auth", "Permission": "auth", "ROLE_PERMISSIONS": "auth", "COOKIE_NAME": "auth", "HANDOFFS": "auth",
    "MIN_PASSWORD_LENGTH": "auth",
    "ForgetReport": "erasure", "ClientDeletion": "erasure",
    "CallStatus": "enums", "TranscriptError": "calls.parse", "FathomError": "calls.fathom",
    "CallService": "calls.service", "CallReview": "calls.service", "CALL_FIELD_LABELS": "calls.service",
}

__all__ = [
    "CALL_FIELD_LABELS", "CallReview", "CallService", "CallStatus", "FathomError", "TranscriptError",
    "COOKIE_NAME", "ClientDeletion", "ForgetReport", "HANDOFFS", "LoginFailed", "MIN_PASSWORD_LENGTH", "Permission",
    "PermissionDenied", "ROLE_PERMISSIONS", "Role", "User",
    "ApifyExportError", "ApifyFatalError", "Bucket", "DatabaseError", "EXCLUSION_SUGGESTIONS", "EXPORT_COLUMNS",
    "Engine", "EnrichProvider", "ExternalServiceError", "FeedbackLabel", "Follower", "ICP", "ICPError",
    "ICP_FIELDS", "ICP_TEMPLATES", "InvalidInput", "KEYWORD_SUGGESTIONS", "LLMError", "LeadFilters", "LeadStatus",
    "MergedUpload", "ModelNotAvailableError", "NotFound", "PAGE_COLUMNS", "ParsedUpload", "Profile", "RerankerName",
    "RunBusy", "RunFailed", "RunConflict", "NothingToDo", "RunInterrupted", "RunOptions", "RunStage", "RunStatus",
    "RunStopped", "SIZE_BANDS", "ScoreResult",
    "ServiceError", "Settings", "TITLE_SUGGESTIONS", "UploadError", "UploadPreview", "Views", "bucket_for",
    "company_type_choices", "default_batch_name", "enrichment_summary", "history_with_changes", "icp_diff",
    "industry_choices", "merge_previews", "score_rows", "size_choices", "criteria_rows", "change_summary",
    "function_choices", "seniority_choices", "implied_roles",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'icp_engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # pragma: no cover - what type checkers and editors see
    from .auth import COOKIE_NAME, HANDOFFS, MIN_PASSWORD_LENGTH, ROLE_PERMISSIONS, Permission, User
    from .erasure import ClientDeletion, ForgetReport
    from .calls.fathom import FathomError
    from .calls.parse import TranscriptError
    from .calls.service import CALL_FIELD_LABELS, CallReview, CallService
    from .config import Settings
    from .domain import ICP, SIZE_BANDS, Follower, Profile, ScoreResult, bucket_for
    from .embeddings.local import ModelNotAvailableError
    from .engine import Engine
    from .enrich.apify_client import ApifyFatalError
    from .enrich.apify_json import ApifyExportError
    from .enums import (
        Bucket,
        CallStatus,
        EnrichProvider,
        FeedbackLabel,
        LeadStatus,
        RerankerName,
        Role,
        RunStage,
        RunStatus,
    )
    from .errors import (
        DatabaseError,
        ExternalServiceError,
        ICPError,
        InvalidInput,
        LoginFailed,
        NotFound,
        NothingToDo,
        PermissionDenied,
        RunBusy,
        RunConflict,
        RunFailed,
        RunInterrupted,
        RunStopped,
    )
    from .export import EXPORT_COLUMNS
    from .http import ServiceError
    from .icps import (
        EXCLUSION_SUGGESTIONS,
        ICP_FIELDS,
        ICP_TEMPLATES,
        KEYWORD_SUGGESTIONS,
        TITLE_SUGGESTIONS,
        company_type_choices,
        function_choices,
        history_with_changes,
        icp_diff,
        implied_roles,
        industry_choices,
        seniority_choices,
        size_choices,
    )
    from .ingest.upload import ParsedUpload, UploadError
    from .llm import LLMError
    from .pipeline import RunOptions
    from .uploads import MergedUpload, UploadPreview, default_batch_name, merge_previews
    from .views import PAGE_COLUMNS, LeadFilters, Views, change_summary, criteria_rows, enrichment_summary, score_rows
