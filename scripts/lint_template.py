#!/usr/bin/env python3
"""Offline check of template.yaml: SAM's own transform (the code `sam deploy` runs) into plain
CloudFormation, then cfn-lint on the result, which catches wrong property names, values and
types that `sam validate --lint` misses. Usage: lint_template.py template.yaml"""
import json
import os
import subprocess
import sys
import tempfile

from template_contract import transformed


def main(path):
    output = transformed(path)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(output, out, indent=1)
    print(f"SAM transform: ok ({len(output['Resources'])} resources)")
    cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    return subprocess.call([cfn_lint, out.name])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
