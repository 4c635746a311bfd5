"""Reading, validating and importing grid outlines."""

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import func, select

from geo.accounts.principal import Principal
from geo.atlas.lookup import lookup_point
from geo.core.crs import to_metric, wgs84_to_gcj02
from geo.core.errors import BoundaryImportError
from geo.grid.boundaries import BoundaryFeature, FieldNames, current_generation, import_levels, read_boundary_file
from geo.grid.models import Generation, GridLevel
from geo.grid.vector_files import UnsupportedFile

DATA = Path(__file__).resolve().parents[3] / "data" / "boundaries"

EVERYTHING = Principal.everything()


@pytest.fixture(scope="module")
def villages() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "grids_village.geojson", engine="pyogrio")


@pytest.fixture(scope="module")
def groups() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "grids_group.geojson", engine="pyogrio")


def same_outlines(features, frame, tolerance=1e-6):
    by_code = {f.code: f.geometry for f in features}
    assert set(by_code) == set(frame.code)
    for code, geometry in zip(frame.code, frame.geometry, strict=True):
        assert shapely.hausdorff_distance(by_code[code], geometry) < tolerance, code


@pytest.mark.parametrize("driver", ["GeoJSON", "GPKG", "ESRI Shapefile"])
def test_reads_every_supported_format(tmp_path, villages, driver):
    if driver == "ESRI Shapefile":
        folder = tmp_path / "shp"
        folder.mkdir()
        # DBF cuts attribute names at 10 characters: name the parent column to fit.
        shapefile = villages.rename(columns={"parent_code": "parent"})
        shapefile.to_file(folder / "villages.shp", driver=driver, engine="pyogrio", encoding="UTF-8")
        path = tmp_path / "villages.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for part in folder.iterdir():
                archive.write(part, part.name)
        fields = {"parent_code": "parent"}
    else:
        path = tmp_path / f"villages.{'gpkg' if driver == 'GPKG' else 'geojson'}"
        villages.to_file(path, driver=driver, engine="pyogrio")
        fields = {}
    features = read_boundary_file(path, fields=FieldNames(**fields))
    same_outlines(features, villages)
    assert {f.parent_code for f in features} == set(villages.parent_code)


def test_gcj02_source_is_converted_back_to_wgs84(tmp_path, villages):
    shifted = villages.copy()
    shifted.geometry = shapely.transform(
        villages.geometry.values, lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1]))
    )
    path = tmp_path / "gcj.geojson"
    shifted.to_file(path, engine="pyogrio")
    same_outlines(read_boundary_file(path, source_crs="gcj02"), villages)


def test_declared_projected_crs_is_reprojected(tmp_path, villages):
    path = tmp_path / "utm.gpkg"
    villages.to_crs(32647).to_file(path, engine="pyogrio")
    same_outlines(read_boundary_file(path), villages, tolerance=1e-6)


def test_metres_without_a_crs_are_refused(tmp_path, villages):
    path = tmp_path / "metres.geojson"
    metric = villages.copy()
    metric.geometry = to_metric(villages.geometry.values)
    metric = metric.set_crs(None, allow_override=True)
    path.write_text(metric.to_json())
    with pytest.raises(BoundaryImportError, match="not degrees"):
        read_boundary_file(path)


def test_wrong_layer_lists_the_layers(tmp_path, villages):
    path = tmp_path / "v.gpkg"
    villages.to_file(path, layer="villages", engine="pyogrio")
    with pytest.raises(UnsupportedFile, match="layer 'groups' not found; the file has villages"):
        read_boundary_file(path, layer="groups")


def test_missing_attribute_is_named(tmp_path, villages):
    path = tmp_path / "v.geojson"
    villages.drop(columns=["code"]).to_file(path, engine="pyogrio")
    with pytest.raises(BoundaryImportError, match="attribute 'code' missing"):
        read_boundary_file(path)


def test_file_without_geometry_is_refused(tmp_path):
    path = tmp_path / "empty.geojson"
    features = [{"type": "Feature", "properties": {"code": "1", "name_zh": "x"}, "geometry": None}]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(BoundaryImportError, match="no geometry"):
        read_boundary_file(path)


def test_unreadable_file_is_named(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json")
    with pytest.raises(UnsupportedFile, match=r"cannot read broken\.geojson as GeoJSON"):
        read_boundary_file(path)


def features_of(frame):
    return [
        BoundaryFeature(r.code, r.name_zh, r.name_en or "", r.parent_code, r.geometry, True) for r in frame.itertuples()
    ]


def test_dry_run_of_the_current_outlines_passes_and_writes_nothing(session, villages):
    before = session.scalar(select(func.count()).select_from(Generation))
    problems = import_levels(session, [(GridLevel.VILLAGE, features_of(villages))], "dry", commit=False)
    assert problems == []
    assert session.scalar(select(func.count()).select_from(Generation)) == before


def test_self_intersecting_outline_is_reported_with_its_place(session, groups):
    broken = groups.copy()
    bowtie = shapely.Polygon([(99.0, 28.0), (99.01, 28.01), (99.01, 28.0), (99.0, 28.01), (99.0, 28.0)])
    broken.loc[0, "geometry"] = bowtie
    problems = import_levels(session, [(GridLevel.GROUP, features_of(broken))], "bad", commit=False)
    invalid = [p for p in problems if "invalid geometry" in p.message]
    assert invalid and invalid[0].code == broken.code[0]
    assert invalid[0].where == (99.005, 28.005)


def test_overlap_and_gap_are_reported_and_nothing_is_written(session, groups):
    changed = groups.copy()
    changed.loc[0, "geometry"] = changed.geometry[0].buffer(0.01)  # spills over its neighbours
    changed.loc[5, "geometry"] = changed.geometry[5].buffer(-0.005)  # leaves a gap
    before = current_generation(session)
    problems = import_levels(session, [(GridLevel.GROUP, features_of(changed))], "bad", commit=True)
    messages = " | ".join(p.message for p in problems)
    assert "overlaps or misaligns" in messages
    assert "outside parent grid" in messages
    assert "gap of" in messages
    assert all(p.where is not None for p in problems)
    assert current_generation(session) == before


def test_duplicate_code_and_unknown_parent_are_reported(session, groups):
    changed = groups.copy()
    changed.loc[1, "code"] = changed.code[0]
    changed.loc[2, "parent_code"] = "533422999999"
    messages = [p.message for p in import_levels(session, [(GridLevel.GROUP, features_of(changed))], "x", commit=False)]
    assert any("appears more than once" in m for m in messages)
    assert any("parent '533422999999' is not a current village" in m for m in messages)


def test_import_makes_a_new_generation_and_old_lookups_still_answer(session, groups):
    first, second = _adjacent_siblings(groups)
    a, b = groups.geometry[first], groups.geometry[second]
    edge_point = shapely.get_coordinates(shapely.intersection(a.boundary, b.boundary))[0]
    piece = shapely.intersection(a, shapely.Point(edge_point).buffer(0.01))
    changed = groups.copy()
    changed.loc[first, "geometry"] = shapely.difference(a, piece)
    changed.loc[second, "geometry"] = shapely.union(b, piece)
    probe = shapely.point_on_surface(piece)

    old_generation = current_generation(session)
    assert lookup_point(session, probe.x, probe.y, EVERYTHING).chain[-1].code == groups.code[first]
    problems = import_levels(session, [(GridLevel.GROUP, features_of(changed))], "move a corner", commit=True)
    assert problems == []
    assert (current_generation(session) or 0) > (old_generation or 0)
    assert lookup_point(session, probe.x, probe.y, EVERYTHING).chain[-1].code == groups.code[second]
    assert lookup_point(session, probe.x, probe.y, EVERYTHING, old_generation).chain[-1].code == groups.code[first]


def _adjacent_siblings(groups):
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            if groups.parent_code[i] != groups.parent_code[j]:
                continue
            shared = shapely.intersection(groups.geometry[i].boundary, groups.geometry[j].boundary)
            if to_metric(shared).length > 2000:
                return i, j
    raise AssertionError("no adjacent siblings")
