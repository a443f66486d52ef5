"""Command line: ``python -m icp_engine COMMAND`` (typer). Calls the same functions as the dashboard.

Commands: ``run`` (one shot: file in, ranked CSV out), ``rank`` (JSONL leads -> JSONL scores on
stdout, no database), ``eval`` (benchmark files or a client's reviewed leads), ``runs``,
``status``, ``resume``, ``pause``, ``cancel``, ``clients``, ``db-stop``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from .config import Settings
from .domain import ICP, Profile

app = typer.Typer(add_completion=False, no_args_is_help=True, help="ICP Qualifier: rank LinkedIn followers against an ICP.")
err = Console(stderr=True)


def _load_icp(path: Path) -> ICP:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise typer.BadParameter(f"ICP file not found: {path}")
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"ICP file {path} is not valid JSON: {exc}")
    if not isinstance(data, dict):
        raise typer.BadParameter("the ICP file must hold a JSON object")
    icp = ICP.model_validate(data)
    if icp.is_empty():
        raise typer.BadParameter("the ICP sets no criterion (target_titles, target_industries, company_sizes, keywords)")
    return icp


def _engine():
    from .engine import Engine

    return Engine(Settings())


class _Bars:
    """rich progress bars fed by run progress dicts (one bar per stage)."""

    def __init__(self, progress: Progress):
        self.p = progress
        self.tasks: dict[str, Any] = {}

    def __call__(self, prog: dict[str, Any]) -> None:
        c = prog["counts"]
        total = max(1, c["total"])
        stage = prog.get("stage", "")
        done_by_stage = {
            "enrich": c["enriched"] + c["failed"],
            "classify": c["classified"],
            "embed": c["enriched"],
            "score": c["scored"],
        }
        for name in ("enrich", "classify", "score"):
            if name not in self.tasks and (name == stage or name in ("enrich",)):
                self.tasks[name] = self.p.add_task(name, total=total)
            if name in self.tasks:
                self.p.update(self.tasks[name], completed=min(total, done_by_stage[name]), total=total)


@app.command()
def run(
    client: str = typer.Option(..., "--client", help="Client name (created if new)."),
    icp: Path = typer.Option(..., "--icp", help="ICP JSON file."),
    input: Path = typer.Option(..., "--input", help="Saved followers page, Connections.csv or URL list."),
    out: Path = typer.Option(..., "--out", help="Where to write the ranked CSV."),
    enrich: str = typer.Option("page", "--enrich", help="page | apify-json | apify"),
    profiles: Optional[Path] = typer.Option(None, "--profiles", help="Apify items JSON for --enrich apify-json."),
    reranker: str = typer.Option("none", "--reranker", help="none | local | jina | cohere"),
    batch_name: Optional[str] = typer.Option(None, "--batch-name"),
    no_classify: bool = typer.Option(False, "--no-classify", help="Skip the classification stage."),
    chunk_size: int = typer.Option(500, "--chunk-size", min=1, max=10_000, help="Leads per committed chunk."),
) -> None:
    """One shot: ingest INPUT for CLIENT, qualify it against the ICP, write the ranked CSV."""
    from .ingest.upload import UploadError
    from .pipeline import RunOptions

    icp_obj = _load_icp(icp)
    if enrich == "apify-json" and not profiles:
        raise typer.BadParameter("--enrich apify-json needs --profiles ITEMS.json")
    if profiles is not None and not profiles.is_file():
        raise typer.BadParameter(f"profiles file not found: {profiles}")
    try:
        data = input.read_bytes()
    except FileNotFoundError:
        raise typer.BadParameter(f"input file not found: {input}")
    eng = _engine()
    try:
        parsed = eng.parse_upload(input.name, data)
    except UploadError as exc:
        err.print(f"[red]Cannot read {input}:[/red] {exc}")
        raise typer.Exit(2)
    c = eng.get_or_create_client(client)
    ver = eng.save_icp(c["id"], icp_obj, author="cli", note=f"from {icp.name}")
    batch = eng.ingest_followers(
        c["id"], parsed.people, batch_name=batch_name or input.name, source_filename=input.name,
        source_kind=parsed.kind,
    )
    err.print(
        f"{input.name}: {len(parsed.people)} people ({batch['new_leads']} new, {batch['known_leads']} already leads "
        f"of {client}); ICP version {ver['version']}"
    )
    for w in parsed.warnings:
        err.print(f"[yellow]warning:[/yellow] {w}")
    options = RunOptions(
        enrich=enrich, profiles_path=str(profiles) if profiles else None, reranker=reranker,
        classify=not no_classify, chunk_size=chunk_size,
    )
    run_id = eng.create_run(c["id"], batch_id=batch["id"], icp_version_id=ver["id"], options=options, author="cli")
    err.print(f"run {run_id} started (resume with: python -m icp_engine resume {run_id})")
    t0 = time.perf_counter()
    with Progress(
        TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), console=err, transient=False,
    ) as progress:
        final = eng.execute_run(run_id, on_progress=_Bars(progress))
    data_out = eng.export_csv(c["id"], batch_id=batch["id"], icp_version_id=ver["id"])
    out.write_bytes(data_out)
    cnt = final["counts"]
    err.print(
        f"wrote {out} ({cnt['scored']} leads, {cnt['failed']} failed) in {time.perf_counter() - t0:.1f} s"
    )


def _profile_from_json(obj: dict[str, Any]) -> Profile:
    titles = obj.get("titles") or obj.get("current_titles") or ([obj["title"]] if obj.get("title") else [])
    if isinstance(titles, str):
        titles = [t.strip() for t in titles.split(";") if t.strip()]

    def as_list(v: Any) -> list[str]:
        if v is None:
            return []
        if isinstance(v, str):
            return [v]
        return [str(x) for x in v]

    return Profile(
        name=obj.get("name"),
        headline=obj.get("headline"),
        location=obj.get("location"),
        titles=[str(t) for t in titles],
        company=obj.get("company"),
        company_size=obj.get("company_size"),
        industry=obj.get("industry"),
        summary=obj.get("summary"),
        past_roles=as_list(obj.get("past_roles")),
        skills=as_list(obj.get("skills")),
        company_type=obj.get("company_type"),
        source="rank",
    )


@app.command()
def rank(
    icp: Path = typer.Option(..., "--icp", help="ICP JSON file."),
    leads: Path = typer.Option(..., "--leads", help="JSONL: one lead object per line (id + profile fields); - for stdin."),
    reranker: str = typer.Option("none", "--reranker", help="none | local | jina | cohere"),
    judge: bool = typer.Option(False, "--judge", help="With OPENAI_API_KEY: an LLM rules on the uncertain band (cost shown first)."),
) -> None:
    """Score JSONL leads against an ICP; print ``{id, icp_score, bucket, match_reasoning}`` lines.

    Uses exactly the pipeline's scorer and embedder (without the database cache). ``icp_score``
    is 100 x the probability that the client keeps the lead (two decimals).
    """
    from .embeddings import get_embedder
    from .scoring.scorer import Scorer

    icp_obj = _load_icp(icp)
    stream = sys.stdin if str(leads) == "-" else leads.open(encoding="utf-8")
    ids: list[Any] = []
    profiles: list[Profile] = []
    with stream:
        for n, line in enumerate(stream, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                err.print(f"[red]line {n} is not JSON:[/red] {exc}")
                raise typer.Exit(2)
            if not isinstance(obj, dict):
                err.print(f"[red]line {n} is not a JSON object[/red]")
                raise typer.Exit(2)
            ids.append(obj.get("id", n))
            profiles.append(_profile_from_json(obj))
    settings = Settings()
    rr = None
    if reranker != "none":
        from .rerank import get_reranker

        rr = get_reranker(reranker, settings)
    jd = None
    if judge:
        if not settings.openai_api_key:
            err.print("[red]--judge needs OPENAI_API_KEY[/red]")
            raise typer.Exit(2)
        from .scoring.judge import OpenAIJudge

        jd = OpenAIJudge.from_settings(settings)
        est = jd.estimate(len(profiles), icp_obj)
        err.print(f"LLM judgement: at most {est['leads']} leads in {est['requests']} requests, "
                  f"~{est['input_tokens'] + est['output_tokens']:,} tokens, "
                  + (f"at most ${est['usd']:.4f}" if est["usd"] is not None else "price unknown"))
    scorer = Scorer(get_embedder(settings, db=None), reranker=rr, rerank_top_n=settings.rerank_top_n, judge=jd)
    results = scorer.score(icp_obj, profiles)
    out = sys.stdout
    for i, res in zip(ids, results):
        out.write(json.dumps({"id": i, "icp_score": round(float(res.icp_score), 2), "bucket": res.bucket,
                              "match_reasoning": res.match_reasoning}, ensure_ascii=False) + "\n")


@app.command("eval")
def eval_(
    bench: Optional[Path] = typer.Argument(
        None, help="Benchmark folder with queries.jsonl, pool.jsonl, qrels.tsv (format: ../shared/bench/README.md)."
    ),
    split: str = typer.Option("test", "--split", help="dev | test"),
    rerankers: str = typer.Option("none", "--rerankers", help="Comma list of configurations to compare: none,local,jina,cohere"),
    tracks: Optional[str] = typer.Option(None, "--tracks", help="Comma list of tracks (default: all)."),
    client: Optional[str] = typer.Option(None, "--client", help="Evaluate on this client's reviewed leads instead."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Matching quality: nDCG@10, P@10, P@50, AUC and time, on benchmark files or a client's review labels.

    With BENCH: one row per (configuration, track); ``none`` is stage 1 alone, the others add that
    reranker on the top N. With ``--client``: keep = positive, trash = negative, on the current ICP.
    """
    from . import evals

    if client:
        eng = _engine()
        c = eng.get_client(client)
        res = evals.evaluate_feedback(eng.feedback_rows(c["id"]))
        typer.echo(json.dumps(res, indent=2, default=float))
        return
    if bench is None:
        raise typer.BadParameter("give a benchmark folder or --client NAME")
    if not (bench / "queries.jsonl").is_file():
        raise typer.BadParameter(f"{bench} has no queries.jsonl")
    from .embeddings import get_embedder
    from .scoring.scorer import Scorer

    settings = Settings()
    embedder = get_embedder(settings, db=None)
    configs: dict[str, Any] = {}
    for name in [r.strip() for r in rerankers.split(",") if r.strip()]:
        if name == "none":
            configs["stage1"] = Scorer(embedder)
        else:
            from .rerank import get_reranker

            configs[f"stage1+{name}"] = Scorer(embedder, reranker=get_reranker(name, settings),
                                               rerank_top_n=settings.rerank_top_n)
    track_list = [t.strip() for t in tracks.split(",")] if tracks else None
    t0 = time.perf_counter()
    results = evals.evaluate_benchmark(bench, split=split, configs=configs, tracks=track_list)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2, default=float))
    else:
        typer.echo(evals.format_table(results))
    err.print(f"evaluated in {time.perf_counter() - t0:.1f} s")


@app.command()
def status(run_id: int) -> None:
    """Show a run's progress (read from the database)."""
    eng = _engine()
    typer.echo(json.dumps(eng.run_status(run_id), default=str, indent=2))


@app.command()
def resume(run_id: int) -> None:
    """Resume a paused, failed or interrupted run in the foreground, with progress bars."""
    eng = _engine()
    eng._set_run_status(run_id, "queued", ("paused", "failed"))
    with Progress(TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err) as progress:
        final = eng.execute_run(run_id, on_progress=_Bars(progress))
    err.print(json.dumps(final["counts"]))


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Exit when no run is waiting."),
    poll: float = typer.Option(5.0, "--poll", help="Seconds between looks for new runs."),
) -> None:
    """Execute queued and abandoned runs; start one per machine that shares the database."""
    eng = _engine()
    err.print(f"worker {eng.worker_id} on {'DATABASE_URL' if eng.settings.database_url else 'embedded Postgres'}")
    n = eng.work(once=once, poll_s=poll)
    err.print(f"{n} run(s) completed")


@app.command()
def pause(run_id: int) -> None:
    """Ask a running run to stop after its current chunk (resume later)."""
    typer.echo("paused" if _engine().pause_run(run_id) else "not running")


@app.command()
def cancel(run_id: int) -> None:
    """Cancel a run for good."""
    typer.echo("cancelled" if _engine().cancel_run(run_id) else "nothing to cancel")


@app.command()
def runs(client: Optional[str] = typer.Option(None, "--client")) -> None:
    """List recent runs."""
    eng = _engine()
    cid = eng.get_client(client)["id"] if client else None
    table = Table("id", "client", "batch", "status", "stage", "counts", "created")
    for r in eng.list_runs(cid):
        table.add_row(str(r["id"]), str(r["client_id"]), str(r["batch_id"]), r["status"], r["stage"],
                      json.dumps(r["counts"]), str(r["created_at"])[:19])
    Console().print(table)


@app.command()
def clients() -> None:
    """List clients."""
    table = Table("id", "name", "leads", "ICP version")
    for c in _engine().list_clients():
        table.add_row(str(c["id"]), c["name"], str(c["leads"]), str(c["icp_version"] or "-"))
    Console().print(table)


@app.command("db-stop")
def db_stop() -> None:
    """Stop the embedded Postgres server (it otherwise keeps running for the next start)."""
    from .storage import stop_embedded_postgres

    s = Settings()
    if s.database_url:
        typer.echo("DATABASE_URL is set: nothing embedded to stop")
        return
    stop_embedded_postgres(s.icp_data_dir)
    typer.echo("stopped")


def main() -> None:  # pragma: no cover - entry point
    app()
