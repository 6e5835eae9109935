"""Traits IAM, STS and EKS do not use yet, on synthetic models: a new operation needs no protocol code.

Query: flattened lists, renamed list items, maps with renamed key/value, locationName on members,
blobs, longs, doubles, a recursive structure and structures nested seven deep. REST-JSON: greedy
labels, header members, query-string maps, timestamps in the query string, output headers and a
structure payload. Each is round-tripped through botocore's own serializer and parser, as the real
models are in the other wire tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from botocore_client import botocore_response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shape_strategies import drop_empty, for_shape, input_strategy

from eksiam.protocol import HttpRequest
from eksiam.protocol.codecs import QueryCodec, RestJsonCodec
from eksiam.protocol.models import info_for

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

SHARED_SHAPES: dict[str, Any] = {
    "Str": {"type": "string"},
    "Long": {"type": "long"},
    "Double": {"type": "double"},
    "Blob": {"type": "blob"},
    "Bool": {"type": "boolean"},
    "Stamp": {"type": "timestamp"},
    "FlatList": {"type": "list", "member": {"shape": "Str", "locationName": "Item"}, "flattened": True},
    "NamedList": {"type": "list", "member": {"shape": "Inner", "locationName": "Entry"}},
    "NamedMap": {
        "type": "map",
        "key": {"shape": "Str", "locationName": "Name"},
        "value": {"shape": "Inner", "locationName": "Data"},
    },
    "Inner": {
        "type": "structure",
        "members": {"Label": {"shape": "Str", "locationName": "label"}, "Count": {"shape": "Long"}},
    },
}
QUERY_MODEL = {
    "metadata": {
        "apiVersion": "2020-01-01",
        "protocol": "query",
        "serviceId": "Synthetic",
        "signatureVersion": "v4",
        "xmlNamespace": "https://synthetic.example/doc/2020-01-01/",
        "endpointPrefix": "synthetic",
    },
    "operations": {
        "Exercise": {
            "name": "Exercise",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Payload"},
            "output": {"shape": "Payload", "resultWrapper": "ExerciseResult"},
        }
    },
    "shapes": {
        **SHARED_SHAPES,
        "Payload": {
            "type": "structure",
            "members": {
                "Flat": {"shape": "FlatList"},
                "Named": {"shape": "NamedList"},
                "Map": {"shape": "NamedMap"},
                "Renamed": {"shape": "Str", "locationName": "OtherName"},
                "Data": {"shape": "Blob"},
                "Big": {"shape": "Long"},
                "Ratio": {"shape": "Double"},
                "Flag": {"shape": "Bool"},
                "When": {"shape": "Stamp"},
                "Tree": {"shape": "Node"},
                "Deep": {"shape": "Level1"},
            },
        },
        # A recursive structure, and structures nested deeper than the serializer writes in place.
        "Node": {
            "type": "structure",
            "members": {
                "Label": {"shape": "Str"},
                "At": {"shape": "Stamp"},
                "Child": {"shape": "Node"},
                "Kids": {"shape": "NodeList"},
            },
        },
        "NodeList": {"type": "list", "member": {"shape": "Node"}},
        **{
            f"Level{i}": {
                "type": "structure",
                "members": {
                    "Text": {"shape": "Str"},
                    **({"Next": {"shape": f"Level{i + 1}"}} if i < 7 else {}),
                },
            }
            for i in range(1, 8)
        },
    },
}
REST_MODEL = {
    "metadata": {
        "apiVersion": "2020-01-01",
        "protocol": "rest-json",
        "serviceId": "SyntheticRest",
        "signatureVersion": "v4",
        "endpointPrefix": "synthetic-rest",
        "jsonVersion": "1.1",
    },
    "operations": {
        "PutObject": {
            "name": "PutObject",
            "http": {"method": "PUT", "requestUri": "/buckets/{Bucket}/objects/{Key+}", "responseCode": 201},
            "input": {"shape": "PutInput"},
            "output": {"shape": "PutOutput"},
        },
        "PutDocument": {
            "name": "PutDocument",
            "http": {"method": "POST", "requestUri": "/documents/{Id}"},
            "input": {"shape": "DocumentInput"},
        },
        "PutBlob": {
            "name": "PutBlob",
            "http": {"method": "POST", "requestUri": "/blobs/{Id}"},
            "input": {"shape": "BlobInput"},
        },
    },
    "shapes": {
        **SHARED_SHAPES,
        "Params": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
        "PutInput": {
            "type": "structure",
            "required": ["Bucket", "Key"],
            "members": {
                "Bucket": {"shape": "Str", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "Str", "location": "uri", "locationName": "Key"},
                "Token": {"shape": "Str", "location": "header", "locationName": "x-synthetic-token"},
                "Count": {"shape": "Long", "location": "header", "locationName": "x-synthetic-count"},
                "Since": {"shape": "Stamp", "location": "querystring", "locationName": "since"},
                "Extra": {"shape": "Params", "location": "querystring"},
                "Body": {"shape": "Inner"},
                "Map": {"shape": "NamedMap"},
                "Data": {"shape": "Blob"},
            },
        },
        "Meta": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
        "DocumentInput": {
            "type": "structure",
            "required": ["Id"],
            "members": {
                "Id": {"shape": "Str", "location": "uri", "locationName": "Id"},
                "Meta": {"shape": "Meta", "location": "headers", "locationName": "x-meta-"},
                "Document": {"shape": "Inner"},
            },
            "payload": "Document",
        },
        "BlobInput": {
            "type": "structure",
            "required": ["Id"],
            "members": {
                "Id": {"shape": "Str", "location": "uri", "locationName": "Id"},
                "Data": {"shape": "Blob"},
            },
            "payload": "Data",
        },
        "PutOutput": {
            "type": "structure",
            "members": {
                "Version": {"shape": "Str", "location": "header", "locationName": "x-synthetic-version"},
                "Object": {"shape": "Inner"},
            },
            "payload": "Object",
        },
    },
}

QUERY = QueryCodec(info_for(ServiceModel(QUERY_MODEL, service_name="synthetic")))
REST = RestJsonCodec(info_for(ServiceModel(REST_MODEL, service_name="synthetic-rest")))


def prepared(model: ServiceModel, operation: str, params: dict[str, Any]) -> HttpRequest:
    op = model.operation_model(operation)
    request_dict = create_serializer(model.protocol, include_validation=False).serialize_to_request(
        params, op
    )
    prepare_request_dict(request_dict, endpoint_url="https://synthetic.example")
    request = create_request_object(request_dict).prepare()
    path, _, query = request.url.partition("://")[2].partition("/")[2].partition("?")
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    return HttpRequest(request.method, "/" + path, query, list(request.headers.items()), body)


@given(data=st.data())
@EXAMPLES
def test_query_traits_round_trip(data: st.DataObject) -> None:
    model = QUERY.info.model
    op = model.operation_model("Exercise")
    params = data.draw(input_strategy(op.input_shape))
    plan, parsed = QUERY.route_and_parse(prepared(model, "Exercise", params))
    assert parsed == drop_empty(params)
    result = data.draw(for_shape(op.output_shape))
    response = QUERY.serialize(plan, result, "rid")
    back = create_parser("query").parse(botocore_response(response), op.output_shape)
    back.pop("ResponseMetadata")
    assert back == {k: v for k, v in result.items() if v != [] or k != "Flat"}  # flattened [] is absence


@given(data=st.data())
@EXAMPLES
def test_rest_json_traits_round_trip(data: st.DataObject) -> None:
    model = REST.info.model
    op = model.operation_model("PutObject")
    params = data.draw(input_strategy(op.input_shape))
    plan, parsed = REST.route_and_parse(prepared(model, "PutObject", params))
    expected = {k: v for k, v in params.items() if not (k == "Extra" and not v)}
    assert parsed == expected
    result = data.draw(for_shape(op.output_shape))
    response = REST.serialize(plan, result, "rid")
    assert response.status == 201
    back = create_parser("rest-json").parse(botocore_response(response), op.output_shape)
    back.pop("ResponseMetadata")
    assert back == {"Object": {}, **result}  # botocore reads an absent structure payload as {}


@given(data=st.data())
@EXAMPLES
def test_rest_json_payload_and_header_map_inputs(data: st.DataObject) -> None:
    model = REST.info.model
    for operation in ("PutDocument", "PutBlob"):
        op = model.operation_model(operation)
        params = data.draw(input_strategy(op.input_shape))
        plan, parsed = REST.route_and_parse(prepared(model, operation, params))
        assert plan.name == operation
        expected = {k: v for k, v in params.items() if v not in ({}, b"")}
        assert {k: v for k, v in parsed.items() if v not in ({}, b"")} == expected


@pytest.mark.parametrize("payload", [b"\t", b" \r\n", b"{}"])
def test_a_raw_payload_of_whitespace_is_data(payload: bytes) -> None:
    """A blob payload is the body's bytes, whatever they are; only a JSON body of whitespace alone
    is no document (found by the property test above)."""
    model = REST.info.model
    plan, parsed = REST.route_and_parse(prepared(model, "PutBlob", {"Id": "0", "Data": payload}))
    assert plan.name == "PutBlob"
    assert parsed["Data"] == payload
