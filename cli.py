"""Command-line tasks: ``flask --app app demo load``, ``flask --app app grids import``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from extensions import db
from geo.boundaries import FieldNames, import_levels, read_boundary_file
from geo.crs import SourceCRS
from geo.demo import clear_atlas, is_loaded, load_demo
from geo.errors import GridError
from geo.models import GridLevel

demo_cli = AppGroup("demo", help="Demonstration data.")
grids_cli = AppGroup("grids", help="Grid boundaries.")


@demo_cli.command("load")
@click.option("--replace", is_flag=True, help="Replace an atlas that holds only demo data.")
def demo_load(replace: bool) -> None:
    """Load the demonstration atlas (skipped when one is already loaded)."""
    session = db.session
    if is_loaded(session):
        if not replace:
            click.echo("atlas already loaded; use --replace to reload the demo")
            return
        try:
            clear_atlas(session)
        except GridError as error:
            raise click.ClickException(error.message) from None
    summary = load_demo(session)
    session.commit()
    click.echo(
        f"demo loaded: {summary.grids} grids, {summary.workers} grid workers, "
        f"{summary.branches} party branches, {summary.neighbours} neighbouring counties"
    )


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
    try:
        features = read_boundary_file(path, layer=layer, source_crs=source_crs, fields=fields)
    except GridError as error:
        raise click.ClickException(error.message) from None
    grid_level = GridLevel(level)
    problems = import_levels(
        db.session, [(grid_level, features)], description or f"import {level} from {path}", commit=commit
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


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(demo_cli)
    app.cli.add_command(grids_cli)
