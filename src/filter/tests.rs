use proptest::prelude::*;
use serde_json::Value;

use super::pattern::Node;
use super::*;
use crate::decode::{PayloadDecoder, PayloadFormat, TimestampType};
use crate::map::{DetailTypeRule, Mapper, TimeRule};

/// Whether `pattern` matches `event`, any field names allowed (the pattern tree alone).
fn matches(pattern: &str, event: &str) -> bool {
    let pattern: Value = serde_json::from_str(pattern).unwrap();
    let event: Value = serde_json::from_str(event).unwrap();
    let node = Node::compile(pattern.as_object().unwrap(), "").unwrap();
    node.matches(Some(&event))
}

fn compile_error(pattern: &str) -> PatternError {
    let pattern: Value = serde_json::from_str(pattern).unwrap();
    Node::compile(pattern.as_object().unwrap(), "").unwrap_err()
}

/// Each `(pattern, event, matches)` of a table.
fn check(cases: &[(&str, &str, bool)]) {
    for (pattern, event, expected) in cases {
        assert_eq!(matches(pattern, event), *expected, "{pattern} on {event}");
    }
}

/// The examples of EventBridge's content-filtering documentation, one operator family each.
#[test]
fn the_documented_operators() {
    check(&[
        // Exact values; numbers compared as numbers; null and the empty string.
        (r#"{"s":["a","b"]}"#, r#"{"s":"b"}"#, true),
        (r#"{"s":["a"]}"#, r#"{"s":"A"}"#, false),
        (r#"{"n":[300]}"#, r#"{"n":3.0e2}"#, true),
        (r#"{"n":[300]}"#, r#"{"n":"300"}"#, false),
        (r#"{"n":["300"]}"#, r#"{"n":300}"#, false),
        (r#"{"b":[true]}"#, r#"{"b":true}"#, true),
        (r#"{"b":[true]}"#, r#"{"b":"true"}"#, false),
        (r#"{"u":[null]}"#, r#"{"u":null}"#, true),
        (r#"{"u":[null]}"#, r#"{}"#, false),
        (r#"{"l":[""]}"#, r#"{"l":""}"#, true),
        (r#"{"l":[""]}"#, r#"{"l":null}"#, false),
        // prefix, suffix, equals-ignore-case and their combinations.
        (
            r#"{"t":[{"prefix":"2017-10-02"}]}"#,
            r#"{"t":"2017-10-02T18:43:48Z"}"#,
            true,
        ),
        (
            r#"{"t":[{"prefix":"2017-10-02"}]}"#,
            r#"{"t":"2017-10-03"}"#,
            false,
        ),
        (r#"{"t":[{"prefix":"1"}]}"#, r#"{"t":12}"#, false),
        (
            r#"{"s":[{"prefix":{"equals-ignore-case":"EventB"}}]}"#,
            r#"{"s":"eventbridge"}"#,
            true,
        ),
        (r#"{"f":[{"suffix":".png"}]}"#, r#"{"f":"a.png"}"#, true),
        (r#"{"f":[{"suffix":".png"}]}"#, r#"{"f":"a.PNG"}"#, false),
        (
            r#"{"f":[{"suffix":{"equals-ignore-case":".png"}}]}"#,
            r#"{"f":"a.PNG"}"#,
            true,
        ),
        (
            r#"{"n":[{"equals-ignore-case":"alice"}]}"#,
            r#"{"n":"ALICE"}"#,
            true,
        ),
        (
            r#"{"n":[{"equals-ignore-case":"alice"}]}"#,
            r#"{"n":"alicia"}"#,
            false,
        ),
        // wildcard, with its escapes.
        (
            r#"{"p":[{"wildcard":"dir/*.png"}]}"#,
            r#"{"p":"dir/a/b.png"}"#,
            true,
        ),
        (
            r#"{"p":[{"wildcard":"dir/*.png"}]}"#,
            r#"{"p":"dir/a.jpg"}"#,
            false,
        ),
        (r#"{"p":[{"wildcard":"*"}]}"#, r#"{"p":""}"#, true),
        (r#"{"p":[{"wildcard":"a*b*c"}]}"#, r#"{"p":"abxbc"}"#, true),
        (r#"{"p":[{"wildcard":"a*b*c"}]}"#, r#"{"p":"acb"}"#, false),
        (r#"{"p":[{"wildcard":"a\\*b"}]}"#, r#"{"p":"a*b"}"#, true),
        (r#"{"p":[{"wildcard":"a\\*b"}]}"#, r#"{"p":"axb"}"#, false),
        (r#"{"p":[{"wildcard":"a\\\\b"}]}"#, r#"{"p":"a\\b"}"#, true),
        (r#"{"p":[{"wildcard":"ab"}]}"#, r#"{"p":"abc"}"#, false),
        // anything-but: values, lists, prefix, suffix, equals-ignore-case, wildcard.
        (
            r#"{"s":[{"anything-but":"initializing"}]}"#,
            r#"{"s":"running"}"#,
            true,
        ),
        (
            r#"{"s":[{"anything-but":"initializing"}]}"#,
            r#"{"s":"initializing"}"#,
            false,
        ),
        (r#"{"s":[{"anything-but":"initializing"}]}"#, r#"{}"#, false),
        (r#"{"x":[{"anything-but":123}]}"#, r#"{"x":123.0}"#, false),
        (
            r#"{"x":[{"anything-but":[100,200]}]}"#,
            r#"{"x":300}"#,
            true,
        ),
        (
            r#"{"s":[{"anything-but":["stopped","overloaded"]}]}"#,
            r#"{"s":"stopped"}"#,
            false,
        ),
        (
            r#"{"s":[{"anything-but":{"prefix":"init"}}]}"#,
            r#"{"s":"initial"}"#,
            false,
        ),
        (
            r#"{"s":[{"anything-but":{"prefix":"init"}}]}"#,
            r#"{"s":"running"}"#,
            true,
        ),
        (
            r#"{"s":[{"anything-but":{"prefix":["a","b"]}}]}"#,
            r#"{"s":"bc"}"#,
            false,
        ),
        (
            r#"{"f":[{"anything-but":{"suffix":".png"}}]}"#,
            r#"{"f":"a.png"}"#,
            false,
        ),
        (
            r#"{"f":[{"anything-but":{"suffix":".png"}}]}"#,
            r#"{"f":"a.jpg"}"#,
            true,
        ),
        (
            r#"{"s":[{"anything-but":{"equals-ignore-case":"Stopped"}}]}"#,
            r#"{"s":"STOPPED"}"#,
            false,
        ),
        (
            r#"{"s":[{"anything-but":{"equals-ignore-case":["a","b"]}}]}"#,
            r#"{"s":"C"}"#,
            true,
        ),
        (
            r#"{"p":[{"anything-but":{"wildcard":"*/lib/*"}}]}"#,
            r#"{"p":"/usr/lib/x"}"#,
            false,
        ),
        (
            r#"{"p":[{"anything-but":{"wildcard":"*/lib/*"}}]}"#,
            r#"{"p":"/usr/bin/x"}"#,
            true,
        ),
        // numeric.
        (r#"{"c":[{"numeric":[">",0,"<=",5]}]}"#, r#"{"c":5}"#, true),
        (r#"{"c":[{"numeric":[">",0,"<=",5]}]}"#, r#"{"c":0}"#, false),
        (
            r#"{"c":[{"numeric":[">",0,"<=",5]}]}"#,
            r#"{"c":"3"}"#,
            false,
        ),
        (r#"{"c":[{"numeric":["<",10]}]}"#, r#"{"c":-1e3}"#, true),
        (
            r#"{"c":[{"numeric":["=",3.018e2]}]}"#,
            r#"{"c":301.8}"#,
            true,
        ),
        (r#"{"c":[{"numeric":[">=",1.5]}]}"#, r#"{"c":1.5}"#, true),
        // exists: only leaves count.
        (r#"{"p":[{"exists":true}]}"#, r#"{"p":"x"}"#, true),
        (r#"{"p":[{"exists":true}]}"#, r#"{"p":null}"#, true),
        (r#"{"p":[{"exists":true}]}"#, r#"{"q":"x"}"#, false),
        (r#"{"p":[{"exists":false}]}"#, r#"{"q":"x"}"#, true),
        (r#"{"p":[{"exists":false}]}"#, r#"{"p":{"c1":100}}"#, true),
        (r#"{"p":[{"exists":true}]}"#, r#"{"p":{"c1":100}}"#, false),
        // cidr.
        (
            r#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#,
            r#"{"ip":"10.0.0.255"}"#,
            true,
        ),
        (
            r#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#,
            r#"{"ip":"10.0.1.0"}"#,
            false,
        ),
        (
            r#"{"ip":[{"cidr":"2001:db8::/32"}]}"#,
            r#"{"ip":"2001:db8:1::5"}"#,
            true,
        ),
        (
            r#"{"ip":[{"cidr":"2001:db8::/32"}]}"#,
            r#"{"ip":"10.0.0.1"}"#,
            false,
        ),
        (
            r#"{"ip":[{"cidr":"0.0.0.0/0"}]}"#,
            r#"{"ip":"not an address"}"#,
            false,
        ),
        // Arrays in the event: any element.
        (r#"{"r":["b","z"]}"#, r#"{"r":["a","b"]}"#, true),
        (r#"{"r":["z"]}"#, r#"{"r":["a","b"]}"#, false),
        (
            r#"{"r":[{"numeric":[">",1]}]}"#,
            r#"{"r":[[0],[[2]]]}"#,
            true,
        ),
        // Nested objects.
        (r#"{"d":{"s":["x"]}}"#, r#"{"d":{"s":"x"}}"#, true),
        (r#"{"d":{"s":["x"]}}"#, r#"{"d":"x"}"#, false),
    ]);
}

/// `$or`, as the documentation and aws/event-ruler's README state it.
#[test]
fn or_groups() {
    let normal = r#"{"source":["cw"],"$or":[{"m":["CPU"]},{"n":["EC2"]}]}"#;
    check(&[
        (normal, r#"{"source":"cw","m":"CPU"}"#, true),
        (normal, r#"{"source":"cw","n":"EC2"}"#, true),
        (normal, r#"{"source":"cw","m":"x","n":"y"}"#, false),
        (normal, r#"{"source":"other","m":"CPU"}"#, false),
    ]);
    let nested = r#"{"$or":[{"a":[1]},{"b":[2],"$or":[{"c":[3]},{"d":[4]}]}]}"#;
    check(&[
        (nested, r#"{"a":1}"#, true),
        (nested, r#"{"b":2,"d":4}"#, true),
        (nested, r#"{"b":2}"#, false),
    ]);
    // Array consistency holds through $or: the alternative and the other fields in one element.
    let within = r#"{"d":{"$or":[{"a":[1]},{"b":[2]}],"c":[3]}}"#;
    check(&[
        (within, r#"{"d":[{"a":1},{"c":3}]}"#, false),
        (within, r#"{"d":[{"a":1},{"b":2,"c":3}]}"#, true),
    ]);
}

/// aws/event-ruler's correctness cases (`src/test/resources/correctness-cases.json`), restated
/// with the outcome each case's name states, and its nested-array data
/// (`src/test/data/arrayRule*.json` with `arrayEvent*.json`, as `rulesForJSONEvent` answers):
/// the fields of one object pattern must match within one element of an array of objects.
#[test]
fn event_ruler_array_consistency() {
    let both = r#"{"d":{"a":[{"exists":true}],"b":[{"exists":true}]}}"#;
    let three = r#"{"d":{"a":[{"exists":true}],"b":[{"exists":true}],"c":[{"exists":true}]}}"#;
    let exact = r#"{"d":{"name":["alice"],"status":["active"]}}"#;
    let inner = r#"{"u":{"t":{"k":["color"],"v":["blue"]}}}"#;
    let outer = r#"{"d":{"name":[{"exists":true}],"info":{"x":["1"]}}}"#;
    let leaf2 = r#"{"a":{"b":{"x":[{"exists":true}],"y":[{"exists":true}]}}}"#;
    let absent = r#"{"d":{"a":[{"exists":true}],"b":[{"exists":false}]}}"#;
    let prim = r#"{"d":{"tags":[{"exists":true}],"type":[{"exists":true}]}}"#;
    check(&[
        (both, r#"{"d":{"a":1,"b":2}}"#, true),
        (both, r#"{"d":{"a":1}}"#, false),
        (both, r#"{"d":[{"a":1,"b":2}]}"#, true),
        (both, r#"{"d":[{"a":1},{"b":2}]}"#, false),
        (both, r#"{"d":[{"a":1},{"b":2},{"a":3,"b":4}]}"#, true),
        (three, r#"{"d":[{"a":1,"b":2,"c":3}]}"#, true),
        (three, r#"{"d":[{"a":1},{"b":2},{"c":3}]}"#, false),
        (exact, r#"{"d":[{"name":"alice","status":"active"}]}"#, true),
        (
            exact,
            r#"{"d":[{"name":"alice"},{"status":"active"}]}"#,
            false,
        ),
        (inner, r#"{"u":[{"t":[{"k":"color","v":"blue"}]}]}"#, true),
        (
            inner,
            r#"{"u":[{"t":[{"k":"color"},{"v":"blue"}]}]}"#,
            false,
        ),
        (
            outer,
            r#"{"d":[{"name":"alice"},{"info":{"x":"1"}}]}"#,
            false,
        ),
        (outer, r#"{"d":[{"name":"alice","info":{"x":"1"}}]}"#, true),
        (leaf2, r#"{"a":[{"b":[{"x":1,"y":2}]}]}"#, true),
        (leaf2, r#"{"a":[{"b":[{"x":1},{"y":2}]}]}"#, false),
        (absent, r#"{"d":[{"a":1}]}"#, true),
        (absent, r#"{"d":[{"a":1,"b":2}]}"#, false),
        (r#"{"d":{"a":[{"exists":true}]}}"#, r#"{}"#, false),
        (r#"{"d":{"a":[{"exists":true}]}}"#, r#"{"d":[]}"#, false),
        (
            r#"{"d":{"a":[{"exists":true}]}}"#,
            r#"{"d":[{"a":1},{"a":2}]}"#,
            true,
        ),
        (
            r#"{"d":{"a":["target"],"b":["found"]}}"#,
            r#"{"d":[{"a":"x"},{"a":"target","b":"found"},{"a":"z"}]}"#,
            true,
        ),
        (
            r#"{"i":{"p":[{"numeric":[">",0,"<",100]}],"n":[{"exists":true}]}}"#,
            r#"{"i":[{"n":"w","p":50},{"n":"g","p":200}]}"#,
            true,
        ),
        (
            r#"{"u":{"s":[{"anything-but":"banned"}],"n":[{"exists":true}]}}"#,
            r#"{"u":[{"n":"alice","s":"banned"},{"n":"bob","s":"active"}]}"#,
            true,
        ),
        (prim, r#"{"d":{"tags":["a","b","c"],"type":"GROUP"}}"#, true),
        (prim, r#"{"d":{"tags":[],"type":"x"}}"#, false),
        (
            r#"{"tags":["admin"]}"#,
            r#"{"tags":["user","admin"]}"#,
            true,
        ),
        (
            r#"{"tags":["superadmin"]}"#,
            r#"{"tags":["user","admin"]}"#,
            false,
        ),
        (
            r#"{"d":{"tags":[{"prefix":"super"}],"type":[{"exists":true}]}}"#,
            r#"{"d":{"tags":["admin","user","dev"],"type":"GROUP"}}"#,
            false,
        ),
        (
            r#"{"d":{"vals":[{"numeric":[">",0,"<",10]}],"type":[{"exists":true}]}}"#,
            r#"{"d":{"vals":[100,5,200],"type":"ok"}}"#,
            true,
        ),
        (
            r#"{"d":{"tags":[{"anything-but":"banned"}],"type":[{"exists":true}]}}"#,
            r#"{"d":{"tags":["banned","ok"],"type":"x"}}"#,
            true,
        ),
        (
            r#"{"users":{"name":[{"exists":true}]},"version":["2"]}"#,
            r#"{"users":[{"name":"alice"}],"version":"1"}"#,
            false,
        ),
        (
            r#"{"users":{"name":[{"exists":true}],"email":[{"exists":true}]},"tags":["admin"]}"#,
            r#"{"users":[{"name":"alice"},{"email":"b@x"}],"tags":["admin"]}"#,
            false,
        ),
        (
            r#"{"detail":{"email":[{"exists":true}],"name":[{"exists":true}]}}"#,
            r#"{"detail":[{"email":"a@x"},{"email":"b@x"},{"email":"e@x","name":"eve"}]}"#,
            true,
        ),
        (
            r#"{"d":{"name":[{"suffix":"ice"}],"type":[{"exists":true}]}}"#,
            r#"{"d":[{"name":"alice"},{"type":"user"}]}"#,
            false,
        ),
        // arrayRule3 on arrayEvent3 (no element has both) and arrayRule4 on arrayEvent4.
        (
            r#"{"metrics":{"metricName":["CPUUtilization"],"namespace":["AWS/ES"]}}"#,
            r#"{"metrics":[{"metricName":"CPUUtilization","namespace":"AWS/EC2"},
                          {"metricName":"RequestCount","namespace":"AWS/ES"}]}"#,
            false,
        ),
        (
            r#"{"metrics":{"metricName":["CPUUtilization","ReadLatency"],"namespace":["AWS/EC2","AWS/ES"]}}"#,
            r#"{"metrics":[{"metricName":"CPUUtilization","namespace":"AWS/ES"}]}"#,
            true,
        ),
    ]);
}

#[test]
fn bad_patterns_name_the_field_and_the_rule() {
    let cases = [
        (
            r#"{"a":{}}"#,
            "at a: an object of a pattern must have fields",
        ),
        (
            r#"{"a":[]}"#,
            "at a: a field's array must have at least one value",
        ),
        (
            r#"{"a":"x"}"#,
            "at a: a field's pattern must be an array of values or an object",
        ),
        (
            r#"{"a":[{"regex":"x"}]}"#,
            "at a: `regex` is not an EventBridge comparison operator",
        ),
        (
            r#"{"a":[{"prefix":"a","suffix":"b"}]}"#,
            "exactly one operator",
        ),
        (r#"{"a":[{"prefix":1}]}"#, "prefix takes a string"),
        (r#"{"a":[{"exists":"yes"}]}"#, "exists takes true or false"),
        (
            r#"{"a":[{"anything-but":["a",1]}]}"#,
            "only strings or only numbers",
        ),
        (r#"{"a":[{"anything-but":true}]}"#, "anything-but takes"),
        (r#"{"a":[{"anything-but":{"prefix":""}}]}"#, "not empty"),
        (
            r#"{"a":[{"anything-but":{"numeric":[">",1]}}]}"#,
            "`anything-but numeric`",
        ),
        (r#"{"a":[{"numeric":["<",1,">",0]}]}"#, "a lower bound"),
        (
            r#"{"a":[{"numeric":[">",5,"<",1]}]}"#,
            "not above the upper bound",
        ),
        (r#"{"a":[{"numeric":["~",1]}]}"#, "`numeric ~`"),
        (
            r#"{"a":[{"numeric":[">","1"]}]}"#,
            "a number after each operator",
        ),
        (r#"{"a":[{"wildcard":"a**"}]}"#, "no two consecutive"),
        (r#"{"a":[{"wildcard":"a\\b"}]}"#, "a backslash only before"),
        (r#"{"a":[{"cidr":"10.0.0.0/33"}]}"#, "an IPv4 or IPv6 block"),
        (r#"{"a":[{"cidr":"10.0.0.0"}]}"#, "an IPv4 or IPv6 block"),
        (r#"{"a":[[1]]}"#, "values that are strings"),
        (
            r#"{"a":{"b":[{"prefix":{"suffix":"x"}}]}}"#,
            "at a.b: a comparison must be",
        ),
        (
            r#"{"$or":[{"a":[1]}]}"#,
            "$or takes an array of at least two objects",
        ),
        (
            r#"{"$or":{"a":[1]}}"#,
            "$or takes an array of at least two objects",
        ),
        (r#"{"a":{"$or":[{"b":[1]},2]}}"#, "at a.$or: $or takes"),
        (
            r#"{"$or":[{"numeric":[1]},{"b":[2]}]}"#,
            "`numeric` is a comparison operator",
        ),
    ];
    for (pattern, expected) in cases {
        let error = compile_error(pattern).to_string();
        assert!(error.contains(expected), "{pattern}: {error}");
    }
}

/// A record of `orders` (key `order-1`) with `headers` and a JSON `value` (`None`: a
/// tombstone), and its event's entry.
fn event(headers: &[(&str, &str)], value: Option<&str>) -> (DecodedRecord, EventEntry) {
    let record = DecodedRecord {
        key: Some(PayloadFormat::String.decode(b"order-1".to_vec()).unwrap()),
        ..DecodedRecord::sample("orders", headers, value)
    };
    let mapper = Mapper::new(
        "kafka-connect.c1",
        &["arn:aws:kafka:r".to_owned()],
        DetailTypeRule::Template("kafka-connect-${topic}".to_owned()),
        TimeRule::None,
    );
    let entry = mapper.map(&record).unwrap();
    (record, entry)
}

const HEADERS: &[(&str, &str)] = &[("type", "created"), ("tenant", "t1")];
const VALUE: &str = r#"{"amount":42,"items":[{"sku":"a","qty":1},{"sku":"b","qty":3}]}"#;

fn keeps(filter: &Filter, (record, entry): &(DecodedRecord, EventEntry)) -> bool {
    filter.keeps(record, entry)
}

/// The filter judges the event as it would be put: envelope and detail.
#[test]
fn the_filter_sees_the_event_as_put() {
    let sample = event(HEADERS, Some(VALUE));
    let check = |patterns: &str| keeps(&Filter::parse(patterns).unwrap(), &sample);
    assert!(check(r#"{"source":["kafka-connect.c1"]}"#));
    assert!(check(r#"{"detail-type":[{"suffix":"-orders"}]}"#));
    assert!(check(r#"{"resources":["arn:aws:kafka:r"]}"#));
    assert!(check(
        r#"{"detail":{"topic":[{"prefix":"ord"}],"partition":[0]}}"#
    ));
    assert!(check(
        r#"{"detail":{"timestamp":[{"numeric":[">",0]}],"timestampType":["CreateTime"]}}"#
    ));
    assert!(check(r#"{"detail":{"headers":{"type":["created"]}}}"#));
    assert!(!check(
        r#"{"detail":{"headers":{"type":["created"],"tenant":["t1"]}}}"#
    ));
    assert!(check(
        r#"{"detail":{"key":["order-1"],"value":{"amount":[{"numeric":[">",40]}]}}}"#
    ));
    assert!(check(
        r#"{"detail":{"value":{"items":{"sku":["b"],"qty":[3]}}}}"#
    ));
    assert!(!check(
        r#"{"detail":{"value":{"items":{"sku":["a"],"qty":[3]}}}}"#
    ));
    assert!(!check(r#"{"detail":{"key":[null]}}"#));
    // A leaf and an object on the same member, in two patterns.
    assert!(check(
        r#"[{"detail":{"value":[{"exists":false}]}},{"detail":{"value":{"amount":[1]}}}]"#
    ));
    // Any of several patterns.
    assert!(check(
        r#"[{"detail":{"key":[null]}},{"detail":{"offset":[5]}}]"#
    ));
    assert!(!check(
        r#"[{"detail":{"key":[null]}},{"detail":{"offset":[6]}}]"#
    ));
    // A tombstone: the value is null.
    let tombstone = event(HEADERS, None);
    let tombstones = Filter::parse(r#"{"detail":{"value":[null]}}"#).unwrap();
    assert!(keeps(&tombstones, &tombstone));
    assert!(!keeps(&tombstones, &sample));
    // Anything but a tombstone: no leaf value (an object), a string, a number or a boolean.
    let values = r#"{"detail":{"value":[{"exists":false},{"prefix":""},{"numeric":[">=",0]},{"numeric":["<",0]},true,false]}}"#;
    let values = Filter::parse(values).unwrap();
    assert!(!keeps(&values, &tombstone));
    assert!(keeps(&values, &sample));
    for value in [r#""text""#, "0", "-2.5", "false", "[]", r#"{"a":null}"#] {
        assert!(keeps(&values, &event(HEADERS, Some(value))), "{value}");
    }
    // No header of a name: no element of the headers has it.
    let no_tenant =
        Filter::parse(r#"{"detail":{"headers":{"tenant":[{"exists":false}]}}}"#).unwrap();
    assert!(!keeps(&no_tenant, &sample));
    assert!(keeps(&no_tenant, &event(&[("region", "eu")], Some(VALUE))));
    assert!(keeps(&no_tenant, &event(&[], Some(VALUE))));
}

/// The filter reads only what the patterns reach.
#[test]
fn only_what_the_patterns_reach_is_read() {
    let filter = Filter::parse(
        r#"[{"detail":{"topic":["x"],"value":{"a":{"b":[1]}}}},{"detail":{"value":{"a":[2],"c":[3]}}}]"#,
    )
    .unwrap();
    assert_eq!(filter.view.fields, ["detail"]);
    let members: Vec<&str> = filter.view.members.iter().map(|(m, _)| *m).collect();
    assert_eq!(members, ["topic", "value"]);
    let shape = &filter.view.members[1].1;
    let read = shape
        .read(r#"{"a":{"b":1,"z":{"deep":[1,2]}},"c":[3,{"d":4}],"e":"skipped"}"#)
        .unwrap();
    assert_eq!(read, serde_json::json!({"a":{"b":1},"c":[3,{}]}));
    let envelope = Filter::parse(r#"{"source":["x"]}"#).unwrap();
    assert!(envelope.view.members.is_empty());
    // Of a member named twice, the first.
    let first_two = Filter::parse(r#"{"detail":{"value":{"a":[1],"b":[2]}}}"#).unwrap();
    let shape = &first_two.view.members[0].1;
    let read = shape.read(r#"{"a":1,"x":{"a":5,"a":6},"a":7,"b":2}"#);
    assert_eq!(read, Some(serde_json::json!({"a":1,"b":2})));
    assert_eq!(shape.read(r#"{"a":1,"#), None, "not JSON");
}

/// The JSON a node of the filter's view stands for.
fn to_value(doc: view::Doc<'_>) -> serde_json::Value {
    use json::{Json, Kind, Scalar};
    match doc {
        view::Doc::Header((name, _)) => {
            serde_json::json!({ name.as_str(): to_value(doc.get(name).unwrap()) })
        }
        view::Doc::Json(value) => value.clone(),
        _ => match doc.kind() {
            Kind::Array { .. } => {
                let mut items = Vec::new();
                doc.any_element(&mut |item| {
                    items.push(to_value(item));
                    false
                });
                serde_json::Value::Array(items)
            }
            Kind::Scalar(Scalar::Str(s)) => serde_json::Value::from(s.into_owned()),
            Kind::Scalar(Scalar::Num(n)) => serde_json::Value::from(n),
            Kind::Scalar(Scalar::Bool(b)) => serde_json::Value::from(b),
            Kind::Scalar(Scalar::Null) => serde_json::Value::Null,
            Kind::Object => panic!("no object but a header here"),
        },
    }
}

/// `value` with every number as a double, as the patterns compare numbers.
fn as_doubles(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Number(n) => serde_json::Value::from(n.as_f64().unwrap()),
        serde_json::Value::Array(items) => items.iter().map(as_doubles).collect(),
        serde_json::Value::Object(members) => serde_json::Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), as_doubles(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A leaf's view of any JSON: its objects emptied (they have no values), arrays and scalars kept.
fn leaf_view(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(_) => serde_json::json!({}),
        serde_json::Value::Array(items) => items.iter().map(leaf_view).collect(),
        other => other.clone(),
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let scalar = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1e6f64..1e6).prop_map(serde_json::Value::from),
        ".{0,8}".prop_map(serde_json::Value::from),
    ];
    scalar.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(".{0,4}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// The view the filter builds from the record is the detail the mapper writes: every
    /// member, for any record (headers of any bytes, keys and values of any JSON).
    #[test]
    fn the_view_is_the_detail(
        topic in ".{1,12}",
        partition in 0i64..100,
        offset in any::<i64>(),
        timestamp in prop::option::of(any::<i64>()),
        headers in prop::collection::vec((".{0,6}", prop::collection::vec(any::<u8>(), 0..6)), 0..4),
        key in prop::option::of(json_value()),
        value in prop::option::of(json_value()),
    ) {
        let record = DecodedRecord {
            topic: topic.as_str().into(),
            partition,
            offset,
            timestamp,
            timestamp_type: TimestampType::LogAppendTime,
            headers,
            key: key.map(|k| PayloadFormat::Json.decode(k.to_string().into_bytes()).unwrap()),
            value: value.map(|v| PayloadFormat::Json.decode(v.to_string().into_bytes()).unwrap()),
        };
        let (_, entry) = event(&[], None);
        let all = DETAIL_MEMBERS.map(|m| format!(r#""{m}":[{{"exists":true}}]"#)).join(",");
        let filter = Filter::parse(&format!(r#"{{"detail":{{{all}}}}}"#)).unwrap();
        use json::Json as _;
        let event = filter.view.event(&record, &entry).unwrap();
        let detail_doc = event.root().get("detail").unwrap();
        let detail: serde_json::Value = serde_json::from_str(&crate::map::detail(&record)).unwrap();
        for member in DETAIL_MEMBERS {
            let expected = if matches!(member, "key" | "value") {
                leaf_view(&detail[member])
            } else {
                detail[member].clone()
            };
            let seen = to_value(detail_doc.get(member).unwrap());
            prop_assert_eq!(as_doubles(&seen), as_doubles(&expected), "{}", member);
        }
    }
}

#[test]
fn bad_configurations_are_refused_with_the_reason() {
    let error = |text: &str| Filter::parse(text).unwrap_err().to_string();
    assert!(error("{").starts_with("is not JSON"));
    assert!(error("[]").contains("an array of 1 to 5"));
    assert!(error("[1]").contains("an array of 1 to 5"));
    assert!(error(r#""x""#).contains("an array of 1 to 5"));
    assert!(error("{}").contains("must have fields"));
    let six = format!("[{}]", [r#"{"source":["a"]}"#; 6].join(","));
    assert_eq!(error(&six), "has 6 patterns; at most 5 are allowed");
    let long = format!(r#"{{"source":["{}"]}}"#, "a".repeat(MAX_PATTERN_CHARS));
    assert!(error(&long).contains("EventBridge accepts at most 4096"));
    assert!(error(r#"{"account":["1"]}"#).contains("`account`, which EventBridge sets"));
    assert!(error(r#"{"detail":{"values":["1"]}}"#).contains("names detail.values"));
    assert!(error(r#"{"$or":[{"time":["1"]},{"source":["a"]}]}"#).contains("`time`"));
    // 11 × 11 × 11 = 1,331 combinations.
    let or11 = (0..11)
        .map(|i| format!(r#"{{"k":[{i}]}}"#))
        .collect::<Vec<_>>()
        .join(",");
    let group = |name: &str| format!(r#""{name}":{{"$or":[{or11}]}}"#);
    let complex = format!(
        r#"{{"detail":{{"value":{{{},{},{}}}}}}}"#,
        group("a"),
        group("b"),
        group("c")
    );
    assert_eq!(
        error(&complex),
        "has a pattern whose $or groups expand to 1331 combinations; at most 1000 are allowed"
    );
}
