"""AWS::EKS::Cluster, Nodegroup, FargateProfile and PodIdentityAssociation through stacks, over the
real EKS and IAM services (so EKS's own role checks apply).

Sources: CloudFormation template reference for the four types (properties, Ref and Fn::GetAtt
return values: Nodegroup Ref is ``<cluster>/<nodegroup>``), Amazon EKS User Guide "Amazon EKS
cluster IAM role", "Amazon EKS node IAM role", "Pod Identity" trust policy.
"""

from __future__ import annotations

import json
from typing import Any

from eksiam.services import CallContext, Services

YAML = """
Parameters:
  Subnets:
    Type: CommaDelimitedList
    Default: subnet-1,subnet-2
Resources:
  ClusterRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: eks.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/AmazonEKSClusterPolicy
  NodeRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy
        - arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy
        - arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: pods.eks.amazonaws.com}
            Action: [sts:AssumeRole, sts:TagSession]
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      Name: demo
      RoleArn: !GetAtt ClusterRole.Arn
      ResourcesVpcConfig:
        SubnetIds: !Ref Subnets
      AccessConfig:
        AuthenticationMode: API
      Tags:
        - Key: owner
          Value: me
  Nodes:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: !Ref Cluster
      NodeRole: !GetAtt NodeRole.Arn
      Subnets: !Ref Subnets
      ScalingConfig: {MinSize: 1, MaxSize: 3, DesiredSize: 2}
      Labels: {tier: web}
  Association:
    Type: AWS::EKS::PodIdentityAssociation
    Properties:
      ClusterName: !Ref Cluster
      Namespace: default
      ServiceAccount: app
      RoleArn: !GetAtt AppRole.Arn
Outputs:
  Issuer:
    Value: !GetAtt Cluster.OpenIdConnectIssuerUrl
  Nodegroup:
    Value: !Ref Nodes
  Association:
    Value: !GetAtt Association.AssociationId
"""


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_cluster_nodegroup_and_pod_identity_from_a_stack(services: Services, ctx: CallContext) -> None:
    cfn, eks = services.cloudformation, services.eks
    cfn.create_stack(
        ctx,
        stack_name="eks",
        template_body=YAML,
        capabilities=["CAPABILITY_IAM"],
        tags=[{"Key": "stack-tag", "Value": "x"}],
    )
    stack = cfn.describe_stacks(ctx, stack_name="eks")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", json.dumps(
        cfn.describe_stack_events(ctx, stack_name="eks")["StackEvents"], default=str
    )
    out = outputs(stack)
    cluster = eks.describe_cluster(ctx, name="demo")["cluster"]
    assert out["Issuer"] == cluster["identity"]["oidc"]["issuer"]
    assert cluster["resourcesVpcConfig"]["subnetIds"] == ["subnet-1", "subnet-2"]
    assert cluster["tags"] == {"stack-tag": "x", "owner": "me"}
    cluster_name, nodegroup_name = out["Nodegroup"].split("/")
    assert cluster_name == "demo"
    nodegroup = eks.describe_nodegroup(ctx, cluster_name="demo", nodegroup_name=nodegroup_name)["nodegroup"]
    assert nodegroup["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 2}
    assert nodegroup["labels"] == {"tier": "web"}
    association = eks.describe_pod_identity_association(
        ctx, cluster_name="demo", association_id=out["Association"]
    )["association"]
    assert association["serviceAccount"] == "app"

    cfn.delete_stack(ctx, stack_name="eks")
    assert eks.list_clusters(ctx)["clusters"] == []
    assert [
        r for r in services.iam.list_roles(ctx)["Roles"] if not r["Path"].startswith("/aws-service-role/")
    ] == []


def test_an_eks_refusal_fails_the_resource_and_rolls_back(services: Services, ctx: CallContext) -> None:
    template = YAML.replace(
        "Principal: {Service: eks.amazonaws.com}", "Principal: {Service: ec2.amazonaws.com}"
    )
    services.cloudformation.create_stack(
        ctx, stack_name="eks", template_body=template, capabilities=["CAPABILITY_IAM"]
    )
    stack = services.cloudformation.describe_stacks(ctx, stack_name="eks")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [
        e
        for e in services.cloudformation.describe_stack_events(ctx, stack_name="eks")["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert [e["LogicalResourceId"] for e in failed] == ["Cluster"]
    assert "InvalidParameterException" in failed[0]["ResourceStatusReason"]
    assert services.eks.list_clusters(ctx)["clusters"] == []
    assert [
        r for r in services.iam.list_roles(ctx)["Roles"] if not r["Path"].startswith("/aws-service-role/")
    ] == []
