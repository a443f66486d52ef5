"""Learning from reviews on a real Postgres: feedback import, refit at run start, the gate, eval.

The follower page is invented (``tests/fixtures/ui/make_followers_page.py`` writes the saved-page
DOM): a sales-leadership ICP whose client also keeps customer-success leaders (the scorer rates
them low) and never wants sales reps (the scorer rates them fairly high). Truthful reviews of a
random sample must be learned when the same ``run`` is repeated (scores and reasoning change,
the static score is kept, AUC on the other followers goes up); coin flips and contradicting
reviews must change nothing; labels that stop passing the gate put the static scores back.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import random
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from icp_engine import cli as cli_mod
from icp_engine.cli import app
from icp_engine.db import schema
from icp_engine.evals import auc
from icp_engine.errors import InvalidInput
from tests.conftest import FIXTURES

ICP = {"name": "Sales leaders", "target_titles": ["Head of Sales", "VP Sales", "Sales Director"]}
# (title, kept by the client)
GROUPS = [
    (["Head of Sales", "VP Sales", "Sales Director", "Chief Revenue Officer", "Director of Sales"], 1),
    (["Head of Customer Success", "VP Customer Success", "Customer Success Director"], 1),
    (["Sales Representative", "Account Executive", "Sales Development Representative", "Inside Sales Rep"], 0),
    (["Registered Nurse", "Software Engineer", "Graphic Designer", "Teacher", "Accountant", "Chef",
      "Data Analyst", "Civil Engineer", "Pharmacist", "Electrician"], 0),
]
WEIGHTS = [0.14, 0.12, 0.22, 0.52]
COMPANIES = ["Amberline", "Birchworks", "Cobalt Labs", "Dunefield", "Emberly", "Fablecraft", "Garnet & Co",
             "Harborview", "Irisgate", "Juniper Systems"]


def _generator():
    spec = importlib.util.spec_from_file_location("make_followers_page_t", FIXTURES / "ui" / "make_followers_page.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_page(n: int = 360, seed: int = 0) -> tuple[bytes, dict[str, int]]:
    """(saved-page HTML, {vanity: 1 keep / 0 trash})."""
    rng = random.Random(seed)
    people, truth = [], {}
    for k in range(n):
        g = rng.choices(range(len(GROUPS)), weights=WEIGHTS)[0]
        titles, kept = GROUPS[g]
        title = rng.choice(titles)
        company = rng.choice(COMPANIES)
        headline = rng.choice([f"{title} at {company}", f"{title} | {company}", f"{title} @ {company}"])
        vanity = f"follower-{seed}-{k:04d}"
        people.append(("Alex", f"Tester{k}", vanity, headline, "Lisbon, Portugal"))
        truth[vanity] = kept
    gen = _generator()
    gen.PEOPLE = people
    return gen.build().encode("utf-8"), truth


def url(vanity: str) -> str:
    return f"https://www.linkedin.com/in/{vanity}/"


def labels_csv(rows: list[tuple[str, str]], reviewer: str | None = None) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["profile_url", "label"] + (["reviewer"] if reviewer else []))
    for u, lab in rows:
        w.writerow([u, lab] + ([reviewer] if reviewer else []))
    return out.getvalue().encode("utf-8")


@pytest.fixture()
def cli(db, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("ICP_DATA_DIR", str(settings.icp_data_dir))
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for key in ("OPENAI_API_KEY", "APIFY_API_TOKEN", "JINA_API_KEY", "COHERE_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "icp.json").write_text(json.dumps(ICP))
    runner = CliRunner()

    def invoke(*args: str):
        try:
            return runner.invoke(app, list(args), catch_exceptions=False)
        finally:
            # in-process commands keep their engines (the real entry point releases them at exit):
            # close their pools so the many commands here do not exhaust the server's connections
            while cli_mod._engines:
                cli_mod._engines.pop().db.dispose()

    invoke.tmp = tmp_path
    return invoke


@pytest.fixture()
def eng(settings, db):
    from icp_engine.engine import Engine

    return Engine(settings, db=db)


def scores_of(path: Path) -> dict[str, float]:
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    return {r["profile_url"].rstrip("/").rsplit("/", 1)[-1]: float(r["icp_score"]) for r in rows}


def rest_auc(scores: dict[str, float], truth: dict[str, int], labelled: set[str]) -> float:
    keys = [v for v in truth if v not in labelled]
    return auc(np.array([scores[v] for v in keys]), np.array([bool(truth[v]) for v in keys]))


def do_run(cli, name: str, page: Path, out: str) -> Path:
    dest = cli.tmp / out
    res = cli("run", "--client", name, "--icp", str(cli.tmp / "icp.json"), "--input", str(page), "--out", str(dest))
    assert res.exit_code == 0, res.output
    return dest


def score_rows(db, client: str) -> dict[int, dict]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(schema.lead_scores).join(schema.leads, schema.leads.c.id == schema.lead_scores.c.lead_id)
            .join(schema.clients, schema.clients.c.id == schema.leads.c.client_id)
            .where(schema.clients.c.name == client)).mappings().all()
    return {int(r["lead_id"]): dict(r) for r in rows}


def feedback_of(db) -> list[dict]:
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(schema.lead_feedback).order_by(schema.lead_feedback.c.id))
                .mappings()]


# ---------------------------------------------------------------- feedback import


def test_feedback_import_matches_urls_and_stores_like_the_dashboard(cli, db, eng):
    html, truth = make_page(40)
    page = cli.tmp / "page.html"
    page.write_bytes(html)
    do_run(cli, "Acme", page, "o.csv")
    c = eng.get_client("Acme")
    ver = eng.current_icp(c["id"])[0]
    vs = sorted(truth)
    # the Review page's label of one lead, then the import supersedes it (same reviewer)
    lead0 = eng.review_queue(c["id"], "dana", limit=40)
    by_vanity = {r["vanity"]: r["id"] for r in lead0}
    eng.record_feedback(by_vanity[vs[0]], "trash", "dana")
    data = labels_csv([
        (url(vs[0]), "Keep"),                                             # any case
        (f"https://linkedin.com/in/{vs[1]}?trk=public_profile", "trash"),  # another URL form, same key
        (f"http://www.linkedin.com/in/{vs[2]}", "keep"),
    ], reviewer="dana")
    f = cli.tmp / "labels.csv"
    f.write_bytes(data)
    res = cli("feedback", "import", "--client", "Acme", str(f))
    assert res.exit_code == 0, res.output
    assert "Stored 3 label(s)" in res.output
    fb = feedback_of(db)
    assert [(r["lead_id"], r["label"], r["reviewer"], r["queue"], r["icp_version_id"], r["undone_at"] is None)
            for r in fb] == [
        (by_vanity[vs[0]], "trash", "dana", "random", ver["id"], False),  # superseded, kept
        (by_vanity[vs[0]], "keep", "dana", "import", ver["id"], True),
        (by_vanity[vs[1]], "trash", "dana", "import", ver["id"], True),
        (by_vanity[vs[2]], "keep", "dana", "import", ver["id"], True),
    ]
    # the dashboard counts imported labels like its own
    assert eng.review_progress(c["id"], "dana")["keep"] == 2
    # without a reviewer column: --reviewer (default "import")
    f.write_bytes(labels_csv([(url(vs[3]), "keep")]))
    assert cli("feedback", "import", "--client", "Acme", str(f)).exit_code == 0
    assert feedback_of(db)[-1]["reviewer"] == "import"


def test_feedback_import_refuses_unknown_urls_and_bad_rows_storing_nothing(cli, db, eng):
    html, truth = make_page(20)
    page = cli.tmp / "page.html"
    page.write_bytes(html)
    do_run(cli, "Acme", page, "o.csv")
    vs = sorted(truth)
    f = cli.tmp / "labels.csv"
    f.write_bytes(labels_csv([(url(vs[0]), "keep"), (url("someone-else-123"), "trash"), (url(vs[1]), "trash")]))
    res = cli("feedback", "import", "--client", "Acme", str(f))
    assert res.exit_code == 2
    assert "someone-else-123" in res.output and "Nothing was stored" in res.output
    assert feedback_of(db) == []
    # dry run: reported, nothing stored
    res = cli("feedback", "import", "--client", "Acme", "--dry-run", "--skip-unknown", str(f))
    assert res.exit_code == 0 and "Dry run" in res.output and feedback_of(db) == []
    # --skip-unknown stores the known ones and still lists the unknown
    res = cli("feedback", "import", "--client", "Acme", "--skip-unknown", str(f))
    assert res.exit_code == 0 and "someone-else-123" in res.output
    assert len(feedback_of(db)) == 2
    # a bad label or a non-profile URL: nothing stored at all
    f.write_bytes(labels_csv([(url(vs[2]), "keep"), (url(vs[3]), "maybe")]))
    res = cli("feedback", "import", "--client", "Acme", str(f))
    assert res.exit_code == 2 and "maybe" in res.output
    f.write_bytes(labels_csv([(url(vs[2]), "keep"), ("https://www.linkedin.com/company/acme/", "trash")]))
    assert cli("feedback", "import", "--client", "Acme", str(f)).exit_code == 2
    f.write_bytes(b"url_of_profile,verdict\nx,keep\n")
    res = cli("feedback", "import", "--client", "Acme", str(f))
    assert res.exit_code == 2 and "profile_url" in res.output
    assert len(feedback_of(db)) == 2
    # unknown client
    assert cli("feedback", "import", "--client", "Nobody", str(f)).exit_code == 2


def test_import_csv_semicolons_bom_and_duplicates(eng, db):
    from tests.test_app import FINANCE_ICP, people

    c = eng.create_client("Semi")
    eng.save_icp(c["id"], FINANCE_ICP)
    eng.ingest_followers(c["id"], people(3), batch_name="b")
    data = ("\ufeffProfile_URL;Label;Reviewer\n"
            "https://www.linkedin.com/in/person-0/;keep;ana\n"
            "https://www.linkedin.com/in/person-0/;trash;ana\n"
            "https://www.linkedin.com/in/person-1/;trash;\n").encode("utf-8")
    rep = eng.feedback.import_csv(c["id"], data, default_reviewer="bo")
    assert (rep.stored, rep.duplicates, rep.keep, rep.trash, rep.reviewers) == (2, 1, 0, 2, ["ana", "bo"])
    current = [r for r in feedback_of(db) if r["undone_at"] is None]
    assert sorted((r["label"], r["reviewer"]) for r in current) == [("trash", "ana"), ("trash", "bo")]
    with pytest.raises(InvalidInput):
        eng.feedback.import_csv(c["id"], b"")
    with pytest.raises(InvalidInput):
        eng.feedback.import_csv(c["id"], b"\xff\xfe\x00bad")


# ---------------------------------------------------------------- refit at run start, the gate


def _label_rows(truth: dict[str, int], picks: list[str], kind: str, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for v in picks:
        if kind == "truth":
            k = truth[v]
        elif kind == "coin":
            k = int(rng.random() < 0.5)
        else:
            k = 1 - truth[v]
        out.append((url(v), "keep" if k else "trash"))
    return out


def test_rerun_learns_from_imported_reviews_and_keeps_the_static_score(cli, db, eng):
    html, truth = make_page(360, seed=1)
    page = cli.tmp / "page.html"
    page.write_bytes(html)
    before = scores_of(do_run(cli, "Learn", page, "before.csv"))
    static_rows = score_rows(db, "Learn")
    assert all(r["static_score"] is None for r in static_rows.values())
    picks = random.Random(7).sample(sorted(truth), 150)
    f = cli.tmp / "labels.csv"
    f.write_bytes(labels_csv(_label_rows(truth, picks, "truth")))
    assert cli("feedback", "import", "--client", "Learn", str(f)).exit_code == 0
    res = cli("run", "--client", "Learn", "--icp", str(cli.tmp / "icp.json"), "--input", str(page),
              "--out", str(cli.tmp / "after.csv"))
    assert res.exit_code == 0, res.output
    assert "learned" in res.output and "applied" in res.output
    after = scores_of(cli.tmp / "after.csv")
    labelled = set(picks)
    a0, a1 = rest_auc(before, truth, labelled), rest_auc(after, truth, labelled)
    assert a1 > a0 + 0.03, (a0, a1)
    rows = score_rows(db, "Learn")
    learned = [r for r in rows.values() if r["static_score"] is not None]
    assert len(learned) >= 300
    for r in learned:
        old = static_rows[r["lead_id"]]
        assert r["static_score"] == pytest.approx(old["icp_score"])
        assert r["static_reasoning"] == old["match_reasoning"]
        assert r["match_reasoning"].startswith(old["match_reasoning"])
        assert " · learned from 150 reviews: " in r["match_reasoning"]
        assert r["components"] == old["components"]  # the evidence stays the scorer's
    # the customer-success leaders the scorer missed went up, the sales reps went down
    with db.connect() as conn:
        heads = dict(conn.execute(sa.select(schema.leads.c.id, schema.leads.c.headline)
                                  .where(schema.leads.c.id.in_(list(rows)))).all())
    cs = [r["icp_score"] - r["static_score"] for r in learned if "Customer Success" in heads[r["lead_id"]]]
    reps = [r["icp_score"] - r["static_score"] for r in learned
            if any(t in heads[r["lead_id"]] for t in ("Sales Representative", "Inside Sales Rep"))]
    assert np.mean(cs) > 10 and np.mean(reps) < -5
    # the run recorded what it learned
    learn = eng.feedback.last_run_learning(eng.get_client("Learn")["id"])
    assert learn["applied"] and learn["verdict"] == "applied" and learn["n_reviews"] == 150
    assert learn["applied_to"] >= 300 and learn["static_auc"] < learn["learned_auc"]
    assert learn["seconds"] > 0 and learn["n_validation"] == 150
    # the same run again: the learner trained on the static scores, so nothing moves
    do_run(cli, "Learn", page, "again.csv")
    assert scores_of(cli.tmp / "again.csv") == after
    # eval --client: static vs learned
    res = cli("eval", "--client", "Learn")
    got = json.loads(res.stdout)
    assert got["score"] == "static" and got["n"] == 150
    # against the stored scores (two decimals): the CSV prints one decimal, and its ties can move the AUC
    with db.connect() as conn:
        slug_of = {i: u.rstrip("/").rsplit("/", 1)[-1] for i, u in
                   conn.execute(sa.select(schema.leads.c.id, schema.leads.c.profile_url)).all()}
    before_db = {slug_of[i]: r["icp_score"] for i, r in static_rows.items()}
    assert got["auc"] == pytest.approx(rest_auc(before_db, truth, set(truth) - labelled), abs=1e-6)
    assert got["learned"]["applied"] and got["learned"]["learned_auc"] > got["learned"]["static_auc"]
    assert "static AUC" in res.output

    # the reviews turn against the ICP (a reviewer relabels them all the other way): the next run
    # finds no proof any more and puts the scorer's scores back, exactly
    f.write_bytes(labels_csv(_label_rows(truth, picks, "contra")))
    assert cli("feedback", "import", "--client", "Learn", str(f)).exit_code == 0
    restored = scores_of(do_run(cli, "Learn", page, "restored.csv"))
    assert restored == before
    rows = score_rows(db, "Learn")
    assert all(r["static_score"] is None and r["match_reasoning"] == static_rows[lid]["match_reasoning"]
               for lid, r in rows.items())
    learn = eng.feedback.last_run_learning(eng.get_client("Learn")["id"])
    assert not learn["applied"] and learn["verdict"] == "contradicts_icp" and learn["restored"] >= 300


@pytest.mark.parametrize("kind", ["coin", "contra"])
def test_random_or_contradicting_reviews_change_nothing(cli, db, eng, kind):
    html, truth = make_page(300, seed=2)
    page = cli.tmp / "page.html"
    page.write_bytes(html)
    name = f"Gate-{kind}"
    before = scores_of(do_run(cli, name, page, "before.csv"))
    reasons = {lid: r["match_reasoning"] for lid, r in score_rows(db, name).items()}
    picks = random.Random(3).sample(sorted(truth), 150)
    f = cli.tmp / "labels.csv"
    f.write_bytes(labels_csv(_label_rows(truth, picks, kind, seed=11)))
    assert cli("feedback", "import", "--client", name, str(f)).exit_code == 0
    after = scores_of(do_run(cli, name, page, "after.csv"))
    assert after == before
    assert {lid: r["match_reasoning"] for lid, r in score_rows(db, name).items()} == reasons
    learn = eng.feedback.last_run_learning(eng.get_client(name)["id"])
    assert not learn["applied"] and learn["applied_to"] == 0
    assert learn["verdict"] == ("labels_look_random" if kind == "coin" else "contradicts_icp")


def test_exported_leads_are_not_positives_and_no_reviews_learn_nothing(cli, db, eng):
    html, truth = make_page(60, seed=3)
    page = cli.tmp / "page.html"
    page.write_bytes(html)
    first = scores_of(do_run(cli, "Exp", page, "a.csv"))  # the export marks every lead "exported"
    with db.connect() as conn:
        assert set(conn.execute(sa.select(schema.leads.c.status)).scalars()) == {"exported"}
    again = scores_of(do_run(cli, "Exp", page, "b.csv"))
    assert again == first
    learn = eng.feedback.last_run_learning(eng.get_client("Exp")["id"])
    assert learn["n_reviews"] == 0 and not learn["applied"] and learn["reason"] == "no reviews yet"


def test_labels_of_other_batches_count_and_informative_labels_only_train(cli, db, eng):
    html, truth = make_page(200, seed=4)
    page = cli.tmp / "page.html"
    page.write_bytes(html)
    do_run(cli, "Multi", page, "a.csv")
    c = eng.get_client("Multi")
    # informative queue: unlabelled leads, deterministic, and its labels are marked
    q1 = [r["id"] for r in eng.feedback.informative_queue(c["id"], "ana", limit=10)]
    q2 = [r["id"] for r in eng.feedback.informative_queue(c["id"], "ana", limit=10)]
    assert q1 == q2 and len(q1) == 10 and len(set(q1)) == 10
    by_id = {r["id"]: r for r in eng.review_queue(c["id"], "ana", limit=500)}
    for lid in q1[:5]:
        eng.record_feedback(lid, "keep" if truth[by_id[lid]["vanity"]] else "trash", "ana", queue="informative")
    q3 = [r["id"] for r in eng.feedback.informative_queue(c["id"], "ana", limit=10)]
    assert not set(q3) & set(q1[:5])
    assert len(eng.feedback._pools) == 1  # the pool's features were not rebuilt after the labels
    assert {r["queue"] for r in feedback_of(db)} == {"informative"}
    with pytest.raises(InvalidInput):
        eng.record_feedback(q1[6], "keep", "ana", queue="hand-picked")
    # random reviews of the first batch; a second upload (a new batch) learns from them
    picks = [v for v in random.Random(5).sample(sorted(truth), 120)
             if by_id_vanity(by_id).get(v) not in q1[:5]]
    f = cli.tmp / "labels.csv"
    f.write_bytes(labels_csv(_label_rows(truth, picks, "truth")))
    assert cli("feedback", "import", "--client", "Multi", str(f)).exit_code == 0
    do_run(cli, "Multi", page, "b.csv")  # same file again: a new batch of known leads
    learn = eng.feedback.last_run_learning(c["id"])
    assert learn["n_informative"] == 5 and learn["n_validation"] == len(picks)
    assert learn["n_labels"] == len(picks) + 5
    rep = eng.feedback.measure(c["id"])
    assert rep["n_validation"] == len(picks) and rep["static_auc"] == pytest.approx(learn["static_auc"])
    assert eng.feedback.measure(c["id"]) is rep  # cached until the labels change


def by_id_vanity(by_id: dict[int, dict]) -> dict[str, int]:
    return {r["vanity"]: lid for lid, r in by_id.items()}
