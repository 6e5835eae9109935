"""Round trips for every IAM and STS operation against botocore's own client code.

Input: botocore's QuerySerializer builds the request (prepared the way a client sends it), our
parser reads it, the params must equal what went in. Output: our serializer writes the response,
botocore's QueryParser reads it, the result must equal what the service returned.
"""

from __future__ import annotations

import pytest
from botocore.parsers import create_parser
from botocore_client import botocore_request, botocore_response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shape_strategies import drop_empty, for_shape, input_strategy

from eksiam.protocol.codecs import QueryCodec
from eksiam.protocol.models import service_info

CODECS = {name: QueryCodec(service_info(name)) for name in ("iam", "sts")}
OPERATIONS = [(s, op) for s, codec in CODECS.items() for op in codec.info.model.operation_names]
EXAMPLES = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
@given(data=st.data())
@EXAMPLES
def test_botocore_request_parses_to_the_same_params(
    service: str, operation: str, data: st.DataObject
) -> None:
    op = CODECS[service].info.model.operation_model(operation)
    params = data.draw(input_strategy(op.input_shape))
    plan, parsed = CODECS[service].route_and_parse(botocore_request(service, operation, params))
    assert plan.name == operation
    assert parsed == drop_empty(params)


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
    assert response.status == 200
    assert response.header("x-amzn-RequestId") == "req-1234"
    parsed = create_parser("query").parse(botocore_response(response), op.output_shape)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1234"
    assert parsed == result
