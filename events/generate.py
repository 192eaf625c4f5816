#!/usr/bin/env python3
"""Writes the sample events in this folder. Run from anywhere: python3 events/generate.py

The events have the shape a Kafka event source mapping sends (see README, "The event"):
records keyed "<topic>-<partition>", base64 keys and values, header values as arrays of
signed byte numbers (as Lambda serialises Java byte[]).
"""
import base64
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MSK_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/orders-cluster/0f3c2a10-7d1e-4b2a-9a51-3f0c9d1e2b44-2"
BOOTSTRAP = ("b-1.orderscluster.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098,"
             "b-2.orderscluster.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098")


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def signed(data):
    if isinstance(data, str):
        data = data.encode()
    return [b - 256 if b > 127 else b for b in data]


def compact(value):
    """JSON text without whitespace between tokens, as the function embeds and offloads it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def record(topic, partition, offset, key=None, value=None, headers=(), ts=1764240000000,
           ts_type="CREATE_TIME", omit_key=False):
    r = {"topic": topic, "partition": partition, "offset": offset, "timestamp": ts,
         "timestampType": ts_type}
    if not omit_key:
        r["key"] = None if key is None else b64(key)
    r["value"] = None if value is None else b64(value)
    r["headers"] = [{name: signed(v)} for name, v in headers]
    return r


def event(records, source="aws:kafka"):
    ev = {"eventSource": source}
    if source == "aws:kafka":
        ev["eventSourceArn"] = MSK_ARN
    ev["bootstrapServers"] = BOOTSTRAP if source == "aws:kafka" else "kafka-1.internal.example:9092,kafka-2.internal.example:9092"
    grouped = {}
    for r in records:
        grouped.setdefault(f'{r["topic"]}-{r["partition"]}', []).append(r)
    ev["records"] = grouped
    return ev


def write(name, ev):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(ev, f, indent=2 if len(json.dumps(ev)) < 100_000 else None, ensure_ascii=False)
        f.write("\n")


def main():
    order = lambda i, total: compact({"orderId": f"order-{i}", "total": total, "items": ["sku-1", "sku-2"]})
    # MSK: a JSON order with headers, a tombstone, and a record without key (LogAppendTime) whose
    # header is "café" in signed bytes.
    write("msk.json", event([
        record("orders.v1", 0, 4711, "order-1001", order(1001, 42.5), [("content-type", "application/json"), ("trace", "t-1")], 1764240000123),
        record("orders.v1", 0, 4712, "order-1001", None, [], 1764240000456),
        record("orders.v1", 3, 88, None, compact({"note": "plain value", "lang": "fr"}), [("note", "café")], 1764240001000, "LOG_APPEND_TIME", omit_key=True),
    ]))
    write("self-managed.json", event([
        record("mytopic", 0, 15, "recordKey", compact({"key": "value"}), [("headerKey", "headerValue")], 1545084650987),
    ], source="SelfManagedKafka"))
    write("tombstones.json", event([
        record("users", 1, 100, "user-1", None, []),
        record("users", 1, 101, None, compact({"id": "anonymous"}), [], omit_key=True),
        record("users", 1, 102, None, None, [], omit_key=True),
    ]))
    write("mixed-json.json", event([
        record("payments", 0, 10, "p-10", compact({"amount": 10})),
        record("payments", 0, 11, "p-11", '{"amount": 11,'),
        record("payments", 0, 12, "p-12", compact({"amount": 12})),
    ]))
    recs = []
    for i in range(25):
        p = i % 3
        recs.append(record("clicks", p, 1000 + i, f"user-{i}", compact({"click": i, "page": f"/p/{i}"}),
                           [("seq", str(i))], 1764240000000 + i))
    write("multi-partition-25.json", event(recs))
    # Two partitions of account movements, keyed by account: for the Custom Event Bus's event
    # groups (by partition or by key) and deduplication.
    moves = []
    for i in range(12):
        p, account = i % 2, ["acct-a", "acct-b", "acct-c"][i % 3]
        moves.append(record("accounts", p, 200 + i // 2, account,
                            compact({"account": account, "move": i, "amount": 10 * (i + 1)}),
                            [], 1764240100000 + i))
    write("ordered-accounts.json", event(moves))
    big = compact({"blob": "x" * (1024 * 1024 + 100)})
    write("oversize.json", event([
        record("orders.v1", 0, 5000, "small-1", order(1, 1.0)),
        record("orders.v1", 0, 5001, "huge", big),
        record("orders.v1", 0, 5002, "small-2", order(2, 2.0)),
    ]))


if __name__ == "__main__":
    main()
