"""Command line: ``python -m icp_engine COMMAND`` (typer). Calls the same functions as the dashboard.

Commands: ``run`` (one shot: file in, ranked CSV out; refits the learned model on the client's
reviews), ``rank`` (JSONL leads -> JSONL scores on stdout, no database), ``eval`` (benchmark files
or a client's reviewed leads: static vs learned), ``feedback import`` (keep/trash labels from a
CSV), ``icp-from-calls``
(discovery calls -> quoted ICP proposal, optionally saved as a new ICP version), ``runs``,
``status``, ``resume``, ``pause``, ``cancel``, ``clients`` (``clients delete NAME --yes``),
``forget PROFILE_URL --yes``, ``users`` (``list``, ``add``, ``set-password``), ``db-stop``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from .config import Settings
from .domain import ICP, Profile
from .enums import EnrichProvider, RerankerName
from .errors import ICPError

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

app = typer.Typer(add_completion=False, no_args_is_help=True, help="ICP Qualifier: rank LinkedIn followers against an ICP.")
err = Console(stderr=True)


def _load_icp(path: Path) -> ICP:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise typer.BadParameter(f"ICP file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"ICP file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise typer.BadParameter("the ICP file must hold a JSON object")
    icp = ICP.model_validate(data)
    if icp.is_empty():
        raise typer.BadParameter("the ICP sets no criterion (target_titles, target_industries, company_sizes, keywords)")
    return icp


_engines: list[Engine] = []

#: Largest local file ``run --input`` reads (1 GiB). The dashboard's upload limit
#: (``Settings.max_upload_bytes``, 200 MiB) is about what a browser sends to the server; a local saved page
#: is parsed in slices (icp_engine.ingest.html_pages), so a 281 MB page of 100,000 followers needs no more
#: memory than its bytes plus one slice. ``MAX_UPLOAD_BYTES`` above this raises the CLI's limit too.
CLI_MAX_FILE_BYTES = 1 << 30


def _start_database_early() -> None:
    """Start the embedded Postgres in a background thread while this process imports the engine.

    Starting the server (``pg_ctl``, 0.3-0.4 s) is waiting on another process, and importing the
    engine's modules (0.8 s) is this process's own work: side by side, a ``run`` starts sooner.
    :class:`~icp_engine.db.Database` then finds the server started (or waits for the start under
    :mod:`icp_engine.db.embedded`'s lock); a failure here is left for it to report.
    """
    settings = Settings()
    if settings.database_url:
        return

    def start() -> None:
        try:
            from .db.embedded import start_embedded_postgres

            start_embedded_postgres(settings.icp_data_dir, idle_stop_s=settings.embedded_idle_stop_s)
        except Exception:  # noqa: BLE001 - Database() starts it again and reports the error
            pass

    import threading

    threading.Thread(target=start, name="db-start", daemon=True).start()


def _engine() -> Engine:
    from .engine import Engine

    eng = Engine(Settings())
    _engines.append(eng)
    return eng


class _PendingEngine:
    """An :class:`~icp_engine.engine.Engine` being built in a thread (see :func:`_engine_in_background`)."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._error: BaseException | None = None
        import threading

        self._thread = threading.Thread(target=self._build, name="engine-start", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        try:
            from .engine import Engine  # noqa: F401 - imported here first: the threads below import parts of it
            from .wiring import Wiring

            Wiring(Settings()).prefetch_models()  # the run's models load while Postgres starts
            self._engine = _engine()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread by result()
            self._error = exc

    def wait(self) -> None:
        """Wait until the engine is built or failed (nothing is raised)."""
        self._thread.join()

    def result(self) -> Engine:
        """The engine; raises what building it raised (e.g. :class:`~icp_engine.errors.DatabaseError`)."""
        self.wait()
        if self._error is not None:
            raise self._error
        assert self._engine is not None
        return self._engine


def _engine_in_background() -> _PendingEngine:
    """Build the engine (embedded Postgres start, migrations, expiry purges) in a thread.

    A first ``run`` in a new data folder waits ~1-2 s for ``initdb``, the server's start and the
    migrations; the page's parse (1-2 s for 10,000 followers) needs none of them, so the CLI
    parses while the engine gets ready. Nothing is written before both are done. The thread
    imports the engine's modules before it starts the models' prefetch
    (:meth:`~icp_engine.wiring.Wiring.prefetch_models`, which needs no database), so the two
    threads do not import the same modules at once.
    """
    return _PendingEngine()


def _release_embedded(eng: Engine) -> None:
    """Stop the embedded server this command started when nobody else uses it (see db.embedded)."""
    try:
        eng.db.release()
    except Exception as exc:  # noqa: BLE001 - tidying up must not turn a result into an error
        err.print(f"[yellow]note:[/yellow] the embedded database was left running ({exc})")


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
    enrich: EnrichProvider = typer.Option(EnrichProvider.PAGE, "--enrich", help="Where profile data comes from."),
    profiles: Optional[Path] = typer.Option(None, "--profiles", help="Apify items JSON for --enrich apify-json."),
    reranker: RerankerName = typer.Option(RerankerName.NONE, "--reranker", help="Second-stage reranker."),
    batch_name: Optional[str] = typer.Option(None, "--batch-name"),
    no_classify: bool = typer.Option(False, "--no-classify", help="Skip the classification stage."),
    chunk_size: int = typer.Option(500, "--chunk-size", min=1, max=10_000, help="Leads per committed chunk."),
    judge: bool = typer.Option(False, "--judge", help="With OPENAI_API_KEY: an LLM rules on the uncertain band "
                                                       "(its cost is printed before the run starts)."),
) -> None:
    """One shot: ingest INPUT for CLIENT, qualify it against the ICP, write the ranked CSV."""
    icp_obj = _load_icp(icp)
    if judge and not Settings().openai_api_key:
        err.print("[red]--judge needs OPENAI_API_KEY[/red]")
        raise typer.Exit(2)
    if enrich == EnrichProvider.APIFY_JSON and not profiles:
        raise typer.BadParameter("--enrich apify-json needs --profiles ITEMS.json")
    if profiles is not None and not profiles.is_file():
        raise typer.BadParameter(f"profiles file not found: {profiles}")
    try:
        data = input.read_bytes()
    except FileNotFoundError:
        raise typer.BadParameter(f"input file not found: {input}") from None
    _start_database_early()  # the checks above passed: this command will use the database
    settings = Settings()
    from .ingest.upload import UploadError, parse_upload, release_free_memory

    pending = _engine_in_background()  # the engine (Postgres start, migrations) and the models get ready meanwhile
    try:
        parsed = parse_upload(input.name, data, max_bytes=max(CLI_MAX_FILE_BYTES, settings.max_upload_bytes))
    except UploadError as exc:
        err.print(f"[red]Cannot read {input}:[/red] {exc}")
        pending.wait()  # an engine that started is released by main()
        raise typer.Exit(2) from None
    eng = pending.result()
    from .pipeline import RunOptions

    del data  # the page's bytes are not needed any more (281 MB for 100,000 followers)
    c = eng.get_or_create_client(client, author="cli")
    ver = eng.save_icp(c["id"], icp_obj, author="cli", note=f"from {icp.name}")
    batch = eng.ingest_followers(
        c["id"], parsed.people, batch_name=batch_name or input.name, source_filename=input.name,
        source_kind=parsed.kind,
    )
    n_people, warnings = len(parsed.people), parsed.warnings
    del parsed  # stored: the run reads the leads from Postgres
    release_free_memory()
    err.print(
        f"{input.name}: {n_people} people ({batch['new_leads']} new, {batch['known_leads']} already leads "
        f"of {client}); ICP version {ver['version']}"
    )
    for w in warnings:
        err.print(f"[yellow]warning:[/yellow] {w}")
    options = RunOptions(
        enrich=enrich, profiles_path=str(profiles) if profiles else None, reranker=reranker,
        classify=not no_classify, chunk_size=chunk_size, judge=judge,
    )
    run_id = eng.create_run(c["id"], batch_id=batch["id"], icp_version_id=ver["id"], options=options, author="cli")
    if judge:
        from .scoring.judge import describe_estimate

        row = next((r for r in eng.list_runs(c["id"], limit=10) if r["id"] == run_id), {})
        est = (row.get("estimate") or {}).get("judge") or {}
        err.print(describe_estimate(est) + " - only leads in the uncertain band are sent")
    err.print(f"run {run_id} queued (resume with: python -m icp_engine resume {run_id})")
    t0 = time.perf_counter()
    final = _wait_for_run(eng, run_id, lambda on_progress: eng.execute_run(run_id, on_progress=on_progress))
    data_out = eng.export_csv(c["id"], batch_id=batch["id"], icp_version_id=ver["id"])
    out.write_bytes(data_out)
    from .views import enrichment_summary

    cnt = final["counts"]
    learned = eng.feedback.last_run_learning(c["id"])
    if learned and learned.get("run_id") == run_id and learned.get("n_reviews"):
        err.print(_learning_line(learned) + (f" ({learned.get('applied_to', 0)} leads re-scored)"
                                             if learned.get("applied") else ""), highlight=False)
    err.print(f"wrote {out} in {time.perf_counter() - t0:.1f} s: {enrichment_summary(cnt, options.enrich)}",
              highlight=False)


def _wait_for_run(eng: Engine, run_id: int, start: Any) -> dict[str, Any]:
    """Execute/wait for a run with progress bars; a paused, cancelled or failed run exits with code 1."""
    from .errors import RunFailed, RunInterrupted

    try:
        with Progress(
            TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=err, transient=False,
        ) as progress:
            final: dict[str, Any] = start(_Bars(progress))
    except RunInterrupted as exc:
        err.print(f"[yellow]run {run_id} stopped:[/yellow] {exc} (resume with: python -m icp_engine resume {run_id})")
        raise typer.Exit(1) from None
    except RunFailed as exc:
        err.print(f"[red]run {run_id} failed:[/red] {exc}")
        raise typer.Exit(1) from None
    return final


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
    reranker: RerankerName = typer.Option(RerankerName.NONE, "--reranker", help="Second-stage reranker."),
    judge: bool = typer.Option(False, "--judge", help="With OPENAI_API_KEY: an LLM rules on the uncertain band (cost shown first)."),
) -> None:
    """Score JSONL leads against an ICP; print ``{id, icp_score, bucket, match_reasoning}`` lines.

    Uses exactly the pipeline's scorer and embedder (without the database cache). ``icp_score``
    is 100 x the probability that the client keeps the lead (two decimals).
    """
    from .wiring import Wiring

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
                raise typer.Exit(2) from None
            if not isinstance(obj, dict):
                err.print(f"[red]line {n} is not a JSON object[/red]")
                raise typer.Exit(2)
            ids.append(obj.get("id", n))
            profiles.append(_profile_from_json(obj))
    settings = Settings()
    if judge and not settings.openai_api_key:
        err.print("[red]--judge needs OPENAI_API_KEY[/red]")
        raise typer.Exit(2)
    scorer = Wiring(settings).scorer(reranker, judge=judge)
    if judge:
        est = scorer.judge.estimate(len(profiles), icp_obj)
        err.print(f"LLM judgement: at most {est['leads']} leads in {est['requests']} requests, "
                  f"~{est['input_tokens'] + est['output_tokens']:,} tokens, "
                  + (f"at most ${est['usd']:.4f}" if est["usd"] is not None else "price unknown"))
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
        rows = eng.feedback_rows(c["id"])
        res = evals.evaluate_feedback([{"label": r["label"], "icp_score": r["static_score"]} for r in rows])
        res["score"] = "static"
        res["shown"] = evals.evaluate_feedback(rows)  # the scores shown now (learned where applied)
        learned = eng.feedback.measure(c["id"])
        res["learned"] = learned
        if learned is not None:
            err.print(_learning_line(learned))
        typer.echo(json.dumps(res, indent=2, default=float))
        return
    if bench is None:
        raise typer.BadParameter("give a benchmark folder or --client NAME")
    if not (bench / "queries.jsonl").is_file():
        raise typer.BadParameter(f"{bench} has no queries.jsonl")
    from .wiring import Wiring, reranker_name

    wiring = Wiring(Settings())
    configs: dict[str, Any] = {}
    try:
        for name in [reranker_name(r) for r in rerankers.split(",") if r.strip()]:
            configs["stage1" if name == RerankerName.NONE else f"stage1+{name.value}"] = wiring.scorer(name)
    except ICPError as exc:
        raise typer.BadParameter(str(exc)) from exc
    track_list = [t.strip() for t in tracks.split(",")] if tracks else None
    t0 = time.perf_counter()
    results = evals.evaluate_benchmark(bench, split=split, configs=configs, tracks=track_list)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2, default=float))
    else:
        typer.echo(evals.format_table(results))
    err.print(f"evaluated in {time.perf_counter() - t0:.1f} s")


def _learning_line(rep: dict[str, Any]) -> str:
    """``static AUC 0.88 -> learned 0.95 on 200 held-out reviews (+0.07, interval ...): applied``."""
    if rep.get("static_auc") is None or rep.get("learned_auc") is None:
        return f"learned model: {rep.get('reason') or rep.get('verdict')}"
    lo, hi = (rep.get("lift_ci") or [float("nan"), float("nan")])[:2]
    verdict = "applied" if rep.get("applied") else f"not applied - {rep.get('reason')}"
    extra = rep.get("suggested_extra_labels")
    more = f"; about {extra} more random reviews would still help" if extra else ""
    return (f"static AUC {rep['static_auc']:.3f} -> learned {rep['learned_auc']:.3f} on {rep.get('n_validation')} "
            f"held-out reviews ({rep['learned_auc'] - rep['static_auc']:+.3f}, interval {lo:+.3f}..{hi:+.3f}): "
            f"{verdict}{more}")


feedback_app = typer.Typer(no_args_is_help=True, help="Review labels: import keep/trash labels reviewed elsewhere.")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("import")
def feedback_import(
    labels: Path = typer.Argument(..., help="CSV with columns profile_url,label[,reviewer]; label keep or trash."),
    client: str = typer.Option(..., "--client", help="Client whose leads the URLs are."),
    reviewer: str = typer.Option("import", "--reviewer", help="Reviewer of rows without a reviewer column."),
    skip_unknown: bool = typer.Option(False, "--skip-unknown", help="Store the labels of known leads even when some URLs are not leads of the client."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file and report; store nothing."),
) -> None:
    """Store keep/trash labels from a CSV like Review-page labels (current ICP version, queue 'import').

    URLs are matched to the client's leads by their canonical LinkedIn profile key. A bad row or,
    unless --skip-unknown, a URL that is no lead of the client stores nothing (one transaction).
    The next run of the client refits the learned model on every label.
    """
    try:
        data = labels.read_bytes()
    except FileNotFoundError:
        raise typer.BadParameter(f"labels file not found: {labels}") from None
    eng = _engine()
    try:
        c = eng.get_client(client)
    except ICPError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    try:
        rep = eng.feedback.import_csv(c["id"], data, default_reviewer=reviewer, skip_unknown=skip_unknown,
                                  dry_run=dry_run)
    except ICPError as exc:
        err.print(f"[red]Cannot import {labels}:[/red] {exc}")
        raise typer.Exit(2) from None
    err.print(rep.message())
    if rep.unknown:
        for line, url in rep.unknown:
            typer.echo(f"unknown\tline {line}\t{url}")
    if rep.refused:
        raise typer.Exit(2)


@app.command()
def status(run_id: int) -> None:
    """Show a run's progress (read from the database)."""
    eng = _engine()
    typer.echo(json.dumps(eng.run_status(run_id), default=str, indent=2))


@app.command()
def resume(run_id: int) -> None:
    """Resume a paused, failed or interrupted run in the foreground, with progress bars."""
    eng = _engine()
    final = _wait_for_run(eng, run_id, lambda on_progress: eng.runs.resume_foreground(run_id, on_progress))
    err.print(json.dumps(final["counts"]))


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Exit when no job is waiting."),
    poll: float = typer.Option(5.0, "--poll", help="Seconds between looks for new jobs (new jobs are also notified)."),
) -> None:
    """Be a queue worker: execute queued runs, and runs of dead workers; start one per machine sharing the database."""
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


clients_app = typer.Typer(add_completion=False, invoke_without_command=True,
                          help="List clients (no subcommand) or delete one.")
app.add_typer(clients_app, name="clients")


@clients_app.callback()
def clients(ctx: typer.Context) -> None:
    """List clients."""
    if ctx.invoked_subcommand is not None:
        return
    table = Table("id", "name", "leads", "ICP version")
    for c in _engine().list_clients():
        table.add_row(str(c["id"]), c["name"], str(c["leads"]), str(c["icp_version"] or "-"))
    Console().print(table)


def _cli_actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name on this system: still audit the CLI
        return "cli"


@clients_app.command("delete")
def clients_delete(
    name: str = typer.Argument(..., help="The client's exact name (or its id)."),
    yes: bool = typer.Option(False, "--yes", help="Really delete: without it nothing is deleted."),
) -> None:
    """Delete a client with its ICP versions, uploads, leads, runs and labels (other clients untouched)."""
    from .errors import NotFound

    eng = _engine()
    try:
        client = eng.get_client(int(name) if name.isdigit() else name)
    except NotFound:
        err.print(f"[red]No client named {name!r}.[/red]")
        raise typer.Exit(2) from None
    if not yes:
        err.print(f"This would delete client #{client['id']} with everything it holds. Repeat with --yes to delete.")
        raise typer.Exit(1)
    result = eng.delete_client(client["id"], author=_cli_actor())
    typer.echo(f"deleted client #{result.client_id}:")
    for line in result.lines() or ["(it held nothing else)"]:
        typer.echo(f"  {line}")


@app.command()
def forget(
    profile_url: str = typer.Argument(..., help="The person's LinkedIn profile URL."),
    yes: bool = typer.Option(False, "--yes", help="Really erase: without it nothing is removed."),
) -> None:
    """Erase one person everywhere: leads of every client, scores, labels, cached profile, cached
    texts and vectors, Apify ledger entries and uploaded Apify files. Prints what was removed."""
    from .erasure import PersonIdentity

    try:
        PersonIdentity.from_url(profile_url)
    except ICPError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if not yes:
        err.print("This would erase this person everywhere. Repeat with --yes to erase.")
        raise typer.Exit(1)
    report = _engine().forget_person(profile_url, author=_cli_actor())
    if not report.found:
        typer.echo("nothing stored about this person")
        return
    typer.echo("removed:")
    for line in report.lines():
        typer.echo(f"  {line}")


users_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Dashboard accounts.")
app.add_typer(users_app, name="users")


@users_app.command("list")
def users_list() -> None:
    """List accounts (name, role, last sign-in)."""
    table = Table("id", "name", "role", "last sign-in", "sessions")
    for u in _engine().auth.list_users():
        table.add_row(str(u["id"]), u["username"], u["role"], str(u["last_login_at"] or "-")[:19], str(u["sessions"]))
    Console().print(table)


def _ask_password() -> str:
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option("reviewer", "--role", help="admin | reviewer"),
) -> None:
    """Create an account (asks for the password)."""
    from .enums import Role

    try:
        user = _engine().auth.create_user(name, _ask_password(), Role(role), actor=_cli_actor())
    except (ICPError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo(f"created {user.role.value} #{user.id}")


@users_app.command("set-password")
def users_set_password(name: str = typer.Argument(..., help="User name.")) -> None:
    """Set a new password for an account (asks for it; the account's sessions end)."""
    eng = _engine()
    match = [u for u in eng.auth.list_users() if u["username"].casefold() == name.strip().casefold()]
    if not match:
        err.print(f"[red]No account named {name!r}.[/red]")
        raise typer.Exit(2)
    try:
        eng.auth.set_password(match[0]["id"], _ask_password(), actor=_cli_actor())
    except ICPError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo("password changed")


@app.command("icp-from-calls")
def icp_from_calls(
    client: str = typer.Option(..., "--client", help="Client name (its speakers and e-mail domain are told apart from the agency's)."),
    transcript: Optional[list[Path]] = typer.Option(None, "--transcript", help="Transcript file (Fathom JSON, Fathom copied text, .vtt, .srt, .txt); repeat for several."),
    fathom: bool = typer.Option(False, "--fathom", help="Read the client's meetings from Fathom (FATHOM_API_KEY) or --fathom-dir."),
    fathom_dir: Optional[Path] = typer.Option(None, "--fathom-dir", help="Offline: a folder of Fathom meeting JSON files instead of the API."),
    since: Optional[str] = typer.Option(None, "--since", help="Only Fathom meetings created on or after this date (YYYY-MM-DD)."),
    invitee_domain: Optional[list[str]] = typer.Option(None, "--invitee-domain", help="The client's e-mail domain (repeat); guessed from the client name when omitted."),
    extractor: str = typer.Option("offline", "--extractor", help="offline | openai"),
    out: Path = typer.Option(..., "--out", help="Where to write PROPOSAL.json."),
    apply: bool = typer.Option(False, "--apply", help="Record the calls for the client and save the proposed changes (from every call stored for it) as a new ICP version."),
) -> None:
    """Propose an ICP from discovery calls: every item with the quotes behind it (PROPOSAL.json).

    With --apply, the calls are recorded for the client (a call read before is not read twice), the
    proposal covers every call stored for it, and its additions and removals are saved as the
    client's next ICP version, with a change note naming the calls.
    """
    from .calls import TranscriptError, get_extractor, parse_transcripts, propose
    from .calls.fathom import FathomError, client_meetings, get_fathom_source, meeting_to_call, suggest_client_domains
    from .http import ServiceError

    files = list(transcript or [])
    if bool(files) == bool(fathom or fathom_dir):
        raise typer.BadParameter("give either --transcript FILE (one or more) or --fathom")
    if extractor not in ("offline", "openai"):
        raise typer.BadParameter("--extractor must be offline or openai")
    settings = Settings()
    domains = [d.strip().lower().lstrip("@") for d in (invitee_domain or []) if d.strip()]
    eng = _engine() if apply else None
    if eng is not None and not domains:  # the client's stored e-mail domains (Clients page)
        try:
            domains = eng.calls.email_domains(eng.get_client(client)["id"])
        except ICPError:
            domains = []
    calls = []
    if files:
        for f in files:
            try:
                data = f.read_bytes()
            except FileNotFoundError:
                raise typer.BadParameter(f"transcript not found: {f}") from None
            try:
                calls.extend(parse_transcripts(f.name, data))
            except TranscriptError as exc:
                err.print(f"[red]Cannot read {f}:[/red] {exc}")
                raise typer.Exit(2) from exc
    else:
        if not fathom_dir and not settings.fathom_api_key:
            err.print("[red]--fathom needs FATHOM_API_KEY[/red] (or --fathom-dir FOLDER with meeting JSON files)")
            raise typer.Exit(2)
        try:
            source = get_fathom_source(settings, folder=fathom_dir)
            if not domains:
                domains = suggest_client_domains(source.iter_meetings(created_after=since, include_transcript=False),
                                                 client)
                if not domains:
                    err.print(f"[red]No meeting invitee's e-mail domain looks like {client!r}.[/red] "
                              "Give it with --invitee-domain")
                    raise typer.Exit(2)
                err.print(f"client e-mail domain(s): {', '.join(domains)} (guessed; set with --invitee-domain)")
            rows = client_meetings(source, domains, since=since)
            for summary, meeting in rows:
                try:
                    calls.append(meeting_to_call(source, meeting))
                except TranscriptError as exc:
                    err.print(f"[yellow]skipped[/yellow] {summary.title} ({summary.date}): {exc}")
        except (FathomError, ValueError) as exc:
            err.print(f"[red]Fathom:[/red] {exc}")
            raise typer.Exit(2) from exc
        if not calls:
            err.print(f"[red]No Fathom meeting with an invitee on {', '.join(domains)}[/red]"
                      + (f" since {since}" if since else ""))
            raise typer.Exit(2)
    if eng is not None:
        c = eng.get_or_create_client(client, author="icp-from-calls")
        stored = eng.calls.email_domains(c["id"])
        if domains and set(domains) - set(stored):
            eng.calls.set_email_domains(c["id"], [*stored, *domains])
        try:
            report = eng.calls.import_calls(c["id"], calls, author="icp-from-calls", extractor=extractor)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        err.print(report.message())
        if report.failed and not report.read and not report.skipped:
            raise typer.Exit(2)
        review = eng.calls.review(c["id"])
        prop = review.proposal
    else:
        try:
            ext = get_extractor(extractor, settings)
            prop = propose(calls, ext, client_name=client, client_domains=domains)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        except ServiceError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    payload = json.dumps(prop.to_json(), indent=2, ensure_ascii=False) + "\n"
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(payload, encoding="utf-8")
    tmp.replace(out)
    from .calls.diff import FIELD_LABELS

    table = Table("field", "proposed", "values")
    for field_name, label in FIELD_LABELS.items():
        vals = prop.values(field_name)
        table.add_row(label, str(len(vals)), ", ".join(vals)[:90])
    err.print(table)
    for status, word in (("retracted", "taken back"), ("excluded", "ruled out")):
        gone = prop.with_status(status)
        if gone:
            err.print(f"{word}: " + ", ".join(f"{i.value} ({FIELD_LABELS[i.field]})" for i in gone))
    if prop.conflicts():
        err.print("[yellow]conflicting statements:[/yellow] " + ", ".join(i.value for i in prop.conflicts()))
    n_calls = len(prop.calls)
    err.print(f"wrote {out} from {n_calls} call(s) ({prop.extractor or extractor} extractor)"
              + (f", every stored call of {client}" if apply else ""))
    if eng is not None:
        ids = review.diff.default_ids()
        if not ids:
            err.print("nothing to change in the current ICP")
            eng.calls.accept(c["id"], [], author="icp-from-calls", icp_version_id=review.icp_version_id)
            return
        res = eng.calls.accept(c["id"], ids, author="icp-from-calls", icp_version_id=review.icp_version_id)
        assert res.version is not None
        err.print(f"saved ICP version {res.version['version']} of {client}: {res.note}")


@app.command("db-stop")
def db_stop() -> None:
    """Stop the embedded Postgres server (it otherwise keeps running for the next start)."""
    from .db import stop_embedded_postgres

    s = Settings()
    if s.database_url:
        typer.echo("DATABASE_URL is set: nothing embedded to stop")
        return
    stop_embedded_postgres(s.icp_data_dir)
    typer.echo("stopped")


def main(prog_name: str | None = None) -> None:  # pragma: no cover - entry point
    """Run the CLI; at the end, the embedded Postgres a command started is stopped unless in use.

    Then the process ends without tearing its modules down (:func:`_exit_now`): everything a
    command does is committed and its files are closed before this point."""
    code: int | str | None = 0
    try:
        app(prog_name=prog_name)
    except SystemExit as exc:  # typer's standalone mode always ends with one
        code = exc.code
    finally:
        for eng in _engines:
            _release_embedded(eng)
    _exit_now(code)


def _exit_now(code: int | str | None) -> None:  # pragma: no cover - ends the process
    """End the process as Python's own shutdown would, minus the teardown of every module and object.

    Python's shutdown first joins the non-daemon threads (``threading._shutdown``), then runs the
    ``atexit`` handlers, then frees every module and object; this does the first two, flushes the
    standard streams and calls ``os._exit``. The last step cost 0.6-0.9 s of a 10,000-follower
    ``run`` (freeing the models' and the run's heaps) and changes nothing outside the process:
    the run was committed, the CSV written and closed, the embedded server released. Where the
    private hooks are missing, this falls back to the normal exit.
    """
    import atexit
    import logging
    import os
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if shutdown is None or run_exitfuncs is None:
        raise SystemExit(code)
    if isinstance(code, str):  # SystemExit("message"): printed, exit status 1
        err.print(code, highlight=False, markup=False)
        status = 1
    else:
        status = int(code or 0)
    shutdown()
    logging.shutdown()
    run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)
