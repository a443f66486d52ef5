"""Review: label leads keep / trash / skip in a seeded random order, scores hidden by default."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from icp_engine import Engine, FeedbackLabel, Permission, criteria_rows
from pages import _ui

QUEUE_SIZE = 20
_NUMBER = re.compile(r"\s*\((?:\d+(?:\.\d+)?|\.\d+)\)")
_UNKNOWN = {None, "", "unknown"}


def evidence_markdown(reasoning: str, show_scores: bool) -> str:
    """The scorer's one-line reasoning as a bullet per criterion (``a · b · c``), each part escaped
    (it quotes the lead's titles).

    While scores are hidden, similarity numbers such as ``(0.81)`` are dropped so the reviewer
    sees the evidence (which title matched which target, the industry, the size) but no score.
    """
    parts = [p.strip() for p in reasoning.split(" · ") if p.strip()]
    if not parts:
        return "–"
    if not show_scores:
        parts = [_NUMBER.sub("", p) for p in parts]
    return "\n".join(f"- {_ui.md(p)}" for p in parts)


def profile_card(lead: dict[str, Any], show_scores: bool) -> None:
    with st.container(border=True):
        name = _ui.md(lead.get("name") or lead.get("profile_key"))
        url = _ui.safe_url(lead.get("profile_url"))
        st.markdown(f"### [{name}]({url})" if url else f"### {name}")
        if lead.get("headline"):
            st.markdown(f"_{_ui.md(lead['headline'])}_")

        def known(v: Any) -> str:
            return "–" if v in _UNKNOWN else str(v)

        facts = {
            "Current titles": "; ".join(lead.get("titles") or []) or "–",
            "Company": known(lead.get("company")),
            "Industry": known(lead.get("industry") or lead.get("industry_class")),
            "Company size": known(lead.get("company_size")),
            "Company type": known(lead.get("company_type")),
            "Location": known(lead.get("location")),
        }
        cols = st.columns(3)
        for i, (k, v) in enumerate(facts.items()):
            cols[i % 3].markdown(f"**{k}**  \n{_ui.md(v)}")
        if lead.get("past_roles"):
            st.markdown("**Earlier roles:** " + _ui.md("; ".join(lead["past_roles"])))
        if lead.get("summary"):
            with st.expander("Summary"):
                st.text(lead["summary"])
        if lead.get("skills"):
            st.caption("Skills: " + _ui.md(", ".join(lead["skills"][:20])))
        st.markdown("**Evidence per criterion**")
        st.markdown(evidence_markdown(lead.get("match_reasoning") or "", show_scores))
        comps = lead.get("components") or {}
        if show_scores:
            st.metric("ICP score", f"{float(lead['icp_score']):.0f} / 100")
            st.caption(f"Bucket: **{str(lead.get('bucket') or '–').capitalize()}**")
            rows = criteria_rows(comps)
            if rows:
                st.dataframe(
                    pd.DataFrame(rows), hide_index=True, width="stretch",
                    column_config={"criterion": "Criterion", "fit": "Fit", "evidence": "Evidence"},
                )
        else:
            st.caption("Score hidden while labelling (toggle *Show scores* to see it).")


def _label(eng: Engine, lead_id: int, label: FeedbackLabel, reviewer: str, name: str, version_id: int,
           queue: str = "random") -> None:
    eng.record_feedback(lead_id, label, reviewer, queue, icp_version_id=version_id)
    st.session_state["_review_last"] = f"{_ui.LABEL_WORDS.get(label, label)} · {name}"


# ---------------------------------------------------------------- learning from reviews (issue 10)

QUEUE_CHOICES = {"random": "Random (default)", "informative": "Most informative next"}


def queue_choice(cid: int) -> str:
    """The review order: ``random`` (default) or ``informative``."""
    return st.radio(
        "Order", list(QUEUE_CHOICES), format_func=QUEUE_CHOICES.__getitem__, horizontal=True,
        key=f"review_order_{cid}",
        help="Random: an unbiased sample; these reviews also measure how much the learned model helps. "
             "Most informative next: the leads the model is least sure about, marked as such and never used to "
             "measure it; every other lead (and the first 30) is a random pick, so your reviews keep measuring it.")


def review_queue_for(eng: Engine, cid: int, reviewer: str, batch_id: int | None, order: str,
                     version_id: int | None = None) -> list[dict[str, Any]]:
    """The leads to review next in the chosen order."""
    if order == "informative":
        with st.spinner("Finding the most informative leads…"):
            return eng.feedback.informative_queue(cid, reviewer, batch_id=batch_id, limit=QUEUE_SIZE)
    return eng.review_queue(cid, reviewer, batch_id=batch_id, limit=QUEUE_SIZE, icp_version_id=version_id)


def _fmt_auc(v: Any) -> str:
    return "–" if v is None else f"{float(v):.3f}"


def learning_panel(eng: Engine, cid: int) -> None:
    """What the reviews teach: the measured effect of the learned model on held-out reviews."""
    with st.expander("Learning from your reviews", icon=":material/school:"):
        last = eng.feedback.last_run_learning(cid)
        if last and last.get("n_reviews"):
            if last.get("applied"):
                st.success(f"The last run (run {last['run_id']}) applied the model learned from "
                           f"{last['n_reviews']} reviews to {last.get('applied_to', 0)} leads.")
            else:
                st.info(f"The last run (run {last['run_id']}) kept the scorer's scores: {last.get('reason')}")
        st.caption("Measured on your own reviews: each held-out review is predicted by a model fitted on the "
                   "others (cross-validation); only random-order and imported reviews measure. Run the client "
                   "again to apply what was learned.")
        rep = eng.feedback.measure(cid) if st.session_state.get(f"_learn_measured_{cid}") else None
        if st.button("Measure with the latest reviews", key=f"learn_measure_{cid}", icon=":material/analytics:"):
            st.session_state[f"_learn_measured_{cid}"] = True
            with st.spinner("Fitting on your reviews…"):
                rep = eng.feedback.measure(cid)
        if rep is None:
            return
        cols = st.columns(3)
        cols[0].metric("Scorer alone (AUC)", _fmt_auc(rep.get("static_auc")))
        lift = rep.get("lift")
        cols[1].metric("Learned (AUC)", _fmt_auc(rep.get("learned_auc")),
                       None if lift is None else f"{lift:+.3f}")
        cols[2].metric("Reviews that measure", rep.get("n_validation") or 0)
        (st.success if rep.get("applied") else st.info)(rep.get("reason") or "")
        extra = rep.get("suggested_extra_labels")
        if extra is None:
            pass
        elif extra > 0:
            st.markdown(f"About **{extra} more** random reviews would still improve the model.")
        else:
            st.markdown("More reviews would add little now.")
        curve = rep.get("learning_curve") or []
        if len(curve) >= 2:
            st.caption("Learning curve (reviews used for training → AUC on held-out reviews): "
                       + ", ".join(f"{int(n)} → {float(a):.3f}" for n, a in curve))


def main() -> None:
    user = _ui.require(Permission.REVIEW)
    eng: Engine = _ui.engine()
    st.title("Review")
    _ui.show_flash()
    client = _ui.require_client(eng)
    cid = client["id"]
    reviewer = user.username  # labels are stored with the signed-in account

    state = _ui.results_banner(eng, cid, key="review")
    shown = state["shown"]
    if shown is None:
        st.info("No scored leads yet: start a qualification on **Run**.")
        if user.can(Permission.RUN):
            st.page_link(_ui.PAGE_FILES["run"], label="Go to Run", icon=":material/play_circle:")
        return
    version_id = shown["id"]

    batches = eng.views.batch_options(cid)
    bnames = {b["id"]: b["name"] for b in batches}
    top = st.columns([3, 1])
    batch_id = top[0].selectbox("Leads", [None, *bnames], key=f"review_batch_{cid}",
                                format_func=lambda b: "All leads of the client" if b is None else bnames[b])
    show_scores = top[1].toggle("Show scores", value=False, key="review_show_scores")

    progress = eng.review_progress(cid, reviewer, batch_id, icp_version_id=version_id)
    scored = progress["scored"]
    if scored == 0:
        st.info(f"No lead of this batch is scored with v{shown['version']} yet: start a qualification on **Run**.")
        if user.can(Permission.RUN):
            st.page_link(_ui.PAGE_FILES["run"], label="Go to Run", icon=":material/play_circle:")
        return
    st.progress(min(1.0, progress["labelled"] / scored),
                text=f"{progress['labelled']} of {scored} reviewed · keep {progress['keep']} · "
                     f"trash {progress['trash']} · skip {progress['skip']}")
    st.caption(f"Order is random per reviewer ({_ui.md(reviewer)}) and independent of the score; it stays the same on reload. "
               "Keys: **K** keep · **T** trash · **S** skip · **U** undo.")

    learning_panel(eng, cid)
    order = queue_choice(cid)
    queue = review_queue_for(eng, cid, reviewer, batch_id, order, version_id)
    last = st.session_state.get("_review_last")
    undo_col, info_col = st.columns([1, 3])
    if undo_col.button("Undo last label", icon=":material/undo:", key="review_undo", shortcut="U"):
        undone = eng.undo_last_feedback(cid, reviewer)
        if undone:
            who = _ui.md(undone.get("name")) or "a lead without a name"
            _ui.flash(f"Undid **{_ui.LABEL_WORDS.get(undone['label'], undone['label'])}** on {who}.", "info")
        else:
            _ui.flash("Nothing to undo.", "info")
        st.session_state.pop("_review_last", None)
        st.rerun()
    if last:
        info_col.caption(f"Last: {_ui.md(last)}")

    if not queue:
        st.success("All scored leads are reviewed. Export them on **Export**.")
        st.page_link(_ui.PAGE_FILES["export"], label="Go to Export", icon=":material/download:")
        return
    lead = queue[0]
    # the queue this label is stored with: the "most informative next" order serves a random-order
    # lead every other review (and for the first ones), so the reviews keep measuring the model
    source = str(lead.get("review_queue") or order)
    name = lead.get("name") or lead.get("profile_key")
    b = st.columns(3)
    b[0].button("Keep", icon=":material/thumb_up:", type="primary", width="stretch", key=f"keep_{lead['id']}", shortcut="K",
                on_click=_label, args=(eng, lead["id"], FeedbackLabel.KEEP, reviewer, name, version_id, source))
    b[1].button("Trash", icon=":material/delete:", width="stretch", key=f"trash_{lead['id']}", shortcut="T",
                on_click=_label, args=(eng, lead["id"], FeedbackLabel.TRASH, reviewer, name, version_id, source))
    b[2].button("Skip", icon=":material/skip_next:", width="stretch", key=f"skip_{lead['id']}", shortcut="S",
                on_click=_label, args=(eng, lead["id"], FeedbackLabel.SKIP, reviewer, name, version_id, source))
    if source == "informative":
        st.caption("Most informative next: this review is marked as such and trains the model without measuring it.")
    elif order == "informative":
        st.caption("Most informative next, random pick: every other review (and the first 30) comes from the random "
                   "order, so your reviews keep measuring the model.")
    profile_card(lead, show_scores)

    if st.toggle("Show similar leads", key="review_similar", help="Nearest leads of this client by cosine similarity "
                 "of their profile embeddings (pgvector)."):
        try:
            similar = eng.similar_leads(lead["id"], k=5)
        except Exception as exc:  # noqa: BLE001 - optional helper, never blocks labelling
            st.caption(f"Similar leads unavailable: {_ui.md(exc)}")
        else:
            if similar:
                df = pd.DataFrame(similar)
                df["cosine_similarity"] = df["cosine_similarity"].astype(float).round(3)
                st.dataframe(df.drop(columns=["id"]), hide_index=True, width="stretch",
                             column_config={"name": "Name", "headline": "Headline",
                                            "cosine_similarity": st.column_config.NumberColumn(
                                                "Similarity", help="Cosine similarity of the profile embeddings (1 = same)",
                                                format="%.2f")})
            else:
                st.caption("No embeddings yet for this client's leads.")

    recent = eng.views.recent_labels(cid, reviewer, limit=8)
    if recent:
        with st.expander("Your recent labels"):
            st.dataframe(
                pd.DataFrame([{"Lead": r["name"] or "–", "Label": _ui.LABEL_WORDS.get(r["label"], r["label"]),
                               "When": _ui.when(r["created_at"]), "Undone": bool(r["undone"])} for r in recent]),
                hide_index=True, width="stretch",
            )


main()
