"""How stacks and change sets are laid out in the store.

Kinds (``acct`` = the stack's account)::

  cfn-stack        acct  StackId (``arn:<p>:cloudformation:<region>:<acct>:stack/<name>/<uuid>``)
      StackId StackName Description StackStatus StackStatusReason? CreationTime LastUpdatedTime?
      DeletionTime? Capabilities Parameters [{ParameterKey, ParameterValue}] noEcho [keys] Tags
      Outputs DisableRollback NotificationARNs EnableTerminationProtection ChangeSetId?
      TemplateBody (text as given) template (decoded) order [logical ids, creation order]
      resources {logical id: {LogicalResourceId PhysicalResourceId? ResourceType ResourceStatus
                 ResourceStatusReason? Timestamp properties ref attributes}}
      events [oldest first: {EventId LogicalResourceId PhysicalResourceId ResourceType Timestamp
               ResourceStatus ResourceStatusReason? ResourceProperties?}]
  cfn-stack-name   acct  "<region>|<StackName>"    StackId of the live stack of that name
  cfn-change-set   acct  ChangeSetId (``arn:...:changeSet/<name>/<uuid>``)
      ChangeSetId ChangeSetName StackId StackName ChangeSetType Status ExecutionStatus
      StatusReason? CreationTime Description? Parameters Capabilities Tags NotificationARNs
      TemplateBody template Changes
  cfn-change-set-name  acct  "<StackId>|<ChangeSetName>"   ChangeSetId

Rule: a stack keeps its record after deletion (ListStacks shows DELETE_COMPLETE stacks and
DescribeStacks finds them by stack id, "DescribeStacks": "deleted stacks ... by stack ID"); only
the name index goes, so the name is free again.
"""

from __future__ import annotations

STACK = "cfn-stack"
STACK_NAME = "cfn-stack-name"
CHANGE_SET = "cfn-change-set"
CHANGE_SET_NAME = "cfn-change-set-name"


def name_key(region: str, name: str) -> str:
    return f"{region}|{name}"


def change_set_name_key(stack_id: str, name: str) -> str:
    return f"{stack_id}|{name}"


def region_prefix(partition: str, region: str) -> str:
    return f"arn:{partition}:cloudformation:{region}:"
