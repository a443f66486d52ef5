"""Settings, read from the environment, a ``.env`` file or ``.streamlit/secrets.toml``.

Precedence (highest first): explicit keyword arguments, environment variables, ``.env`` in the
working directory, ``.streamlit/secrets.toml`` (top-level keys, same names as the environment
variables, e.g. ``OPENAI_API_KEY = "sk-..."``). Nothing here is required: with no keys and no
``DATABASE_URL`` the product runs fully offline on an embedded Postgres under ``ICP_DATA_DIR``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

SECRETS_TOML = Path(".streamlit") / "secrets.toml"


def default_data_dir() -> Path:
    """Per-user data folder for the embedded database and caches.

    ``~/.local/share/icp-qualifier`` on Linux (platformdirs). As root that would sit under
    ``/root``, a private folder that the embedded Postgres (which chmods parent folders of its
    socket dir) must not touch, so root uses ``/var/lib/icp-qualifier`` instead.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/icp-qualifier")
    return Path(user_data_dir("icp-qualifier", appauthor=False))


class _SecretsTomlSource(PydanticBaseSettingsSource):
    """Reads top-level keys of ``.streamlit/secrets.toml`` (Streamlit's secrets file)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path = SECRETS_TOML):
        super().__init__(settings_cls)
        self._data: dict[str, Any] = {}
        if path.is_file():
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
            self._data = {k.upper(): v for k, v in raw.items() if not isinstance(v, dict)}

    def get_field_value(self, field, field_name):  # pragma: no cover - unused by __call__
        return self._data.get(field_name.upper()), field_name, False

    def __call__(self) -> dict[str, Any]:
        out = {}
        for name in self.settings_cls.model_fields:
            if name.upper() in self._data:
                out[name] = self._data[name.upper()]
        return out


class Settings(BaseSettings):
    """All runtime settings. Field names map to upper-case environment variables.

    Keys switch providers on: ``OPENAI_API_KEY`` (embeddings, LLM classification),
    ``APIFY_API_TOKEN`` (live scraping), ``JINA_API_KEY`` / ``COHERE_API_KEY`` (reranking),
    ``FATHOM_API_KEY`` (call transcripts). ``DATABASE_URL`` switches from the embedded Postgres to
    any Postgres with the pgvector extension (``postgresql://user:pw@host:5432/db``; the
    ``postgres://`` scheme used by Supabase/Heroku is accepted).
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = None
    icp_data_dir: Path = Field(default_factory=default_data_dir)

    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_embedding_model: str = "text-embedding-3-small"
    openai_chat_model: str = "gpt-5-mini"

    apify_api_token: str | None = None
    apify_api_base_url: str = "https://api.apify.com/v2"
    apify_actor_id: str = "yZnhB5JewWf9xSmoM"
    apify_batch_size: int = 100
    apify_max_concurrent_runs: int = 5
    apify_run_timeout_s: int = 1800
    apify_cost_per_profile_usd: float = 0.003
    apify_cost_per_run_usd: float = 0.002

    jina_api_key: str | None = None
    jina_base_url: str = "https://api.jina.ai/v1"
    jina_model: str = "jina-reranker-v2-base-multilingual"
    cohere_api_key: str | None = None
    cohere_base_url: str = "https://api.cohere.com/v2"
    cohere_model: str = "rerank-v3.5"

    fathom_api_key: str | None = None
    fathom_base_url: str = "https://api.fathom.ai/external/v1"
    # seconds between two Fathom requests (Fathom allows about 60 per minute per account)
    fathom_min_interval_s: float = 1.0

    embedding_provider: str = "auto"  # auto | local | bge | openai
    # how titles are phrased for the title backbone (icp_engine.scoring.prompts): "" = the shipped
    # default ("a/title"); "bare" gives scorer 3.6's bare titles with their own fitted weights
    icp_title_template: str = ""
    reranker: str = "none"  # none | local | jina | cohere
    rerank_top_n: int = 200

    profile_cache_ttl_days: int = 30

    # dashboard sign-in (icp_engine.auth): the account created on start when none has that name,
    # how long a sign-in lasts, and the key that signs session cookies (default: a random key kept
    # in <ICP_DATA_DIR>/session-secret, created on first use)
    icp_admin_user: str | None = None
    icp_admin_password: SecretStr | None = None
    icp_session_days: float = 14.0
    icp_session_secret: SecretStr | None = None
    max_upload_bytes: int = 200 * 1024 * 1024
    http_timeout_s: float = 60.0
    http_max_attempts: int = 5

    # "package.module:function" called with each new icp_engine.wiring.Wiring, to adjust what it
    # builds (e.g. HTTP transports through a proxy, or faked services in tests); None: nothing
    icp_wiring_hook: str | None = None
    # job queue (procrastinate, icp_engine.jobs): a worker that sent no heartbeat for worker_stall_s
    # seconds is dead and its job is retried by another worker; heartbeats every worker_heartbeat_s
    worker_stall_s: float = 30.0
    worker_heartbeat_s: float = 5.0
    # embedded Postgres (icp_engine.db.embedded): a server with no client connection for this many
    # seconds stops itself (0 = never); a one-shot CLI command stops the server it started at exit
    embedded_idle_stop_s: float = 600.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings, _SecretsTomlSource(settings_cls))

    @property
    def available_providers(self) -> dict[str, bool]:
        """Which optional external services have credentials, e.g. ``{"openai": True, ...}``."""
        return {
            "openai": bool(self.openai_api_key),
            "apify": bool(self.apify_api_token),
            "jina": bool(self.jina_api_key),
            "cohere": bool(self.cohere_api_key),
            "fathom": bool(self.fathom_api_key),
            "database": bool(self.database_url),
        }
