import csv

import click
import yaml
from flask.cli import AppGroup

from community.core.errors import ValidationFailed
from community.core.extensions import db

from .geo import load_geojson
from .services import load_areas, read_area_rows

areas_cli = AppGroup("areas", help="Counties, streets, communities and grids.")


@areas_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load_command(path):
    """Load areas from a CSV or YAML file (kind,code,name,parent_code,address_hints).

    The file loads whole or not at all; see docs/areas-file.md."""
    try:
        result = load_areas(read_area_rows(path))
    except (ValidationFailed, ValueError, yaml.YAMLError, csv.Error) as exc:
        db.session.rollback()  # a ValidationFailed names the row at fault
        raise click.ClickException(f"{path}: {getattr(exc, 'message', exc)}; nothing loaded") from None
    db.session.commit()
    click.echo(f"created {result['created']}, updated {result['updated']}")


@areas_cli.command("geo")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def geo_command(path):
    """Set grid boundaries and centres from a GeoJSON FeatureCollection
    (properties.code names the grid; Polygon/MultiPolygon or Point)."""
    try:
        result = load_geojson(path)
    except Exception as exc:  # a ValidationFailed names the feature at fault
        db.session.rollback()
        raise click.ClickException(str(getattr(exc, "message", exc))) from None
    db.session.commit()
    click.echo(f"boundaries {result['boundaries']}, centres {result['centres']}")
