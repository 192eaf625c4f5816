"""The Python + boto3 equivalent of the function, for the CPU comparison of `make bench`.

A Lambda handler written the way a Python user would write this function: the runtime's
`json.loads` of the event, base64 decoding of key and value, the connector's detail document
(`topic, partition, offset, timestamp, timestampType, headers, key, value`), `Source`
`kafka-connect.<id>`, detail-type `kafka-connect-<topic>`, batches of at most 10 entries and
1 MiB by AWS's entry-size formula, `PutEvents` through boto3 (its retries off, as the function
turns the SDK's off), and `batchItemFailures` for the records that were not delivered.

Usage: python boto3_equivalent.py EVENT_FILE ENDPOINT_URL RUNS
Prints one line: the process CPU (user + system) per warm invocation in milliseconds, measured
with `time.process_time()` around the handler, the runtime's JSON parsing of the event included.
The Rust bench measures its binary's whole process, runtime-API polling included, so this
comparison favours Python slightly.
"""

import base64
import json
import sys
import time

import boto3
from botocore.config import Config

MAX_ENTRIES = 10
MAX_BYTES = 1_048_575
BUS = "arn:aws:events:us-east-1:123456789012:event-bus/b"
SOURCE = "kafka-connect.bench"


def make_client(endpoint):
    return boto3.client(
        "events",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )


def detail(record):
    key = record.get("key")
    value = record.get("value")
    headers = []
    for header in record.get("headers", []):
        for name, raw in header.items():
            data = bytes(raw)
            try:
                headers.append({name: data.decode("utf-8")})
            except UnicodeDecodeError:
                headers.append({name: base64.b64encode(data).decode("ascii")})
    return json.dumps(
        {
            "topic": record["topic"],
            "partition": record["partition"],
            "offset": record["offset"],
            "timestamp": record.get("timestamp"),
            "timestampType": record.get("timestampType"),
            "headers": headers,
            "key": None if key is None else base64.b64decode(key).decode("utf-8"),
            "value": None if value is None else json.loads(base64.b64decode(value)),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def handler(event, client):
    failures = []
    batch, batch_bytes, batch_ids = [], 0, []

    def flush():
        if not batch:
            return
        try:
            answer = client.put_events(Entries=batch)
            for entry, ident in zip(answer["Entries"], batch_ids):
                if "ErrorCode" in entry:
                    failures.append({"itemIdentifier": ident})
        except Exception:  # a failed call fails its records
            failures.extend({"itemIdentifier": i} for i in batch_ids)

    for records in event["records"].values():
        for record in records:
            ident = f"{record['topic']}-{record['partition']}@{record['offset']}"
            try:
                text = detail(record)
            except (ValueError, UnicodeDecodeError):
                failures.append({"itemIdentifier": ident})
                continue
            detail_type = f"kafka-connect-{record['topic']}"
            size = len(SOURCE) + len(detail_type.encode()) + len(text.encode())
            if batch and (len(batch) == MAX_ENTRIES or batch_bytes + size > MAX_BYTES):
                flush()
                batch, batch_bytes, batch_ids = [], 0, []
            batch.append(
                {"Source": SOURCE, "DetailType": detail_type, "Detail": text, "EventBusName": BUS}
            )
            batch_bytes += size
            batch_ids.append(ident)
    flush()
    return {"batchItemFailures": failures}


def main():
    path, endpoint, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path, "rb") as f:
        raw = f.read()
    client = make_client(endpoint)
    handler(json.loads(raw), client)  # the cold invocation is not measured
    start = time.process_time()
    for _ in range(runs):
        answer = handler(json.loads(raw), client)
        assert not answer["batchItemFailures"], "every record is delivered in the bench"
    print(f"{(time.process_time() - start) / runs * 1000:.3f}")


if __name__ == "__main__":
    main()
