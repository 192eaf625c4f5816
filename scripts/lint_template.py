#!/usr/bin/env python3
"""Offline check of template.yaml: SAM's own transform (the code `sam deploy` runs) into plain
CloudFormation, then cfn-lint on the result, which catches wrong property names, values and
types that `sam validate --lint` misses. Usage: lint_template.py template.yaml"""
import json
import os
import subprocess
import sys
import tempfile

from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The transform asks for AWS managed policy ARNs only for policy names it must expand."""

    def load(self, *args, **kwargs):
        return {}


def main(path):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # The transform needs an S3 location for local code; any stands in for it here.
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://placeholder-bucket/code.zip"
    try:
        output = transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"SAM transform: {cause}", file=sys.stderr)
        return 1
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(output, out, indent=1)
    print(f"SAM transform: ok ({len(output['Resources'])} resources)")
    cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    return subprocess.call([cfn_lint, out.name])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
