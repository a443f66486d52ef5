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
BUCKET_COLORS = {Bucket.STRONG: "#15803d", Bucket.GOOD: "#65a30d", Bucket.POSSIBLE: "#ca8a04", Bucket.POOR: "#9ca3af"}


def filters_bar(eng: Engine, cid: int) -> LeadFilters:
    batches = eng.views.batch_options(cid)
    bnames = {b["id"]: b["name"] for b in batches}
    c = st.columns([3, 2, 3, 2])
    batch_id = c[0].selectbox("Leads", [None, *bnames], key=f"export_batch_{cid}",
                              format_func=lambda b: "All leads of the client" if b is None else bnames[b])
    min_score = c[1].slider("Minimum score", 0, 100, 0, step=5, key=f"export_min_{cid}")
    buckets = c[2].multiselect("Buckets", BUCKETS, key=f"export_buckets_{cid}", placeholder="All buckets")
    c[3].write("")
    only_kept = c[3].checkbox("Only kept", key=f"export_kept_{cid}", help="Only leads a reviewer marked keep.")
    return LeadFilters(batch_id=batch_id, min_score=float(min_score) if min_score else None,
                             buckets=tuple(buckets), only_kept=only_kept)


def charts(eng: Engine, cid: int, f: LeadFilters) -> None:
    counts = eng.bucket_counts(cid, batch_id=f.batch_id)
    m = st.columns(4)
    for i, b in enumerate(BUCKETS):
        m[i].metric(b.capitalize(), counts.get(b, 0))
    left, right = st.columns(2)
    hist = eng.score_histogram(cid, batch_id=f.batch_id, bin_width=5)
    with left:
        if hist:
            df = pd.DataFrame(hist)
            df["range"] = df["bin_start"].map(lambda s: f"{s}-{s + 5}")
            fig = go.Figure(go.Bar(x=df["bin_start"] + 2.5, y=df["count"], width=5, marker_color="#2563eb",
                                   customdata=df["range"], hovertemplate="score %{customdata}: %{y} leads<extra></extra>"))
            fig.update_layout(title="Score distribution", xaxis_title="ICP score", yaxis_title="leads",
                              xaxis_range=[0, 100], height=320, margin=dict(l=10, r=10, t=40, b=10), bargap=0.05)
            st.plotly_chart(fig, width="stretch")
    with right:
        per_batch = eng.views.buckets_by_batch(cid)
        if len(per_batch) >= 1:
            df = pd.DataFrame(per_batch)
            df["batch"] = ["#" + str(i) + " " + _ui.chart_text(str(n)[:28]) for i, n in zip(df["batch_id"], df["batch_name"])]
            long = df.melt(id_vars=["batch"], value_vars=BUCKETS, var_name="bucket", value_name="leads")
            fig = px.bar(long, x="batch", y="leads", color="bucket", color_discrete_map=BUCKET_COLORS,
                         category_orders={"bucket": BUCKETS}, title="Buckets per batch over time")
            fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10), xaxis_title=None)
            st.plotly_chart(fig, width="stretch")


def summary(eng: Engine, cid: int, f: LeadFilters) -> int:
    s = eng.views.export_summary(cid, f)
    st.markdown(
        f"**{s['leads']}** leads match the filters · **{s['strong']}** strong fits · "
        f"**{s['kept']}** kept by reviewers" + (f" · average score **{s['avg_score']:.0f}**" if s["avg_score"] is not None else "")
    )
    c = st.columns(2)
    if s["top_titles"]:
        c[0].dataframe(pd.DataFrame(s["top_titles"], columns=["top titles", "leads"]), hide_index=True, width="stretch")
    if s["top_companies"]:
        c[1].dataframe(pd.DataFrame(s["top_companies"], columns=["top companies", "leads"]), hide_index=True, width="stretch")
    return s["leads"]


def lead_table(eng: Engine, cid: int, f: LeadFilters) -> None:
    key = f"export_page_{cid}"
    page = st.session_state.get(key, 0)
    result = eng.views.lead_page(cid, f, page=page, page_size=PAGE_SIZE)
    rows = score_rows(result["rows"])
    for r in rows:
        r["profile_url"] = _ui.safe_url(r.get("profile_url"))
    if rows:
        st.dataframe(
            pd.DataFrame(rows).drop(columns=["id"]).fillna(""),
            hide_index=True, width="stretch",
            column_order=("name", "icp_score", "bucket", "review_label", "titles", "company", "industry",
                          "company_size", "location", "headline", "status", "batch_name", "profile_url",
                          "match_reasoning"),
            column_config={
                "icp_score": st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%.0f"),
                "profile_url": st.column_config.LinkColumn("profile"),
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
    f = filters_bar(eng, cid)
    sig = (f.batch_id, f.min_score, f.buckets, f.only_kept)
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
