#!/usr/bin/env bash
# Runs the function locally, end to end, on a local AWS emulator:
#   moto server (EventBridge + SQS) → a bus with a rule that forwards every kafka-connect.* event
#   to a queue → the function under `cargo lambda watch` → `cargo lambda invoke` with $EVENT →
#   prints the function's response and the events that arrived on the bus → stops everything.
# Usage: make demo [EVENT=events/msk.json] [OFFLOAD=1] [REGISTRY=1 (default EVENT:
# events/msk-avro-source.json; events/msk-protobuf-source.json too)]; extra AWS_EVENTBRIDGE_* variables pass
# through. OFFLOAD=1 turns on the S3 claim check (bucket kafka-demo-offload on moto) and lists the
# objects it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
REGISTRY=${REGISTRY:-}
if [ -n "$REGISTRY" ]; then
  EVENT=${EVENT:-events/msk-avro-source.json}
else
  EVENT=${EVENT:-events/msk.json}
fi
OFFLOAD=${OFFLOAD:-}
export PATH="$PWD/$VENV/bin:$PATH"
mkdir -p .demo

free_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 600); do
    (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1; see .demo/*.log" >&2; return 1
}

MOTO_PORT=$(free_port)
WATCH_PORT=$(free_port)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_EVENTBRIDGE_CONNECTOR_ID=${AWS_EVENTBRIDGE_CONNECTOR_ID:-demo}
export AWS_EVENTBRIDGE_EVENTBUS_ARN=${AWS_EVENTBRIDGE_EVENTBUS_ARN:-arn:aws:events:us-east-1:123456789012:event-bus/kafka-demo}

if [ -n "$OFFLOAD" ]; then
  export AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET=${AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET:-kafka-demo-offload}
  export AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI="http://127.0.0.1:$MOTO_PORT"
fi

if [ -n "$REGISTRY" ]; then
  # A Confluent Schema Registry stand-in: GET /schemas/ids/<id> serves events/schemas/<id>.avsc
  # (Avro) or <id>.proto (Protobuf).
  REGISTRY_PORT=$(free_port)
  export AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"
  echo "==> schema registry stand-in on 127.0.0.1:$REGISTRY_PORT (events/schemas/*.avsc, *.proto)"
  setsid "$VENV/bin/python" - "$REGISTRY_PORT" > .demo/registry.log 2>&1 <<'PY' &
import http.server, json, os, re, sys
class Registry(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        m = re.fullmatch(r"/schemas/ids/(\d+)", self.path)
        avro = m and f"events/schemas/{m.group(1)}.avsc"
        proto = m and f"events/schemas/{m.group(1)}.proto"
        if avro and os.path.exists(avro):
            status, body = 200, {"schema": open(avro).read()}
        elif proto and os.path.exists(proto):
            status, body = 200, {"schema": open(proto).read(), "schemaType": "PROTOBUF"}
        else:
            status, body = 404, {"error_code": 40403, "message": f"Schema not found: {self.path}"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Registry).serve_forever()
PY
  pids+=($!)
  wait_port "$REGISTRY_PORT"
fi

echo "==> moto server on 127.0.0.1:$MOTO_PORT"
setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" > .demo/moto.log 2>&1 &
pids+=($!)
wait_port "$MOTO_PORT"

echo "==> bus kafka-demo, rule source=kafka-connect.* → queue kafka-demo"
QUEUE_URL=$("$VENV/bin/python" - <<'PY'
import boto3
import os
ev, sqs = boto3.client("events"), boto3.client("sqs")
bucket = os.environ.get("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET")
if bucket:
    boto3.client("s3").create_bucket(Bucket=bucket)
ev.create_event_bus(Name="kafka-demo")
url = sqs.create_queue(QueueName="kafka-demo")["QueueUrl"]
ev.put_rule(Name="all-kafka", EventBusName="kafka-demo", EventPattern='{"source":[{"prefix":"kafka-connect."}]}')
ev.put_targets(Rule="all-kafka", EventBusName="kafka-demo",
               Targets=[{"Id": "queue", "Arn": "arn:aws:sqs:us-east-1:123456789012:kafka-demo"}])
print(url)
PY
)

# The function's name at the emulator: `_` is the one an --only-lambda-apis emulator serves.
function_name=kafka-eventbridge-lambda
if [ -n "${BIN:-}" ]; then
  function_name=_
  # An already built binary (CI passes the one `make test` built): cargo lambda serves only the
  # runtime API, and the binary polls it, as in the end-to-end tests.
  echo "==> cargo lambda watch --only-lambda-apis on 127.0.0.1:$WATCH_PORT, and $BIN"
  setsid cargo lambda watch --only-lambda-apis -A 127.0.0.1 -P "$WATCH_PORT" > .demo/emulator.log 2>&1 &
  pids+=($!)
  wait_port "$WATCH_PORT"
  AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$WATCH_PORT/.rt" AWS_LAMBDA_FUNCTION_NAME=_ \
    AWS_LAMBDA_FUNCTION_VERSION='$LATEST' AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512 \
    setsid "$BIN" > .demo/watch.log 2>&1 &
  pids+=($!)
else
  echo "==> cargo lambda watch on 127.0.0.1:$WATCH_PORT (the first invocation compiles the function)"
  setsid cargo lambda watch -A 127.0.0.1 -P "$WATCH_PORT" > .demo/watch.log 2>&1 &
  pids+=($!)
  wait_port "$WATCH_PORT"
fi

echo "==> cargo lambda invoke --data-file $EVENT"
response=$(cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$WATCH_PORT" --data-file "$EVENT" "$function_name") || {
  echo "the invocation failed; function log:"; tail -20 .demo/watch.log; exit 1; }
echo "Response: $response"

echo "==> events that arrived on the bus (via the rule's SQS target)"
QUEUE_URL="$QUEUE_URL" "$VENV/bin/python" - <<'PY'
import boto3, json, os, time
sqs = boto3.client("sqs")
seen, quiet = 0, 0
while quiet < 2:
    got = sqs.receive_message(QueueUrl=os.environ["QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    quiet = quiet + 1 if not got else 0
    for m in got:
        seen += 1
        print(json.dumps(json.loads(m["Body"]), indent=2, ensure_ascii=False))
        sqs.delete_message(QueueUrl=os.environ["QUEUE_URL"], ReceiptHandle=m["ReceiptHandle"])
print(f"{seen} event(s) arrived.")
PY
if [ -n "$OFFLOAD" ]; then
  echo "==> objects in s3://$AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET"
  "$VENV/bin/python" - <<'PY'
import boto3, os
s3 = boto3.client("s3")
bucket = os.environ["AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET"]
for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
    head = s3.get_object(Bucket=bucket, Key=o["Key"])
    body = head["Body"].read()
    preview = body[:80].decode("utf-8", "replace") + ("…" if len(body) > 80 else "")
    print(f"  {o['Key']}  {o['Size']} bytes  {head.get('ContentType')}  {preview}")
PY
fi
echo "==> function log (.demo/watch.log)"
grep -E "INFO|WARN|ERROR" .demo/watch.log | sed 's/^/    /' | tail -20
