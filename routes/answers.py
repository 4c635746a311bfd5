"""Schemas of what the API answers, for the OpenAPI document (/api/openapi.json) only.

Views build their JSON themselves (the domain returns plain dicts, GeoJSON is
written by PostGIS); these describe it so that clients and the schema fuzzer in
tests/routes/test_openapi_fuzz.py can hold the answers to the document. Fields
not listed here may appear; the ones listed are what clients rely on.
"""

from __future__ import annotations

from marshmallow import Schema, fields

GEOJSON = "application/geo+json"


class Geometry(Schema):
    type = fields.String(required=True)
    coordinates = fields.Raw(metadata={"description": "GeoJSON coordinates, WGS-84"})


class Feature(Schema):
    type = fields.String(required=True)
    properties = fields.Dict(allow_none=True)
    geometry = fields.Nested(Geometry, allow_none=True)


class FeatureCollection(Schema):
    type = fields.String(required=True)
    features = fields.List(fields.Nested(Feature), required=True)
