"""One exception hierarchy for the product, rooted at :class:`ICPError`.

``except ICPError`` catches every error the package raises on purpose; the branches also keep
the built-in base a caller would expect (``NotFound`` is a ``LookupError``, ``InvalidInput`` a
``ValueError``), so code written against those keeps working::

    ICPError
    ├── InvalidInput (ValueError)      bad user input; the message is meant for the user
    │   ├── UploadError                an upload was refused (icp_engine.ingest)
    │   ├── ApifyExportError           a file is not an exported Apify dataset
    │   ├── RunConflict                a run of the same batch is still queued, running or paused
    │   ├── NothingToDo                a run would have nothing to enrich or score
    │   └── LoginFailed                wrong user name or password, or a locked account
    ├── PermissionDenied (PermissionError)  the signed-in account's role does not allow the action
    ├── NotFound (LookupError)         a client, ICP version, batch, run or lead that does not exist
    ├── DatabaseError (RuntimeError)   the database cannot be reached or lacks pgvector
    ├── ExternalServiceError (RuntimeError)
    │   ├── ServiceError               an HTTP service failed (icp_engine.http)
    │   ├── ApifyFatalError            Apify refused the account (bad token, no credit)
    │   └── LLMError                   the model's answer is unusable (icp_engine.llm)
    ├── ModelNotAvailableError (RuntimeError)  a bundled model's files are missing
    └── RunInterrupted                 a run stopped before its end
        ├── RunStopped                 paused or cancelled from outside (resumable)
        └── RunBusy (RuntimeError)     another live worker holds the run

``UploadError``, ``ApifyExportError``, ``ServiceError``, ``ApifyFatalError``, ``LLMError`` and
``ModelNotAvailableError`` are defined next to the code that raises them and are all importable
from :mod:`icp_engine`.
"""

from __future__ import annotations


class ICPError(Exception):
    """Base of every error raised on purpose by :mod:`icp_engine`."""


class InvalidInput(ICPError, ValueError):
    """Bad input from a user or caller (a taken client name, an unknown provider, no ICP yet...).

    ``str(err)`` is a sentence meant for the user; nothing has been written when it is raised.
    """


class RunConflict(InvalidInput):
    """A run of the same scope (batch, or all leads of the client) is still queued, running or paused.

    ``RunConflict(run_row)``: ``.run`` is that run's ``runs`` row; the message names it.
    """

    def __init__(self, run: dict):
        self.run = run
        super().__init__(f"Run #{run['id']} of the same leads is still {run['status']}: resume, pause or cancel "
                         "it first (one run per batch at a time).")


class NothingToDo(InvalidInput):
    """A run would have nothing to enrich or score (every lead of its scope is up to date)."""


class LoginFailed(InvalidInput):
    """A sign-in was refused (unknown name, wrong password, locked account); the message says
    which of "wrong name or password" / "locked" without telling whether the name exists."""


class PermissionDenied(ICPError, PermissionError):
    """The account's role does not allow this action (see :mod:`icp_engine.auth`)."""


class NotFound(ICPError, LookupError):
    """A client, ICP version, batch, run or lead id/name that does not exist."""


class DatabaseError(ICPError, RuntimeError):
    """The database could not be reached, or lacks the pgvector extension."""


class ExternalServiceError(ICPError, RuntimeError):
    """An external service (Apify, OpenAI, Jina, Cohere, Fathom) could not do what was asked."""


class RunInterrupted(ICPError):
    """A qualification run stopped before its end; its state in the database is consistent."""


class RunStopped(RunInterrupted):
    """The run was paused or cancelled from outside; raised between chunks (call again to resume)."""


class RunBusy(RunInterrupted, RuntimeError):
    """Another worker took the run over (its job was retried after this worker looked dead)."""


class RunFailed(ICPError, RuntimeError):
    """A qualification run ended ``failed``; the message is the error recorded on the run."""
