//! Checks response bodies against GitHub's OpenAPI schemas, read as JSON
//! Schema draft 7.

use serde_json::{Map, Value, json};

/// OpenAPI 3.0 schemas as JSON Schema: `nullable: true` becomes a union with
/// null; examples are dropped.
fn to_json_schema(v: &Value, in_properties: bool) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                if !in_properties && matches!(k.as_str(), "nullable" | "example" | "examples") {
                    continue;
                }
                out.insert(
                    k.clone(),
                    to_json_schema(v, !in_properties && k == "properties"),
                );
            }
            if !in_properties && m.get("nullable") == Some(&Value::Bool(true)) {
                json!({"anyOf": [Value::Object(out), {"type": "null"}]})
            } else {
                Value::Object(out)
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| to_json_schema(x, false)).collect()),
        other => other.clone(),
    }
}

/// The `components.schemas` of one or more OpenAPI descriptions.
pub struct Schemas(Value);

impl Schemas {
    /// The packages description's schemas (`package`, `package-version`,
    /// `simple-user`, `basic-error`).
    pub fn packages() -> Schemas {
        Schemas::of(&[include_str!(
            "../../../../spec/github-packages-openapi.json"
        )])
    }

    /// The packages description's and the advisories' (`global-advisory`,
    /// `repository-advisory`).
    pub fn with_advisories() -> Schemas {
        Schemas::of(&[
            include_str!("../../../../spec/github-packages-openapi.json"),
            include_str!("../support/github-advisories-openapi.json"),
        ])
    }

    fn of(descriptions: &[&str]) -> Schemas {
        let mut all = Map::new();
        for text in descriptions {
            let spec: Value = serde_json::from_str(text).unwrap();
            for (k, v) in spec["components"]["schemas"].as_object().unwrap() {
                all.insert(k.clone(), v.clone());
            }
        }
        Schemas(to_json_schema(&Value::Object(all), false))
    }

    /// Panics with every violation when `body` (an array of them when
    /// `array`) does not validate against the schema named `schema`.
    pub fn check(&self, schema: &str, body: &Value, array: bool) {
        let reference = json!({"$ref": format!("#/components/schemas/{schema}")});
        let root = if array {
            json!({"type": "array", "items": reference, "components": {"schemas": self.0}})
        } else {
            json!({"allOf": [reference], "components": {"schemas": self.0}})
        };
        let validator = jsonschema::draft7::new(&root).expect("the spec compiles");
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{schema} invalid: {errors:?}\n{body}");
    }
}
