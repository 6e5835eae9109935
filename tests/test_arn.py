import pytest

from eksiam.arn import Arn, InvalidArn, iam_arn, is_arn, sts_assumed_role_arn


def test_role_arn_round_trips_with_path():
    text = "arn:aws:iam::123456789012:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"
    arn = Arn.parse(text)
    assert (arn.service, arn.account, arn.resource_type) == ("iam", "123456789012", "role")
    assert arn.resource_id == "aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"
    assert str(arn) == text


def test_resource_keeps_its_colons():
    arn = Arn.parse("arn:aws:logs:us-east-1:123456789012:log-group:/aws/eks/c:*")
    assert arn.resource == "log-group:/aws/eks/c:*"
    assert arn.resource_type == "log-group"


@pytest.mark.parametrize(
    "text", ["", "arn:aws:iam", "arn::iam::1:x", "nope:aws:iam::1:role/x", "arn:aws::::"]
)
def test_not_an_arn(text):
    assert not is_arn(text)
    with pytest.raises(InvalidArn):
        Arn.parse(text)


def test_builders():
    assert iam_arn("123456789012", "role", "R", "/a/") == "arn:aws:iam::123456789012:role/a/R"
    assert sts_assumed_role_arn("1" * 12, "R", "s") == "arn:aws:sts::111111111111:assumed-role/R/s"
