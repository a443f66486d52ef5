"""Run: qualify a batch (or all leads) in the background with live progress read from the database."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from icp_engine import (
    EnrichProvider,
    Engine,
    InvalidInput,
    Permission,
    RerankerName,
    RunOptions,
    RunStatus,
    change_summary,
    enrichment_summary,
)
from pages import _ui

ACTIVE = RunStatus.active()
ENRICH_LABELS = {
    EnrichProvider.PAGE: "Page data only (offline, free)",
    EnrichProvider.APIFY_JSON: "Apify items I exported (JSON file)",
    EnrichProvider.APIFY: "Live Apify scraping (paid)",
}
RERANK_LABELS = {
    RerankerName.NONE: "None",
    RerankerName.LOCAL: "Local cross-encoder (offline)",
    RerankerName.JINA: "Jina reranker (API)",
    RerankerName.COHERE: "Cohere rerank (API)",
}
REFRESH_S = 2.0
ALL_LEADS = 0  # the "all leads of the client" choice of the Leads picker (batch ids start at 1)


def providers_box(eng: Engine) -> None:
    avail = eng.settings.available_providers
    rows = [
        {"service": "Apify (live enrichment)", "available": avail.get("apify"), "needs": "APIFY_API_TOKEN"},
        {"service": "OpenAI (embeddings, classification)", "available": avail.get("openai"), "needs": "OPENAI_API_KEY"},
        {"service": "Jina (reranker)", "available": avail.get("jina"), "needs": "JINA_API_KEY"},
        {"service": "Cohere (reranker)", "available": avail.get("cohere"), "needs": "COHERE_API_KEY"},
    ]
    with st.expander("Which services are available"):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"service": "Service", "available": st.column_config.CheckboxColumn("Available"),
                                    "needs": "Needs"})
        st.caption("Set a key in the environment, `.env` or `.streamlit/secrets.toml` and restart to enable a service.")


def _icp_choice(eng: Engine, cid: int, history: list[dict[str, Any]]) -> None:
    """Apply a "Rerun with vN" preset from Review/Export, else default to the newest version."""
    preset = st.session_state.pop(_ui.RUN_PRESET_KEY, None)
    ids = [h["id"] for h in history]
    if preset and preset.get("client") == cid and preset.get("icp_version_id") in ids:
        st.session_state[f"run_icp_{cid}"] = preset["icp_version_id"]
        st.session_state[f"run_batch_{cid}"] = ALL_LEADS  # every lead not yet scored with it
    elif st.session_state.get(f"run_icp_{cid}") not in ids:
        st.session_state[f"run_icp_{cid}"] = ids[0]


def start_form(eng: Engine, client: dict[str, Any]) -> None:
    cid = client["id"]
    history = eng.icp_history(cid)
    if not history:
        st.warning("This client has no ICP yet: set one on **Clients & ICP** first.")
        st.page_link(_ui.PAGE_FILES["clients"], label="Go to Clients & ICP", icon=":material/groups:")
        return
    batches = eng.views.batch_options(cid)
    if not batches:
        st.warning("No leads yet: upload followers first.")
        st.page_link(_ui.PAGE_FILES["upload"], label="Go to Upload", icon=":material/upload_file:")
        return
    _icp_choice(eng, cid, history)
    avail = eng.settings.available_providers
    versions = {h["id"]: h for h in history}
    c1, c2 = st.columns(2)
    icp_version_id = c2.selectbox(
        "ICP version", list(versions), key=f"run_icp_{cid}",
        format_func=lambda v: f"{_ui.version_label(versions[v])} · saved by {versions[v]['created_by']}"
        + (" (newest)" if v == history[0]["id"] else ""),
    )
    bnames = {b["id"]: f"{b['name']} · {b['people_in_file']:,} people · {_ui.when(b['created_at'])}" for b in batches}
    if st.session_state.get(f"run_batch_{cid}", ALL_LEADS) not in (ALL_LEADS, *bnames):
        st.session_state[f"run_batch_{cid}"] = ALL_LEADS
    choice = c1.selectbox(
        "Leads", [ALL_LEADS, *bnames], key=f"run_batch_{cid}",
        # the label is the same for every ICP version: the browser keeps a keyed selectbox's first
        # labels, so counts that depend on the version go in the sentence below the form
        format_func=lambda b: "All leads of the client" if b == ALL_LEADS else bnames[b],
        help="A run only does what is left: leads already scored with this ICP version keep their score.",
    )
    batch_id = None if choice == ALL_LEADS else choice
    c3, c4 = st.columns(2)
    enrich = c3.radio(
        "Enrichment", list(ENRICH_LABELS),
        format_func=lambda k: ENRICH_LABELS[k] + ("" if k != EnrichProvider.APIFY or avail.get("apify")
                                                  else " — needs APIFY_API_TOKEN"),
        key=f"run_enrich_{cid}",
        help="Leads that have only the upload's data are enriched again when you give better data (an Apify "
             "export or live Apify); their scores are then redone.",
    )
    rerankers = [RerankerName.NONE, RerankerName.LOCAL] + [
        r for r in (RerankerName.JINA, RerankerName.COHERE) if avail.get(r)]
    reranker = c4.radio("Reranker", rerankers, format_func=RERANK_LABELS.get, key=f"run_rerank_{cid}",
                        help="Re-orders the best leads with a cross-encoder. Jina/Cohere appear when their key is set.")
    profiles_path = None
    problems: list[str] = []
    if enrich == EnrichProvider.APIFY_JSON:
        items = st.file_uploader("Apify dataset items (.json)", type=["json"], key=f"run_items_{cid}")
        if items is None:
            problems.append("Upload the exported Apify items file.")
        else:
            profiles_path = eng.save_apify_items(items.name, items.getvalue())
    if enrich == EnrichProvider.APIFY and not avail.get("apify"):
        problems.append("Live Apify scraping needs APIFY_API_TOKEN.")
    judge = False
    if avail.get("openai"):
        judge = st.checkbox(
            "LLM judgement of uncertain leads (paid)", value=False, key=f"run_judge_{cid}",
            help=f"An OpenAI model ({eng.settings.openai_chat_model}) reads the leads whose score is between "
                 "30 and 70 and rules on each criterion; its verdicts are kept, so a lead is judged once per "
                 "ICP version. The cost is estimated below before you start.")
    with st.expander("Advanced"):
        a1, a2, a3 = st.columns(3)
        classify = a1.checkbox("Classify industry and company type", value=True, key=f"run_classify_{cid}",
                               help="Fills industry and company type where enrichment left them empty.")
        chunk = a2.number_input("Leads per committed chunk", 50, 10_000, 500, step=50, key=f"run_chunk_{cid}",
                                help="Work is saved after every chunk: a stopped run loses at most one chunk.")
        top_n = a3.number_input("Rerank the best N", 10, 5_000, int(eng.settings.rerank_top_n), step=10,
                                key=f"run_topn_{cid}", disabled=reranker == RerankerName.NONE)
    options = RunOptions(enrich=enrich, profiles_path=profiles_path, reranker=reranker, classify=classify,
                         chunk_size=int(chunk), rerank_top_n=int(top_n), judge=judge)

    busy = eng.active_run(cid, batch_id)
    work: dict[str, Any] = {}
    if not problems:
        work = eng.runnable_leads(cid, batch_id, icp_version_id, options)
        parts = [work["sentence"]]
        if work["work"] and (enrich == EnrichProvider.APIFY or judge):
            try:
                est = eng.estimate_run(cid, batch_id, options, icp_version_id=icp_version_id)
            except Exception as exc:  # noqa: BLE001 - an estimate failure must not hide the page
                est = {}
                st.warning(f"Could not estimate the run's cost: {_ui.md(exc)}")
            if "cost_usd" in est:  # live Apify: what would be scraped and paid
                cost = [f"**{est.get('profiles_to_scrape', 0):,}** profiles to scrape in "
                        f"{est.get('runs_to_start', 0)} actor runs"]
                if est.get("cached"):
                    cost.append(f"{est['cached']:,} from the 30-day cache (free)")
                if est.get("in_flight"):
                    cost.append(f"{est['in_flight']:,} in runs already paid for")
                if est.get("invalid"):
                    cost.append(f"{est['invalid']:,} not LinkedIn profile URLs")
                if est.get("no_url"):
                    cost.append(f"{est['no_url']:,} without a profile URL (not sent; scored on their position "
                                "and company)")
                cost.append(f"estimated Apify cost **${float(est['cost_usd']):.2f}**")
                parts.append("Apify: " + " · ".join(cost) + ".")
            if est.get("judge"):
                j = est["judge"]
                usd = j.get("usd")
                jcost = f"at most **${float(usd):.2f}**" if usd is not None else "cost unknown for this model"
                parts.append(f"LLM judgement: up to **{j.get('leads', 0):,}** leads in {j.get('requests', 0):,} "
                             f"requests, {jcost} ({_ui.md(j.get('model'))}; only uncertain leads are sent).")
        (st.info if work["work"] else st.success)(" ".join(parts), icon=":material/checklist:")
    for p in problems:
        st.error(p)
    if busy is not None:
        st.warning(f"Run #{busy['id']} of these leads is {_ui.RUN_STATUS.get(busy['status'], busy['status']).lower()}: "
                   "resume, pause or cancel it below before starting another one (one run per batch at a time).",
                   icon=":material/lock_clock:")
    disabled = bool(problems) or busy is not None or not work.get("work")
    if st.button("Start qualification", type="primary", disabled=disabled, key=f"run_start_{cid}"):
        try:
            run_id = eng.create_run(cid, batch_id=batch_id, icp_version_id=icp_version_id, options=options,
                                    author=_ui.author(), require_work=True)
        except InvalidInput as exc:  # RunConflict, NothingToDo: a sentence for the user
            st.error(_ui.md(exc))
            return
        eng.start_run_background(run_id)
        st.session_state[f"run_view_{cid}"] = run_id
        _ui.flash(f"Run #{run_id} started.")
        st.rerun()


def _progress_body(eng: Engine, run_id: int, provider: str | None = None) -> None:
    status = eng.run_status(run_id)
    stage = _ui.RUN_STAGE.get(status["stage"], status["stage"])
    st.markdown(f"**Run #{run_id}** · {_ui.RUN_STATUS.get(status['status'], status['status'])} · {stage}")
    c = status["counts"]
    not_enriched = int(c.get("not_enriched", c.get("failed", 0)) or 0)
    again = int((status.get("changes") or {}).get("reenriched") or 0)
    for row in status["stages"]:
        total = max(1, row["total"])
        first_done, first_total = row["done"] - row["again_done"], row["total"] - row["again_total"]
        text = f"{row['label']}: {first_done:,}/{first_total:,}"
        if row["stage"] == "enrich" and not_enriched:
            text += f" ({not_enriched:,} scored on the upload's data only)"
        if row["again_total"]:
            text += (f" · better data: {row['again_done']:,}/{row['again_total']:,} leads checked, "
                     f"{again:,} enriched again")
        if row["stage"] == status["stage"] and status["status"] in ACTIVE:
            text += " · in progress"
        st.progress(min(1.0, row["done"] / total), text=text)
    m = st.columns(3)
    rate = status.get("rate_per_s")
    current = next((r["label"] for r in status["stages"] if r["stage"] == status["stage"]), None)
    m[0].metric(f"Rate ({current.lower()})" if current else "Rate", f"{rate:,.1f} leads/s" if rate else "–",
                help="Leads per second in the current stage, since it started.")
    m[1].metric("Elapsed", _ui.fmt_seconds(status.get("elapsed_s")))
    m[2].metric(f"ETA ({current.lower()})" if current else "ETA",
                _ui.fmt_seconds(status.get("eta_s")) if status["status"] in ACTIVE else "–",
                help="Time left in the current stage at its rate.")
    if status["status"] == RunStatus.COMPLETED or c.get("not_enriched"):
        st.caption(enrichment_summary(c, provider))
    if status.get("error"):
        st.error(_ui.md(status["error"]))
    seen = st.session_state.setdefault("_run_seen_status", {})
    previous = seen.get(run_id)
    seen[run_id] = status["status"]
    if previous in ACTIVE and status["status"] not in ACTIVE:
        st.rerun(scope="app")  # refresh the page (buttons, runs table) and stop polling


def _scope(r: dict[str, Any]) -> str:
    return r["batch_name"] or "All leads of the client"


def progress_panel(eng: Engine, client: dict[str, Any]) -> None:
    cid = client["id"]
    runs = eng.views.run_rows(cid, limit=20)
    if not runs:
        return
    st.subheader("Progress")
    by_id = {r["id"]: r for r in runs}
    wanted = st.session_state.get(f"run_view_{cid}")
    if wanted not in by_id:
        active = [r for r in runs if r["status"] in RunStatus.unfinished()]
        wanted = (active or runs)[0]["id"]
    run_id = st.selectbox("Run", list(by_id), index=list(by_id).index(wanted), key=f"run_pick_{cid}_{wanted}",
                          format_func=lambda i: f"Run #{i} · {_scope(by_id[i])} · v{by_id[i]['icp_version']} · "
                                                f"started {_ui.when(by_id[i]['created_at'])} by {by_id[i]['created_by']}")
    st.session_state[f"run_view_{cid}"] = run_id
    run = by_id[run_id]
    live = run["status"] in ACTIVE
    st.fragment(run_every=REFRESH_S if live else None)(_progress_body)(eng, run_id,
                                                                      (run.get("options") or {}).get("enrich"))

    stale = eng.run_needs_resume(run)
    if stale:
        st.warning("This run has no live worker (the app was restarted or the worker died). Resume it to continue.")
    b = st.columns(4)
    if b[0].button("Pause", disabled=run["status"] not in ACTIVE, key=f"pause_{run_id}"):
        eng.pause_run(run_id)
        _ui.flash(f"Run #{run_id} will pause after its current chunk.", "info")
        st.rerun()
    if b[1].button("Resume", disabled=not (run["status"] in (RunStatus.PAUSED, RunStatus.FAILED) or stale),
                   key=f"resume_{run_id}"):
        eng.resume_run(run_id)
        st.rerun()
    if b[2].button("Cancel", disabled=run["status"] in (RunStatus.COMPLETED, RunStatus.CANCELLED),
                   key=f"cancel_{run_id}"):
        eng.cancel_run(run_id)
        _ui.flash(f"Run #{run_id} cancelled; work already done is kept.", "info")
        st.rerun()
    failed = eng.views.failed_count(cid, run["batch_id"])
    if b[3].button(f"Retry {failed} failed leads", disabled=failed == 0 or live, key=f"retry_{run_id}"):
        n, new_id = eng.retry_failed_run(run_id, author=_ui.author())
        st.session_state[f"run_view_{cid}"] = new_id
        _ui.flash(f"{n} failed leads queued again in run #{new_id}.")
        st.rerun()
    if run["status"] == RunStatus.COMPLETED:
        changed = change_summary((run.get("actual") or {}).get("changes"), (run.get("options") or {}).get("enrich"))
        if changed:
            st.info(changed, icon=":material/published_with_changes:")
        st.success(f"Done: this run scored {run['scored_by_run']:,} leads. Next: **Review** a sample of the leads, "
                   "then **Export** the ranked CSV.")
        st.page_link(_ui.PAGE_FILES["review"], label="Go to Review", icon=":material/fact_check:")

    st.subheader("Recent runs")
    table = pd.DataFrame(
        [
            {
                "Run": f"#{r['id']}", "Status": _ui.RUN_STATUS.get(r["status"], r["status"]),
                "Leads": _scope(r), "ICP version": f"v{r['icp_version']}",
                "Scored by this run": r["scored_by_run"], "Failed": (r.get("counts") or {}).get("failed", 0),
                "Enrichment": _ui.ENRICH_WORDS.get((r.get("options") or {}).get("enrich"), "–"),
                "Reranker": _ui.RERANK_WORDS.get((r.get("options") or {}).get("reranker"), "–"),
                "By": r["created_by"], "Started": _ui.when(r["created_at"]),
                "Took": _ui.took(r["created_at"], r["finished_at"]),
            }
            for r in runs
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")


def main() -> None:
    _ui.require(Permission.RUN)
    eng: Engine = _ui.engine()
    st.title("Run qualification")
    _ui.show_flash()
    client = _ui.require_client(eng)
    providers_box(eng)
    start_form(eng, client)
    progress_panel(eng, client)


main()
