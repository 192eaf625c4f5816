#!/usr/bin/env python3
"""Writes the bad-input corpus: malformed or hostile events, each with its expected outcome in
manifest.json. `tests/e2e/bad_inputs.rs` runs every file through the real binary with the default
configuration (key format string, value format json) and checks the outcome:
  {"error": "<text>"}                        the invocation fails with a message containing <text>
  {"failures": [[key, offset], ...],          exactly these records are reported
   "reason": "<text>"}                        and a WARN line names the reason
Two inputs too large to keep in git (a record above 6 MB, 10,000 records) are built by the test.
Run: python3 tests/bad_inputs/generate.py
"""
import base64
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
manifest = {}


def b64(data):
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def rec(offset=1, topic="t", partition=0, **fields):
    r = {"topic": topic, "partition": partition, "offset": offset, "timestamp": 1700000000000,
         "timestampType": "CREATE_TIME", "key": b64("k"), "value": b64('{"a":1}'), "headers": []}
    r.update(fields)
    return {k: v for k, v in r.items() if v is not DROP}


DROP = object()


def event(*records, key="t-0", source="aws:kafka"):
    ev = {"eventSource": source, "records": {key: list(records)}}
    if source is None:
        ev.pop("eventSource")
    return ev


def write(name, content, expected):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(content if isinstance(content, str) else json.dumps(content))
    manifest[name] = expected


def ok(name, content):
    write(name, content, {"failures": []})


def fails(name, content, failures, reason):
    write(name, content, {"failures": failures, "reason": reason})


def error(name, content, text):
    write(name, content, {"error": text})


DESERIALIZE = "failed to deserialize"
# The event itself is unusable: the whole invocation fails, the batch is retried.
error("not-json.txt", "this is not JSON", DESERIALIZE)
error("truncated-json.json", '{"eventSource":"aws:kafka","records":{"t-0":[{"offset":1', DESERIALIZE)
error("top-level-array.json", "[1,2,3]", DESERIALIZE)
error("top-level-string.json", '"records"', DESERIALIZE)
error("empty-object.json", "{}", "no `records` map (missing)")
error("records-null.json", {"eventSource": "aws:kafka", "records": None}, "no `records` map (null)")
error("records-list.json", {"eventSource": "aws:kafka", "records": [rec()]}, "no `records` map (an array)")
error("records-string.json", {"eventSource": "aws:kafka", "records": "t-0"}, "no `records` map (a string)")
error("records-number.json", {"eventSource": "aws:kafka", "records": 7}, "no `records` map (a number)")
error("unknown-event-source.json", event(rec(), source="aws:sqs"), 'unsupported eventSource "aws:sqs"')
error("partition-not-a-list.json", {"eventSource": "aws:kafka", "records": {"t-0": {"offset": 1}}}, DESERIALIZE)
error("record-not-an-object.json", {"eventSource": "aws:kafka", "records": {"t-0": [5]}}, DESERIALIZE)
error("record-without-offset.json", event(rec(offset=DROP)), "has no integer `offset`")
error("offset-as-string.json", event(rec(offset="1")), "has no integer `offset`")
error("offset-fractional.json", event(rec(offset=1.5)), "has no integer `offset`")

# Per-record failures: only the bad record is reported, the others are delivered.
fails("invalid-base64-value.json", event(rec(1), rec(2, value="!!not base64!!")), [["t-0", 2]], "`value` is not valid base64")
fails("invalid-base64-key.json", event(rec(1, key="%%%"), rec(2)), [["t-0", 1]], "`key` is not valid base64")
# Read as the JDK and Python decoders read it: non-zero unused bits in the last character ("a2V5"
# is "key"; "a2V5Z" ... "a2V5ZQ==" vs "a2V5ZR==" carries one), and missing padding.
ok("base64-trailing-bits.json", event(rec(1, key="a2V5ZR==", value="eyJhIjoxfR==")))
ok("base64-unpadded.json", event(rec(1, key="a2V5ZQ", value="eyJhIjoxfQ")))
ok("event-source-aws-self-managed.json", event(rec(1), source="aws:SelfManagedKafka"))
fails("base64-with-newlines.json", event(rec(1, value="eyJh\nIjoxfQ==")), [["t-0", 1]], "`value` is not valid base64")
fails("value-is-a-number.json", event(rec(1, value=42), rec(2)), [["t-0", 1]], "field `value` is a number")
fails("key-is-an-object.json", event(rec(1, key={"k": 1})), [["t-0", 1]], "field `key` is an object")
fails("invalid-utf8-key-string-format.json", event(rec(1, key=b64(b"\xff\xfe")), rec(2)), [["t-0", 1]], "key is not valid UTF-8, so format string cannot read it; for binary data set AWS_EVENTBRIDGE_KEY_FORMAT to bytes (base64) or auto")
fails("invalid-utf8-value-json-format.json", event(rec(1, value=b64(b'"\xc3\x28"'))), [["t-0", 1]], "value is not valid UTF-8, so format json cannot read it; for binary data set AWS_EVENTBRIDGE_VALUE_FORMAT to bytes (base64) or auto")
fails("invalid-json-value.json", event(rec(1), rec(2, value=b64('{"a":1,')), rec(3)), [["t-0", 2]], "value is not valid JSON")
fails("empty-value-json-format.json", event(rec(1, value="")), [["t-0", 1]], "value is not valid JSON")
fails("json-with-bom.json", event(rec(1, value=b64("\ufeff{}"))), [["t-0", 1]], "value is not valid JSON")
fails("json-trailing-garbage.json", event(rec(1, value=b64("{}x"))), [["t-0", 1]], "value is not valid JSON")
fails("json-nested-1101-levels.json", event(rec(1, value=b64("[" * 1101 + "]" * 1101)), rec(2)), [["t-0", 1]], "nested deeper than")
fails("json-nested-200000-levels.json", event(rec(1, value=b64("[" * 200000 + "]" * 200000))), [["t-0", 1]], "nested deeper than")
fails("integer-beyond-int64.json", event(rec(1, value=b64('{"n":9223372036854775808}')), rec(2, value=b64('{"n":-9223372036854775808}'))), [["t-0", 1]], "64-bit range")
fails("header-byte-too-large.json", event(rec(1, headers=[{"h": [104, 300]}])), [["t-0", 1]], "header #0 is not")
fails("header-byte-too-small.json", event(rec(1, headers=[{"h": [-129]}])), [["t-0", 1]], "header #0 is not")
fails("header-value-a-string.json", event(rec(1, headers=[{"ok": [1]}, {"h": "text"}])), [["t-0", 1]], "header #1 is not")
fails("headers-an-object.json", event(rec(1, headers={"h": [1]})), [["t-0", 1]], "field `headers` is an object")
fails("timestamp-a-string.json", event(rec(1, timestamp="yesterday")), [["t-0", 1]], "field `timestamp` is a string")
fails("topic-a-number.json", event(rec(1, topic=5)), [["t-0", 1]], "field `topic` is a number")
fails("partition-a-string.json", event(rec(1, partition="0")), [["t-0", 1]], "field `partition` is a string")
fails("topic-too-long-for-detail-type.json", event(rec(1, topic="t" * 200), key="t" * 200 + "-0"), [["t" * 200 + "-0", 1]], "the detail-type is 214 characters long")
fails("no-topic-anywhere.json", event(rec(1, topic=DROP, partition=DROP), key="nodash"), [["nodash", 1]], "the record has no topic or partition")

# Odd but valid: delivered.
ok("empty-batch.json", {"eventSource": "aws:kafka", "records": {}})
ok("no-event-source.json", event(rec(), source=None))
ok("self-managed.json", event(rec(), source="SelfManagedKafka"))
ok("header-name-empty.json", event(rec(1, headers=[{"": [1, 2]}])))
ok("header-name-huge.json", event(rec(1, headers=[{"h" * 100000: [104, 105]}])))
ok("header-bytes-unsigned.json", event(rec(1, headers=[{"h": [195, 169]}, {"h": [-61, -87]}])))
ok("header-object-with-two-names.json", event(rec(1, headers=[{"a": [97], "b": [98]}])))
ok("headers-null.json", event(rec(1, headers=None)))
# A Confluent schema-id header means nothing to a format that reads no registry (json here):
# garbage or a header far over the 522 bytes a schema id takes, the record is delivered as JSON.
ok("schema-id-header-garbage-under-json.json", event(rec(1, headers=[{"__value_schema_id": [9, 9, 9]}])))
ok("schema-id-header-of-64-kib-under-json.json", event(rec(1, headers=[{"__value_schema_id": [1] * 65536}, {"__key_schema_id": []}])))
ok("topic-with-dashes.json", event(rec(1, topic="my-topic-name", partition=12), key="my-topic-name-12"))
ok("key-disagrees-with-record.json", event(rec(1, topic="other", partition=5), key="t-0"))
ok("duplicate-partition-keys.json", '{"eventSource":"aws:kafka","records":{"t-0":[%s],"t-0":[%s]}}' % (json.dumps(rec(1)), json.dumps(rec(2))))
ok("negative-timestamp.json", event(rec(1, timestamp=-1)))
ok("unknown-timestamp-type.json", event(rec(1, timestampType="NO_TIMESTAMP_TYPE")))
ok("tombstone-and-null-key.json", event(rec(1, key=None, value=None), rec(2, key=DROP, value=DROP)))
ok("unknown-fields.json", event(rec(1, extra={"deep": [1, 2, 3]}, schemaless="yes")))
ok("schema-registry-metadata.json", event(rec(1, key=b64('{"id":7}'), keySchemaMetadata={"dataFormat": "AVRO", "schemaId": "1"},
                                              valueSchemaMetadata={"dataFormat": "AVRO", "schemaId": "2"})))
fails("schema-metadata-key-not-json.json", event(rec(1, keySchemaMetadata={"dataFormat": "JSON", "schemaId": "1"})), [["t-0", 1]], "key is not valid JSON")
ok("json-nested-128-levels.json", event(rec(1, value=b64("[" * 128 + "]" * 128))))
ok("json-nested-900-levels.json", event(rec(1, value=b64("[" * 900 + "]" * 900))))
ok("big-numbers-as-floats.json", event(rec(1, value=b64('{"f":1e400,"g":18446744073709551616.5,"i":9223372036854775807}'))))
ok("unicode-everywhere.json", event(rec(1, topic="tópico-☃", key=b64("ключ"), value=b64('{"emoji":"👍","nul":"\\u0000"}'), headers=[{"名前": list("値".encode())}]), key="tópico-☃-0"))

with open(os.path.join(HERE, "manifest.json"), "w", encoding="utf-8") as f:
    json.dump(manifest, f, indent=1, ensure_ascii=False, sort_keys=True)
    f.write("\n")
print(f"{len(manifest)} inputs")
