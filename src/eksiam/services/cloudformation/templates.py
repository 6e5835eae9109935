"""ValidateTemplate and GetTemplateSummary ("ValidateTemplate": checks that a template is valid
JSON or YAML and a well-formed CloudFormation template; it does not check property values).

Validation is our structural and reference checks (the ones stack operations use, so both agree)
followed by cfn-lint's template-level errors (template/lint.py), each refused as a ValidationError.
"""

from __future__ import annotations

from typing import Any

from eksiam.services.cloudformation import capabilities
from eksiam.services.cloudformation.base import CloudFormationBase
from eksiam.services.cloudformation.errors import ValidationError
from eksiam.services.cloudformation.template import TemplateError, check_references, lint
from eksiam.services.context import CallContext


class Templates(CloudFormationBase):
    def validate_template(
        self, ctx: CallContext, *, template_body: str | None = None, template_url: str | None = None
    ) -> dict[str, Any]:
        body, template = self._template(template_body, template_url)
        try:
            check_references(template)
        except TemplateError as error:
            raise ValidationError(error.message) from None
        errors = lint.template_errors(body, ctx.region)
        if errors:
            raise ValidationError(f"Template format error: {errors[0]}")
        out: dict[str, Any] = {"Parameters": self._parameters(template, with_type=False)}
        if isinstance(template.get("Description"), str):
            out["Description"] = template["Description"]
        out.update(self._capabilities(template))
        transforms = template.get("Transform")
        if transforms:
            out["DeclaredTransforms"] = transforms if isinstance(transforms, list) else [transforms]
        return out

    @staticmethod
    def _parameters(template: dict[str, Any], with_type: bool) -> list[dict[str, Any]]:
        out = []
        for key, spec in (template.get("Parameters") or {}).items():
            item: dict[str, Any] = {
                "ParameterKey": key,
                "NoEcho": str(spec.get("NoEcho", "false")).lower() == "true",
            }
            if "Default" in spec:
                item["DefaultValue"] = str(spec["Default"])
            if "Description" in spec:
                item["Description"] = str(spec["Description"])
            if with_type:
                item["ParameterType"] = spec.get("Type")
                if "AllowedValues" in spec:
                    item["ParameterConstraints"] = {"AllowedValues": [str(v) for v in spec["AllowedValues"]]}
            out.append(item)
        return out

    @staticmethod
    def _capabilities(template: dict[str, Any]) -> dict[str, Any]:
        resources = template.get("Resources") or {}
        need = capabilities.required(resources)
        if need is None:
            return {}
        kinds = sorted({r["Type"] for r in resources.values() if r["Type"] in capabilities.IAM_TYPES})
        return {
            "Capabilities": [need],
            "CapabilitiesReason": f"The following resource(s) require capabilities: [{', '.join(kinds)}]",
        }

    def get_template_summary(
        self,
        ctx: CallContext,
        *,
        template_body: str | None = None,
        template_url: str | None = None,
        stack_name: str | None = None,
        stack_set_name: str | None = None,
        call_as: str | None = None,
        template_summary_config: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if stack_name is not None:
            stack = self._require_stack(ctx, stack_name)
            template = stack["template"]
        else:
            _body, template = self._template(template_body, template_url)
        resources = template.get("Resources") or {}
        out: dict[str, Any] = {
            "Parameters": self._parameters(template, with_type=True),
            "ResourceTypes": sorted({r["Type"] for r in resources.values()}),
            "Version": str(template.get("AWSTemplateFormatVersion", "2010-09-09")),
        }
        if isinstance(template.get("Description"), str):
            out["Description"] = template["Description"]
        out.update(self._capabilities(template))
        return out
