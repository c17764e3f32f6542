//! A JSON Schema (draft 2020-12) validator for the subset the contract schemas use.
//!
//! The schemas under `crates/wire/schema/` describe what `explain`, `simulate` and the request
//! speak on the wire. Every face's tests check their JSON against them, so the checker lives here,
//! small enough to read in one sitting and with no dependency beyond `serde_json`.
//!
//! Supported keywords: `type` (a name or a list of names, so `["string", "null"]` is a nullable
//! string), `enum`, `const`, `properties`, `required`, `additionalProperties` (a boolean or a
//! schema), `items`, `anyOf`, `minimum`, `maximum` and `$ref` to a JSON pointer inside the same
//! document (`#/$defs/name`). Annotations (`title`, `description`, `format`...) are ignored, as
//! the draft allows. Any other keyword is reported as an error rather than skipped: a schema that
//! silently leaned on an unimplemented keyword would accept everything it was meant to reject.

use std::path::Path;

use serde_json::{Map, Value};

/// Keywords that describe rather than constrain; draft 2020-12 lets a validator ignore them.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "title",
    "description",
    "examples",
    "default",
    "format",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Keywords this validator enforces.
const ASSERTIONS: &[&str] = &[
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "minimum",
    "maximum",
    "$ref",
];

/// How many `$ref`s may be followed without consuming any of the instance; beyond it a schema
/// refers to itself in a loop.
const MAX_REF_DEPTH: usize = 64;

/// Checks `instance` against `schema`. Each error names the instance location as a JSON pointer
/// (`/steps/0/outcome`) and what is wrong there; errors in the schema itself (an unsupported
/// keyword, a `$ref` that resolves to nothing) are reported the same way, with a `#` location.
pub fn validate(schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check_schema(schema, schema, "#", &mut errors);
    if errors.is_empty() {
        Validator { root: schema, errors: &mut errors }.check(schema, instance, "", 0);
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// One of the contract schemas, `request`, `explanation` or `simulation`, read from
/// `crates/wire/schema/<name>.schema.json`.
pub fn contract_schema(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/wire/schema")
        .join(format!("{name}.schema.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// Walks the whole schema once, so that an unsupported keyword or a dangling `$ref` is found
/// even in a branch the instance at hand never reaches.
fn check_schema(root: &Value, schema: &Value, at: &str, errors: &mut Vec<String>) {
    let object = match schema {
        Value::Bool(_) => return,
        Value::Object(object) => object,
        _ => {
            errors.push(format!("schema {at}: a schema must be an object or a boolean"));
            return;
        }
    };
    for (keyword, value) in object {
        let here = format!("{at}/{keyword}");
        match keyword.as_str() {
            "$defs" | "properties" => match value.as_object() {
                Some(children) => {
                    for (name, child) in children {
                        check_schema(root, child, &format!("{here}/{name}"), errors);
                    }
                }
                None => errors.push(format!("schema {here}: must be an object")),
            },
            "additionalProperties" | "items" => check_schema(root, value, &here, errors),
            "anyOf" => match value.as_array() {
                Some(branches) if !branches.is_empty() => {
                    for (index, branch) in branches.iter().enumerate() {
                        check_schema(root, branch, &format!("{here}/{index}"), errors);
                    }
                }
                _ => errors.push(format!("schema {here}: must be a non-empty array")),
            },
            "$ref" => {
                if resolve(root, value).is_none() {
                    errors.push(format!(
                        "schema {here}: `{value}` does not resolve in this document"
                    ));
                }
            }
            "type" => {
                let names: Vec<&Value> = match value {
                    Value::Array(names) => names.iter().collect(),
                    name => vec![name],
                };
                for name in names {
                    if name.as_str().is_none_or(|name| type_matches_name(name).is_none()) {
                        errors.push(format!("schema {here}: unknown type {name}"));
                    }
                }
            }
            "enum" | "required" if !value.is_array() => {
                errors.push(format!("schema {here}: must be an array"));
            }
            "minimum" | "maximum" if !value.is_number() => {
                errors.push(format!("schema {here}: must be a number"));
            }
            keyword if ASSERTIONS.contains(&keyword) || ANNOTATIONS.contains(&keyword) => {}
            keyword => errors.push(format!(
                "schema {here}: `{keyword}` is not supported by this validator; \
                 use the keywords listed in tests/src/schema.rs or extend it"
            )),
        }
    }
}

/// `#/$defs/name` (any JSON pointer into the root, in fact) to the schema it names.
fn resolve<'a>(root: &'a Value, reference: &Value) -> Option<&'a Value> {
    let pointer = reference.as_str()?.strip_prefix('#')?;
    root.pointer(pointer)
}

/// For a known type name, a test of whether a value has that type; `None` for unknown names.
fn type_matches_name(name: &str) -> Option<fn(&Value) -> bool> {
    Some(match name {
        "null" => Value::is_null,
        "boolean" => Value::is_boolean,
        "object" => Value::is_object,
        "array" => Value::is_array,
        "string" => Value::is_string,
        "number" => Value::is_number,
        // 2.0 is an integer in JSON Schema: the data model knows numbers, not their spelling.
        "integer" => |value| match value {
            Value::Number(number) => {
                number.is_i64()
                    || number.is_u64()
                    || number.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => return None,
    })
}

/// Equality in the JSON data model: numbers compare by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => {
            if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
                a == b
            } else if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
                a == b
            } else {
                a.as_f64() == b.as_f64()
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(key, a)| b.get(key).is_some_and(|b| json_eq(a, b)))
        }
        (a, b) => a == b,
    }
}

/// A short rendering of a value for messages: long strings and containers are cut.
fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 {
        text
    } else {
        format!("{}…", text.chars().take(60).collect::<String>())
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

struct Validator<'a, 'e> {
    root: &'a Value,
    errors: &'e mut Vec<String>,
}

impl Validator<'_, '_> {
    fn fail(&mut self, at: &str, message: String) {
        let at = if at.is_empty() { "/" } else { at };
        self.errors.push(format!("at {at}: {message}"));
    }

    /// `refs` counts `$ref`s followed since the instance location last changed.
    fn check(&mut self, schema: &Value, instance: &Value, at: &str, refs: usize) {
        let object = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                self.fail(at, "no value is allowed here".to_string());
                return;
            }
            Value::Object(object) => object,
            _ => return, // reported by `check_schema`
        };
        if let Some(reference) = object.get("$ref") {
            if refs >= MAX_REF_DEPTH {
                self.fail(at, format!("`$ref` loop through {reference}"));
                return;
            }
            if let Some(target) = resolve(self.root, reference) {
                self.check(target, instance, at, refs + 1);
            }
        }
        if let Some(types) = object.get("type") {
            let names: Vec<&str> = match types {
                Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
                name => name.as_str().into_iter().collect(),
            };
            let matches =
                names.iter().any(|name| type_matches_name(name).is_some_and(|test| test(instance)));
            if !matches {
                let expected = names.join(" or ");
                self.fail(
                    at,
                    format!(
                        "expected {expected}, found {} {}",
                        type_name(instance),
                        brief(instance)
                    ),
                );
                // The other keywords would only repeat the mismatch in other words.
                return;
            }
        }
        if let Some(Value::Array(allowed)) = object.get("enum") {
            if !allowed.iter().any(|allowed| json_eq(allowed, instance)) {
                let allowed: Vec<String> = allowed.iter().map(Value::to_string).collect();
                self.fail(at, format!("{} is not one of {}", brief(instance), allowed.join(", ")));
            }
        }
        if let Some(constant) = object.get("const") {
            if !json_eq(constant, instance) {
                self.fail(at, format!("expected {}, found {}", brief(constant), brief(instance)));
            }
        }
        if let Some(number) = instance.as_f64() {
            if let Some(minimum) = object.get("minimum").and_then(Value::as_f64) {
                if number < minimum {
                    self.fail(at, format!("{instance} is less than the minimum {minimum}"));
                }
            }
            if let Some(maximum) = object.get("maximum").and_then(Value::as_f64) {
                if number > maximum {
                    self.fail(at, format!("{instance} is more than the maximum {maximum}"));
                }
            }
        }
        if let Value::Object(members) = instance {
            self.check_object(object, members, at);
        }
        if let (Value::Array(elements), Some(items)) = (instance, object.get("items")) {
            for (index, element) in elements.iter().enumerate() {
                self.check(items, element, &format!("{at}/{index}"), 0);
            }
        }
        if let Some(Value::Array(branches)) = object.get("anyOf") {
            let passes = branches.iter().any(|branch| {
                let mut errors = Vec::new();
                Validator { root: self.root, errors: &mut errors }
                    .check(branch, instance, at, refs);
                errors.is_empty()
            });
            if !passes {
                self.fail(at, "matches none of the `anyOf` alternatives".to_string());
            }
        }
    }

    fn check_object(
        &mut self,
        schema: &Map<String, Value>,
        members: &Map<String, Value>,
        at: &str,
    ) {
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !members.contains_key(name) {
                    self.fail(at, format!("missing required property `{name}`"));
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (name, value) in members {
            let here = format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"));
            match properties.and_then(|properties| properties.get(name)) {
                Some(property) => self.check(property, value, &here, 0),
                None => match additional {
                    Some(Value::Bool(false)) => {
                        self.fail(at, format!("property `{name}` is not allowed here"));
                    }
                    Some(additional) => self.check(additional, value, &here, 0),
                    None => {}
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors(schema: Value, instance: Value) -> Vec<String> {
        validate(&schema, &instance).err().unwrap_or_default()
    }

    #[test]
    fn types_and_nullable_type_lists() {
        assert!(errors(json!({"type": "string"}), json!("a")).is_empty());
        assert_eq!(
            errors(json!({"type": "string"}), json!(1)),
            ["at /: expected string, found number 1"]
        );
        assert!(errors(json!({"type": ["string", "null"]}), json!(null)).is_empty());
        assert!(!errors(json!({"type": ["string", "null"]}), json!(false)).is_empty());
        assert!(errors(json!({"type": "integer"}), json!(2)).is_empty());
        assert!(errors(json!({"type": "integer"}), json!(2.0)).is_empty());
        assert!(!errors(json!({"type": "integer"}), json!(2.5)).is_empty());
        assert!(errors(json!({"type": "number"}), json!(2.5)).is_empty());
        assert!(!errors(json!({"type": "boolean"}), json!("true")).is_empty());
        assert!(!errors(json!({"type": "object"}), json!([])).is_empty());
        assert!(!errors(json!({"type": "array"}), json!({})).is_empty());
    }

    #[test]
    fn missing_required_properties_are_named() {
        let schema = json!({"type": "object", "required": ["a", "b"]});
        assert!(errors(schema.clone(), json!({"a": 1, "b": null})).is_empty());
        assert_eq!(errors(schema, json!({"a": 1})), ["at /: missing required property `b`"]);
    }

    #[test]
    fn enum_and_const() {
        let schema = json!({"enum": ["pass", "fail"]});
        assert!(errors(schema.clone(), json!("pass")).is_empty());
        assert_eq!(
            errors(schema, json!("passed")),
            [r#"at /: "passed" is not one of "pass", "fail""#]
        );
        assert!(errors(json!({"enum": [1]}), json!(1.0)).is_empty(), "numbers compare by value");
        assert!(errors(json!({"const": "x"}), json!("x")).is_empty());
        assert!(!errors(json!({"const": "x"}), json!("y")).is_empty());
    }

    #[test]
    fn nested_errors_carry_the_instance_path() {
        let schema = json!({
            "type": "object",
            "properties": {
                "steps": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"outcome": {"enum": ["pass", "fail"]}}
                }}
            }
        });
        let found = errors(schema, json!({"steps": [{"outcome": "pass"}, {"outcome": "ok"}]}));
        assert_eq!(found, [r#"at /steps/1/outcome: "ok" is not one of "pass", "fail""#]);
    }

    #[test]
    fn additional_properties_false_or_a_schema() {
        let closed = json!({"properties": {"a": {}}, "additionalProperties": false});
        assert!(errors(closed.clone(), json!({"a": 1})).is_empty());
        assert_eq!(
            errors(closed, json!({"a": 1, "b": 2})),
            ["at /: property `b` is not allowed here"]
        );
        let map = json!({"type": "object", "additionalProperties": {"type": "string"}});
        assert!(errors(map.clone(), json!({"x": "1"})).is_empty());
        assert_eq!(errors(map, json!({"x": 1})), ["at /x: expected string, found number 1"]);
        let open = json!({"properties": {"a": {"type": "string"}}});
        assert!(errors(open, json!({"a": "1", "later": true})).is_empty());
    }

    #[test]
    fn refs_minimum_maximum_and_any_of() {
        let schema = json!({
            "$defs": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
            "properties": {"port": {"$ref": "#/$defs/port"}},
            "anyOf": [{"required": ["host"]}, {"required": ["dest_ip"]}]
        });
        assert!(errors(schema.clone(), json!({"host": "a", "port": 443})).is_empty());
        assert!(errors(schema.clone(), json!({"dest_ip": "10.0.0.1"})).is_empty());
        assert_eq!(
            errors(schema.clone(), json!({"host": "a", "port": 0})),
            ["at /port: 0 is less than the minimum 1"]
        );
        assert!(!errors(schema.clone(), json!({"host": "a", "port": 70000})).is_empty());
        assert_eq!(errors(schema, json!({})), ["at /: matches none of the `anyOf` alternatives"]);
    }

    #[test]
    fn unsupported_keywords_and_dangling_refs_are_schema_errors() {
        let found = errors(json!({"properties": {"a": {"pattern": "^x"}}}), json!({}));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("schema #/properties/a/pattern: `pattern` is not supported"),
            "{found:?}"
        );
        let found = errors(json!({"items": {"$ref": "#/$defs/missing"}}), json!([]));
        assert_eq!(
            found,
            ["schema #/items/$ref: `\"#/$defs/missing\"` does not resolve in this document"]
        );
        assert!(!errors(json!({"type": "text"}), json!("a")).is_empty());
    }

    #[test]
    fn ref_loops_end() {
        let schema = json!({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"});
        assert!(!errors(schema, json!(1)).is_empty());
    }

    /// The backticked names in the first column of the table under `heading` in CONTRACT.md.
    fn contract_fields(heading: &str) -> Vec<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/wire/CONTRACT.md");
        let text = std::fs::read_to_string(path).expect("read CONTRACT.md");
        let section =
            text.split("\n## ").find(|section| section.starts_with(heading)).expect("section");
        // Subsections (`###`) hold the optional extras and conventions, not the required table.
        let section = section.split("\n### ").next().unwrap_or(section);
        let mut fields: Vec<String> = section
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once('`').map(|(name, _)| name.to_string()))
            .collect();
        fields.sort();
        fields
    }

    /// The names in the first column of CONTRACT.md's "Fields beyond the required ones" table
    /// (`hash.key`, `destinations[].exists`...).
    fn extra_fields() -> Vec<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/wire/CONTRACT.md");
        let text = std::fs::read_to_string(path).expect("read CONTRACT.md");
        let section = text
            .split("\n### ")
            .find(|section| section.starts_with("Fields beyond the required ones"))
            .expect("the extras table");
        section
            .lines()
            .filter_map(|line| line.strip_prefix("| "))
            .filter_map(|rest| rest.split_once(" |").map(|(first, _)| first))
            .flat_map(|first| first.split(", "))
            .filter_map(|name| name.strip_prefix('`')?.strip_suffix('`'))
            .map(str::to_string)
            .collect()
    }

    /// Whether the schema describes a dotted field path (`a.b`, `a[].b`), following `$ref`s and
    /// `anyOf` branches.
    fn describes(root: &Value, schema: &Value, path: &[&str]) -> bool {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.trim_start_matches("#/$defs/");
            return describes(root, &root["$defs"][name], path);
        }
        if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
            return branches.iter().any(|branch| describes(root, branch, path));
        }
        let Some((first, rest)) = path.split_first() else { return true };
        let (name, list) = match first.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (*first, false),
        };
        let Some(field) = schema.get("properties").and_then(|p| p.get(name)) else {
            return false;
        };
        if list {
            let items = field.get("items").cloned().unwrap_or(Value::Null);
            describes(root, &items, rest)
        } else {
            describes(root, field, rest)
        }
    }

    #[test]
    fn the_schemas_describe_every_extra_field_of_the_contract() {
        let explanation = contract_schema("explanation");
        let extras = extra_fields();
        assert!(extras.len() >= 10, "the extras table was found: {extras:?}");
        for field in extras {
            // `refs[]` hangs off every step.
            let path = if field.starts_with("refs[]") { format!("steps[].{field}") } else { field };
            let parts: Vec<&str> = path.split('.').collect();
            assert!(describes(&explanation, &explanation, &parts), "the schema lacks {path}");
        }
    }

    fn sorted_keys(object: &Value) -> Vec<String> {
        let mut keys: Vec<String> =
            object.as_object().expect("an object").keys().cloned().collect();
        keys.sort();
        keys
    }

    #[test]
    fn contract_schemas_use_only_the_supported_subset() {
        for name in ["request", "explanation", "simulation"] {
            let schema = contract_schema(name);
            assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{name}");
            let mut problems = Vec::new();
            check_schema(&schema, &schema, "#", &mut problems);
            assert!(problems.is_empty(), "{name}: {problems:?}");
        }
    }

    #[test]
    fn the_schemas_cover_every_field_of_the_contract() {
        let request = contract_schema("request");
        assert_eq!(sorted_keys(&request["properties"]), contract_fields("Request"));
        let explanation = contract_schema("explanation");
        let fields = contract_fields("Explanation");
        let described = sorted_keys(&explanation["properties"]);
        let missing: Vec<&String> =
            fields.iter().filter(|field| !described.contains(field)).collect();
        assert!(
            missing.is_empty(),
            "fields of CONTRACT.md the schema does not describe: {missing:?}"
        );
        let mut required: Vec<String> =
            serde_json::from_value(explanation["required"].clone()).expect("names");
        required.sort();
        assert_eq!(
            required, fields,
            "an explanation carries every field, null when it has no value"
        );
    }

    #[test]
    fn requests_need_a_host_or_a_destination_address() {
        let schema = contract_schema("request");
        assert!(validate(&schema, &json!({"host": "api.stripe.com", "protocol": "tls"})).is_ok());
        assert!(
            validate(&schema, &json!({"dest_ip": "10.0.0.7", "port": 5432, "protocol": "tcp"}))
                .is_ok()
        );
        assert!(
            validate(&schema, &json!({"headers": {"x-user": ["a", "b"], "x-b": "c"}, "host": "a"}))
                .is_ok()
        );
        assert!(validate(&schema, &json!({"from": "payments"})).is_err());
        assert!(validate(&schema, &json!({"host": "a", "protocol": "udp"})).is_err());
        assert!(validate(&schema, &json!({"host": "a", "port": "443"})).is_err());
        assert!(validate(&schema, &json!({"host": "a", "headers": {"x": 1}})).is_err());
        assert!(validate(&schema, &json!({"host": "a", "dns": {"b": "10.0.0.1"}})).is_err());
    }

    /// A small but complete explanation: a weighted route with hashing and TLS origination.
    fn explanation() -> Value {
        json!({
            "outcome": "routed",
            "http_status": null,
            "service_entry": {"namespace": "geo", "name": "geo", "host": "geo.example.com", "match": "exact"},
            "virtual_service": {"namespace": "geo", "name": "split", "route": 0},
            "destination_rule": {"namespace": "geo", "name": "geo"},
            "cluster": "outbound|443|v1|geo.example.com",
            "cluster_exists": true,
            "destinations": [
                {"cluster": "outbound|443|v1|geo.example.com", "host": "geo.example.com", "subset": "v1", "port": 443, "weight": 80, "percent": 80.0},
                {"cluster": "outbound|443|v2|geo.example.com", "host": "geo.example.com", "subset": "v2", "port": 443, "weight": 20, "percent": 20.0}
            ],
            "envoy_cluster_type": "STRICT_DNS",
            "endpoints": [{"address": "v1.geo.example.com", "port": 443, "labels": {"version": "v1"}, "locality": null, "weight": 1}],
            "load_balancer": "RING_HASH",
            "hash": {"source": "cookie", "name": "session", "value": "u1", "effective": false, "endpoint": null},
            "tls_origination": {"mode": "SIMPLE", "sni": "geo.example.com"},
            "timeout": "10s",
            "retries": {"attempts": 2, "per_try_timeout": null, "retry_on": "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"},
            "telemetry": {"destination_service": "geo.example.com", "destination_service_name": "geo.example.com", "destination_service_namespace": "geo"},
            "steps": [{"stage": "route", "outcome": "pass", "summary": "route 0 matched", "refs": [
                {"kind": "VirtualService", "namespace": "geo", "name": "split", "path": "spec.http[0]", "line": 12}
            ]}],
            "diagnostics": [{"code": "MR5005", "severity": "warning", "message": "double TLS", "file": "geo.yaml", "line": 3, "column": 1,
                "kind": "DestinationRule", "namespace": "geo", "name": "geo", "path": "spec.trafficPolicy.tls", "istio_code": null}]
        })
    }

    #[test]
    fn the_explanation_schema_accepts_a_complete_explanation_and_new_top_level_fields() {
        let schema = contract_schema("explanation");
        validate(&schema, &explanation()).expect("valid");
        let mut later = explanation();
        later["added_in_a_later_version"] = json!(true);
        validate(&schema, &later).expect("top-level fields may be added");
    }

    #[test]
    fn the_explanation_schema_rejects_what_breaks_the_contract() {
        let schema = contract_schema("explanation");
        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut value = explanation();
            edit(&mut value);
            validate(&schema, &value).expect_err("must be rejected")
        };
        let found = broken(&|value| {
            value.as_object_mut().unwrap().remove("timeout");
        });
        assert_eq!(found, ["at /: missing required property `timeout`"]);
        broken(&|value| value["outcome"] = json!("dropped"));
        broken(&|value| value["envoy_cluster_type"] = json!("eds"));
        broken(&|value| value["load_balancer"] = json!("ROUND-ROBIN"));
        broken(&|value| value["hash"]["source"] = json!("body"));
        broken(&|value| value["tls_origination"]["mode"] = json!("DISABLE"));
        broken(&|value| value["steps"][0]["outcome"] = json!("ok"));
        broken(&|value| value["steps"][0]["refs"][0]["line"] = json!("12"));
        broken(&|value| value["cluster_exists"] = json!(null));
        broken(&|value| value["http_status"] = json!("404"));
        broken(&|value| value["destinations"][0]["weight"] = json!(-1));
        broken(&|value| value["service_entry"]["match"] = json!("suffix"));
        broken(&|value| value["telemetry"]["extra"] = json!("x"));
        broken(&|value| value["diagnostics"][0]["severity"] = json!("fatal"));
    }

    #[test]
    fn the_simulation_schema() {
        let schema = contract_schema("simulation");
        let simulation = json!({
            "n": 1000, "seed": 7, "clients": 10,
            "destinations": [{"cluster": "outbound|80|v1|geo", "count": 800}, {"cluster": "outbound|80|v2|geo", "count": 200}],
            "endpoints": [{"cluster": "outbound|80|v1|geo", "address": "10.0.0.1", "port": 80, "count": 800}],
            "sticky_clients": 10
        });
        validate(&schema, &simulation).expect("valid");
        let mut broken = simulation.clone();
        broken["destinations"][0]["count"] = json!(-3);
        assert!(validate(&schema, &broken).is_err());
        let mut broken = simulation;
        broken.as_object_mut().unwrap().remove("sticky_clients");
        assert!(validate(&schema, &broken).is_err());
    }
}
