"""Export: filters, score distribution, summary, paged lead table and the ranked CSV download.

The CSV is generated when the download button is clicked (Streamlit calls the ``data``
callable then, on its own thread), and the leads in it are marked ``exported`` at that moment by
:meth:`icp_engine.Engine.export_csv`. So merely opening this page or changing a filter never
marks anything, and what is marked is exactly what was downloaded.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from icp_engine import Bucket, Engine, LeadFilters, Permission, score_rows
from pages import _ui

PAGE_SIZE = 50
BUCKETS = [b.value for b in Bucket]
BUCKET_COLORS = {"Strong": "#15803d", "Good": "#65a30d", "Possible": "#ca8a04", "Poor": "#9ca3af"}
STATUS_WORDS = {"discovered": "Not enriched yet", "enriched": "Enriched", "qualified": "Scored",
                "exported": "Exported", "failed": "Enrichment failed"}


def filters_bar(eng: Engine, cid: int, shown: dict) -> LeadFilters:
    versions = [v for v in eng.views.version_scores(cid) if v["scored"]]
    by_id = {v["id"]: v for v in versions}
    batches = eng.views.batch_options(cid)
    bnames = {b["id"]: b["name"] for b in batches}
    c = st.columns([4, 3, 3])
    d = st.columns([4, 3, 3], vertical_alignment="bottom")
    vkey = f"export_version_{cid}"
    if st.session_state.get(vkey) not in by_id:
        st.session_state[vkey] = shown["id"]
    version_id = c[0].selectbox(
        "ICP version", list(by_id), key=vkey,
        format_func=lambda v: f"v{by_id[v]['version']}" + (f" · {by_id[v]['name']}" if by_id[v]["name"] else "")
        + f" ({by_id[v]['scored']:,} scored)",
        help="Whose scores to show and export. Each ICP version keeps its own scores.",
    )
    batch_id = c[1].selectbox("Leads", [None, *bnames], key=f"export_batch_{cid}",
                              format_func=lambda b: "All leads of the client" if b is None else bnames[b])
    min_score = d[0].slider("Minimum score", 0, 100, 0, step=5, key=f"export_min_{cid}")
    buckets = c[2].multiselect("Buckets", BUCKETS, key=f"export_buckets_{cid}", placeholder="All buckets",
                               format_func=str.capitalize)
    only_kept = d[1].checkbox("Only kept", key=f"export_kept_{cid}", help="Only leads a reviewer marked keep.")
    return LeadFilters(batch_id=batch_id, min_score=float(min_score) if min_score else None,
                       buckets=tuple(buckets), only_kept=only_kept, icp_version_id=version_id)


def charts(eng: Engine, cid: int, f: LeadFilters) -> None:
    """Bucket counts, the score histogram and the per-batch mix, all of the leads the filters select."""
    counts = eng.bucket_counts(cid, f)
    m = st.columns(4)
    for i, b in enumerate(BUCKETS):
        m[i].metric(b.capitalize(), f"{counts.get(b, 0):,}")
    left, right = st.columns(2)
    hist = eng.score_histogram(cid, f, bin_width=5)
    with left:
        if hist:
            df = pd.DataFrame(hist)
            df["range"] = df["bin_start"].map(lambda s: f"{s}-{s + 5}")
            fig = go.Figure(go.Bar(x=df["bin_start"] + 2.5, y=df["count"], width=5, marker_color="#2563eb",
                                   customdata=df["range"], hovertemplate="score %{customdata}: %{y} leads<extra></extra>"))
            fig.update_layout(title="Score distribution", xaxis_title="ICP score", yaxis_title="Leads",
                              xaxis_range=[0, 100], height=320, margin=dict(l=10, r=10, t=40, b=10), bargap=0.05)
            st.plotly_chart(fig, width="stretch")
    with right:
        per_batch = eng.views.buckets_by_batch(cid, f)
        if per_batch:
            rows = []
            for r in per_batch:
                label = f"{_ui.chart_text(str(r['batch_name'])[:28])} · {_ui.when(r['created_at'])}"
                for b in BUCKETS:
                    rows.append({"Batch": label, "Bucket": b.capitalize(), "Share": r[f"share_{b}"] * 100,
                                 "Leads": r[b], "Of": r["leads"]})
            long = pd.DataFrame(rows)
            fig = px.bar(long, x="Batch", y="Share", color="Bucket", color_discrete_map=BUCKET_COLORS,
                         category_orders={"Bucket": [b.capitalize() for b in BUCKETS]},
                         custom_data=["Leads", "Of"], title="Bucket shares per batch")
            fig.update_traces(hovertemplate="%{x}<br>%{y:.0f} % (%{customdata[0]} of %{customdata[1]} leads)"
                                            "<extra></extra>")
            fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10), xaxis_title=None,
                              yaxis_title="Share of the batch's leads (%)", yaxis_range=[0, 100], legend_title=None)
            st.plotly_chart(fig, width="stretch")


def summary(eng: Engine, cid: int, f: LeadFilters) -> int:
    s = eng.views.export_summary(cid, f)
    st.markdown(
        f"**{s['leads']}** leads match the filters · **{s['strong']}** strong fits · "
        f"**{s['kept']}** kept by reviewers" + (f" · average score **{s['avg_score']:.0f}**" if s["avg_score"] is not None else "")
    )
    c = st.columns(2)
    if s["top_titles"]:
        c[0].dataframe(pd.DataFrame(s["top_titles"], columns=["Top titles", "Leads"]), hide_index=True, width="stretch")
    if s["top_companies"]:
        c[1].dataframe(pd.DataFrame(s["top_companies"], columns=["Top companies", "Leads"]), hide_index=True,
                       width="stretch")
    return s["leads"]


def lead_table(eng: Engine, cid: int, f: LeadFilters) -> None:
    key = f"export_page_{cid}"
    page = st.session_state.get(key, 0)
    result = eng.views.lead_page(cid, f, page=page, page_size=PAGE_SIZE)
    rows = score_rows(result["rows"])
    for r in rows:
        r["profile_url"] = _ui.safe_url(r.get("profile_url"))
    if rows:
        df = pd.DataFrame(rows).drop(columns=["id"])
        df["bucket"] = df["bucket"].map(lambda b: str(b).capitalize() if b else "")
        df["review_label"] = df["review_label"].map(lambda v: _ui.LABEL_WORDS.get(v, "") if v else "")
        df["status"] = df["status"].map(lambda v: STATUS_WORDS.get(v, v))
        st.dataframe(
            df.fillna(""),
            hide_index=True, width="stretch",
            column_order=("name", "icp_score", "bucket", "review_label", "titles", "company", "industry",
                          "company_size", "location", "headline", "status", "batch_name", "profile_url",
                          "match_reasoning"),
            column_config={
                "name": "Name",
                "icp_score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%.0f"),
                "bucket": "Bucket", "review_label": "Review", "titles": "Current titles", "company": "Company",
                "industry": "Industry", "company_size": "Company size", "location": "Location",
                "headline": "Headline", "status": "Status", "batch_name": "Batch",
                "profile_url": st.column_config.LinkColumn("Profile"),
                "match_reasoning": "Why this score",
            },
        )
    nav = st.columns([1, 2, 1])
    if nav[0].button("◀ Previous", disabled=result["page"] == 0, key=f"prev_{cid}"):
        st.session_state[key] = result["page"] - 1
        st.rerun()
    nav[1].caption(f"Page {result['page'] + 1} of {result['pages']} · {result['total']} leads")
    if nav[2].button("Next ▶", disabled=result["page"] >= result["pages"] - 1, key=f"next_{cid}"):
        st.session_state[key] = result["page"] + 1
        st.rerun()


def main() -> None:
    _ui.require(Permission.EXPORT)
    eng: Engine = _ui.engine()
    st.title("Export")
    _ui.show_flash()
    client = _ui.require_client(eng)
    cid = client["id"]
    if eng.current_icp(cid) is None:
        st.info("This client has no ICP yet: set one on **Clients & ICP**.")
        return
    state = _ui.results_banner(eng, cid, key="export")
    if state["shown"] is None:
        st.info("No scored leads yet: start a qualification on **Run**.")
        st.page_link(_ui.PAGE_FILES["run"], label="Go to Run", icon=":material/play_circle:")
        return
    f = filters_bar(eng, cid, state["shown"])
    sig = (f.batch_id, f.min_score, f.buckets, f.only_kept, f.icp_version_id)
    if st.session_state.get(f"export_sig_{cid}") != sig:  # new filters: back to page 1
        st.session_state[f"export_sig_{cid}"] = sig
        st.session_state[f"export_page_{cid}"] = 0

    charts(eng, cid, f)
    n = summary(eng, cid, f)

    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    safe = "".join(ch if ch.isalnum() else "-" for ch in client["name"]).strip("-").lower() or "client"

    def make_csv() -> bytes:
        return eng.export_csv(cid, mark_exported=True, **f.as_kwargs())

    st.download_button(
        f"Download CSV ({n} leads)", icon=":material/download:", data=make_csv, file_name=f"{safe}-leads-{stamp}.csv", mime="text/csv",
        type="primary", disabled=n == 0, on_click="ignore", key=f"download_{cid}",
        help="Ranked by score. Leads in the file are marked exported when you download.",
    )
    lead_table(eng, cid, f)


main()
