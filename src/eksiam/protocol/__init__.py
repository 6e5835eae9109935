"""The AWS wire: Query and REST-JSON, generic over botocore service models; knows no IAM rule."""
