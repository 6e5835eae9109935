"""Every modelled error of IAM, STS, EKS and EKS Auth, written by us and read by botocore.

The status must be the model's (whatever the raising code claimed), the code and message must
survive, Query errors must say Sender/Receiver as the model does, and REST-JSON errors must carry
their modelled members (EKS's ``clusterName`` ...) where botocore's modelled-error parse finds them.
"""

from __future__ import annotations

import pytest
from botocore.parsers import create_parser
from botocore_client import botocore_response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shape_strategies import TEXT, for_shape

from eksiam.errors import DynamicError
from eksiam.protocol.codecs import codec_for
from eksiam.protocol.models import error_code, error_status, service_info

SERVICES = ("iam", "sts", "eks", "eks-auth")
CODECS = {name: codec_for(service_info(name)) for name in SERVICES}
ERRORS = [(s, shape.name) for s in SERVICES for shape in service_info(s).model.error_shapes]
EXAMPLES = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize(("service", "shape_name"), ERRORS)
@given(data=st.data())
@EXAMPLES
def test_modelled_error_reads_back_in_botocore(service: str, shape_name: str, data: st.DataObject) -> None:
    info = service_info(service)
    shape = info.model.shape_for(shape_name)
    code = error_code(shape)
    message = data.draw(TEXT)
    members = {k: v for k, v in data.draw(for_shape(shape)).items() if k.lower() != "message"}
    error = DynamicError(code, message, status=418, sender_fault=False, extra=members)
    response = CODECS[service].serialize_error(error, "req-42")
    assert response.status == error_status(shape)
    assert response.header("x-amzn-RequestId") == "req-42"
    parser = create_parser(info.protocol)
    parsed = parser.parse(botocore_response(response), None)
    assert parsed["Error"]["Code"] == code
    assert (parsed["Error"]["Message"] or "") == message  # botocore reads <Message/> as None
    assert parsed["ResponseMetadata"]["RequestId"] == "req-42"
    if info.protocol == "query":
        sender = shape.metadata.get("error", {}).get("senderFault", False)
        assert parsed["Error"]["Type"] == ("Sender" if sender else "Receiver")
    else:
        assert response.header("x-amzn-ErrorType") == code
        modelled = parser.parse(botocore_response(response), shape)
        modelled.pop("ResponseMetadata", None)
        assert modelled == {**members, "message": message}


@pytest.mark.parametrize("service", SERVICES)
def test_unmodelled_code_keeps_the_raised_status(service: str) -> None:
    response = CODECS[service].serialize_error(DynamicError("AccessDenied", "no", status=403), "r")
    assert response.status == 403
    assert (
        create_parser(service_info(service).protocol).parse(botocore_response(response), None)["Error"][
            "Code"
        ]
        == "AccessDenied"
    )
