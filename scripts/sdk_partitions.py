#!/usr/bin/env python3
"""Prints the AWS SDK's partition metadata (the regions of each partition and the pattern of its
region names) as JSON: the table embedded in the `aws-sdk-eventbridge` crate that this build
resolved (`src/endpoint_lib.rs`, a Rust byte string). `make partitions` writes it to
src/config/partitions.json; the test `config::region::tests::the_partitions_are_the_sdks` runs
it and fails when the two differ."""
import json
import os
import pathlib
import re
import subprocess

metadata = json.loads(
    subprocess.run(
        [os.environ.get("CARGO", "cargo"), "metadata", "--format-version", "1"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
manifest = next(p["manifest_path"] for p in metadata["packages"] if p["name"] == "aws-sdk-eventbridge")
source = (pathlib.Path(manifest).parent / "src" / "endpoint_lib.rs").read_text()
literal = re.search(r'new_from_json\(b"((?:[^"\\]|\\.)*)"\)', source).group(1)
text = re.sub(r"\\(.)", r"\1", literal)
print(json.dumps(json.loads(text), indent=2))
