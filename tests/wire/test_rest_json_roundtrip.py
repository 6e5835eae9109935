"""Round trips for every EKS and EKS Auth operation against botocore's own client code.

Input: botocore's RestJSONSerializer renders the URI labels, query string and JSON body, our
router picks the operation from method + raw path and our parser reads the params back. Output:
our serializer writes status, headers and body, botocore's RestJSONParser must read the result.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.parsers import create_parser
from botocore_client import botocore_request, botocore_response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shape_strategies import for_shape, input_strategy

from eksiam.protocol.codecs import RestJsonCodec
from eksiam.protocol.models import service_info

CODECS = {name: RestJsonCodec(service_info(name)) for name in ("eks", "eks-auth")}
OPERATIONS = [(s, op) for s, codec in CODECS.items() for op in codec.info.model.operation_names]
EXAMPLES = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))


def expected_input(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """What survives the wire: empty query-string lists are not sent at all."""
    shape = CODECS[service].info.model.operation_model(operation).input_shape
    out = dict(params)
    for name, member in shape.members.items() if shape is not None else ():
        if member.serialization.get("location") == "querystring" and out.get(name) in ([], {}):
            del out[name]
    return out


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
@given(data=st.data())
@EXAMPLES
def test_botocore_request_routes_and_parses_to_the_same_params(
    service: str, operation: str, data: st.DataObject
) -> None:
    op = CODECS[service].info.model.operation_model(operation)
    params = data.draw(input_strategy(op.input_shape))
    plan, parsed = CODECS[service].route_and_parse(botocore_request(service, operation, params))
    assert plan.name == operation
    assert parsed == expected_input(service, operation, params)


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
@given(data=st.data())
@EXAMPLES
def test_our_response_parses_in_botocore_to_the_same_result(
    service: str, operation: str, data: st.DataObject
) -> None:
    codec = CODECS[service]
    op = codec.info.model.operation_model(operation)
    result = data.draw(for_shape(op.output_shape)) if op.output_shape is not None else {}
    response = codec.serialize(codec.plans[operation], result, "req-1234")
    assert response.status == op.http.get("responseCode", 200)
    parsed = create_parser("rest-json").parse(botocore_response(response), op.output_shape)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1234"
    assert parsed == result
