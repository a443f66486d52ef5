"""Secrets (API keys, the admin password, the cookie key) stay out of logs, the database and CSVs
(what the dashboard shows: ``tests/test_app.py::test_secrets_are_never_shown_on_any_page``)."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from icp_engine.domain import ICP
from icp_engine.pipeline import RunOptions
from tests.conftest import FIXTURES

SECRETS = {
    "OPENAI_API_KEY": "sk-test-SECRETopenai0123456789",
    "APIFY_API_TOKEN": "apify_api_SECRETapify0123456789",
    "JINA_API_KEY": "jina_SECRETjina0123456789",
    "COHERE_API_KEY": "co-SECRETcohere0123456789",
    "FATHOM_API_KEY": "fathom-SECRETfathom0123456789",
    "ICP_ADMIN_PASSWORD": "SECRET admin password 0123",
    "ICP_SESSION_SECRET": "SECRETsessionkey0123456789",
}


def _leaks(text: str) -> list[str]:
    return [name for name, value in SECRETS.items() if value in text]


def test_secrets_stay_out_of_logs_database_and_csv(settings, db, pg_dump, caplog, capfd):
    from icp_engine.engine import Engine

    keyed = settings.model_copy(update={
        "openai_api_key": SECRETS["OPENAI_API_KEY"], "apify_api_token": SECRETS["APIFY_API_TOKEN"],
        "jina_api_key": SECRETS["JINA_API_KEY"], "cohere_api_key": SECRETS["COHERE_API_KEY"],
        "fathom_api_key": SECRETS["FATHOM_API_KEY"], "icp_admin_user": "boss",
        "icp_admin_password": SecretStr(SECRETS["ICP_ADMIN_PASSWORD"]),
        "icp_session_secret": SecretStr(SECRETS["ICP_SESSION_SECRET"]),
        "embedding_provider": "local",  # keys present, but this test stays offline
    })
    caplog.set_level(logging.DEBUG)
    engine = Engine(keyed, db=db)
    admin = engine.auth.ensure_admin_from_settings()
    _, token = engine.auth.login("boss", SECRETS["ICP_ADMIN_PASSWORD"])
    assert engine.auth.user_from_cookie(engine.auth.signer.sign(token))[0] == admin
    page = FIXTURES / "ui" / "followers_finance.html"
    c = engine.create_client("Acme", author=admin)
    engine.save_icp(c["id"], ICP(target_titles=["CFO"]), author=admin)
    batch = engine.ingest_followers(c["id"], engine.parse_upload(page.name, page.read_bytes()).people, batch_name="b",
                                 author="boss")
    run_id = engine.create_run(c["id"], batch_id=batch["id"], options=RunOptions(classify=False), author=admin)
    assert engine.execute_run(run_id)["status"] == "completed"
    csv_bytes = engine.export_csv(c["id"])
    engine.forget_person("https://www.linkedin.com/in/ingrid-salvesen-cfo/", author=admin)

    assert len(csv_bytes) > 500 and _leaks(csv_bytes.decode("utf-8-sig")) == []
    assert _leaks(pg_dump()) == []
    out, err = capfd.readouterr()
    assert _leaks(caplog.text + out + err) == []
    assert SECRETS["ICP_ADMIN_PASSWORD"] not in repr(keyed) and SECRETS["ICP_SESSION_SECRET"] not in repr(keyed)


@pytest.mark.parametrize("name", ["ICP_ADMIN_PASSWORD", "ICP_SESSION_SECRET"])
def test_secret_settings_are_masked(name, monkeypatch):
    from icp_engine.config import Settings

    monkeypatch.setenv(name, SECRETS[name])
    s = Settings()
    assert SECRETS[name] not in repr(s) and SECRETS[name] not in str(s.model_dump())
