#!/usr/bin/env python3
"""What template.yaml does with a set of parameters, as facts for the template's contract test
(tests/e2e/template.rs), read with SAM's own code: the transform `sam deploy` runs, the parser of
`sam deploy --parameter-overrides`, and the Serverless Application Repository metadata parser
of `sam publish`. It asserts nothing itself.

Usage (JSON on stdout):
  template_contract.py overrides WORD...     the parameters SAM reads from these words
  template_contract.py deploy PARAMS_JSON    the stack these parameters give: each parameter's
                                             constraint failures, the function's environment,
                                             the event source mappings, alarms and dashboard
  template_contract.py sar                   the SAR metadata, and what `sam publish` refuses
  template_contract.py parameters            each parameter's declaration, and the parameters
                                             each variable of the function's environment reads
"""
import json
import os
import re
import sys

from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "template.yaml")


class NoManagedPolicies:
    """The transform asks for AWS managed policy ARNs only for policy names it must expand."""

    def load(self, *args, **kwargs):
        return {}


def transformed(path=TEMPLATE):
    """The template at `path` as plain CloudFormation, through SAM's own transform (the code
    `sam deploy` runs); exits with SAM's reasons when it refuses the template."""
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # The transform needs an S3 location for local code; any stands in for it here.
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://placeholder-bucket/code.zip"
    try:
        return transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as e:
        sys.exit("\n".join(f"SAM transform: {cause}" for cause in e.causes))


NO_VALUE = object()


class Stack:
    """The template's values under `params` (and the defaults), as CloudFormation evaluates
    them: Ref, Fn::If/Equals/Not/And/Or, Condition, Fn::Select/Split/Join/Sub, Fn::GetAtt
    (as a placeholder)."""

    def __init__(self, template, params):
        self.template = template
        self.params = {}
        for name, spec in template["Parameters"].items():
            value = params.get(name, spec.get("Default"))
            if spec["Type"] == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",") if value != "" else [""]
            self.params[name] = value
        self.pseudo = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
                       "AWS::Partition": "aws", "AWS::StackName": "stack", "AWS::NoValue": NO_VALUE}
        self.conditions = {}

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.eval(self.template["Conditions"][name]))
        return self.conditions[name]

    def ref(self, name):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        return f"<{name}>"  # a resource's physical id

    def sub(self, text, extra):
        def one(m):
            key = m.group(1)
            if key in extra:
                return str(extra[key])
            if "." in key:
                return f"<{key}>"
            value = self.ref(key)
            return ",".join(value) if isinstance(value, list) else str(value)
        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def eval(self, node):
        if isinstance(node, list):
            out = [self.eval(n) for n in node]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::If":
                name, yes, no = arg
                return self.eval(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                a, b = self.eval(arg)
                return a == b
            if key == "Fn::Not":
                return not self.eval(arg[0])
            if key == "Fn::And":
                return all(self.eval(arg))
            if key == "Fn::Or":
                return any(self.eval(arg))
            if key == "Fn::Select":
                index, items = self.eval(arg)
                return items[int(index)]
            if key == "Fn::Split":
                sep, text = self.eval(arg)
                return text.split(sep)
            if key == "Fn::Join":
                sep, items = self.eval(arg)
                return sep.join(items)
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return self.sub(arg, {})
                text, extra = arg
                return self.sub(text, {k: self.eval(v) for k, v in extra.items()})
            if key == "Fn::GetAtt":
                return "<" + ".".join(arg if isinstance(arg, list) else [arg]) + ">"
        out = {k: self.eval(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}

    def resources(self, kind):
        for name, resource in self.template["Resources"].items():
            if resource["Type"] != kind:
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            yield name, self.eval(resource.get("Properties", {}))


def constraint_failures(template, params):
    failures = []
    for name, value in params.items():
        spec = template["Parameters"].get(name)
        if spec is None:
            failures.append(f"{name}: not a parameter of the template")
            continue
        if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
            failures.append(f"{name}={value!r}: not one of {spec['AllowedValues']}")
        if "AllowedPattern" in spec and re.fullmatch(spec["AllowedPattern"], value) is None:
            failures.append(f"{name}={value!r}: does not match {spec['AllowedPattern']}")
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            failures.append(f"{name}={value!r}: shorter than {spec['MinLength']}")
        if spec["Type"] == "Number":
            try:
                number = float(value)
            except ValueError:
                failures.append(f"{name}={value!r}: not a number")
                continue
            if "MinValue" in spec and number < float(spec["MinValue"]):
                failures.append(f"{name}={value!r}: below {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                failures.append(f"{name}={value!r}: above {spec['MaxValue']}")
    return failures


def deploy(params):
    template = transformed()
    stack = Stack(template, params)
    missing = [n for n, s in template["Parameters"].items() if "Default" not in s and n not in params]
    functions = dict(stack.resources("AWS::Lambda::Function"))
    (function,) = functions.values()
    mappings = []
    for name, esm in stack.resources("AWS::Lambda::EventSourceMapping"):
        config = esm.get("AmazonManagedKafkaEventSourceConfig") or esm.get("SelfManagedKafkaEventSourceConfig") or {}
        mappings.append({
            "resource": name,
            "topics": esm["Topics"],
            "consumerGroupId": config.get("ConsumerGroupId"),
            "filters": [f["Pattern"] for f in esm.get("FilterCriteria", {}).get("Filters", [])],
            "destination": esm["DestinationConfig"]["OnFailure"]["Destination"],
            "msk": "EventSourceArn" in esm,
        })
    alarms = [dict(props, resource=name) for name, props in stack.resources("AWS::CloudWatch::Alarm")]
    dashboards = [json.loads(props["DashboardBody"]) for _, props in stack.resources("AWS::CloudWatch::Dashboard")]
    return {
        "constraintFailures": constraint_failures(template, params),
        "missingParameters": missing,
        "environment": function.get("Environment", {}).get("Variables", {}),
        "eventSourceMappings": mappings,
        "alarms": alarms,
        "dashboards": dashboards,
        "policies": function_policies(stack),
    }


def function_policies(stack):
    roles = dict(stack.resources("AWS::IAM::Role"))
    return {name: role.get("Policies", []) for name, role in roles.items()}


def overrides(words):
    from samcli.cli.types import CfnParameterOverridesType
    return CfnParameterOverridesType().convert(tuple(words), None, None)


def sar():
    from samcli.vendor.serverlessrepo.parser import get_app_metadata, parse_template
    with open(TEMPLATE, encoding="utf-8") as f:
        metadata = get_app_metadata(parse_template(f.read()))
    refused = []
    for required in (["author", "description", "name"], ["semantic_version"]):
        try:
            metadata.validate(required)
        except Exception as e:  # InvalidApplicationMetadataError: what `sam publish` would say
            refused.append(str(e))
    return {"metadata": metadata.template_dict, "refused": refused}


def refs(value):
    """The parameters a template value reads (`Ref`s, anywhere inside it)."""
    if isinstance(value, dict):
        found = {value["Ref"]} if isinstance(value.get("Ref"), str) else set()
        for inner in value.values():
            found |= refs(inner)
        return found
    if isinstance(value, list):
        return set().union(*map(refs, value)) if value else set()
    return set()


def parameters():
    with open(TEMPLATE, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    functions = [
        r for r in template["Resources"].values() if r.get("Type") == "AWS::Serverless::Function"
    ]
    env = functions[0]["Properties"]["Environment"]["Variables"]
    return {
        "parameters": template["Parameters"],
        "environment": {var: sorted(refs(value)) for var, value in env.items()},
    }


def main(argv):
    command, rest = argv[1], argv[2:]
    if command == "overrides":
        result = overrides(rest)
    elif command == "deploy":
        result = deploy(json.loads(rest[0]))
    elif command == "sar":
        result = sar()
    elif command == "parameters":
        result = parameters()
    else:
        sys.exit(__doc__)
    json.dump(result, sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv)
