//! Tool schemas that every MCP client accepts.
//!
//! schemars emits valid JSON Schema 2020-12, but some clients reject parts of it: `$ref` into
//! `$defs`, `"type": ["string", "null"]` for optional fields, and non-standard `format`s such
//! as `uint32`. This rewrites a schema into the plain subset: references inlined, optional
//! fields expressed by absence from `required`, integer formats replaced by bounds.

use serde_json::{Map, Value};

/// Rewrites a schema object in place into the portable subset.
pub fn make_portable(schema: &mut Map<String, Value>) {
    let defs = schema.remove("$defs").and_then(|d| match d {
        Value::Object(m) => Some(m),
        _ => None,
    });
    let defs = defs.unwrap_or_default();
    let mut root = Value::Object(std::mem::take(schema));
    rewrite(&mut root, &defs, 0);
    if let Value::Object(m) = root {
        *schema = m;
    }
}

fn rewrite(value: &mut Value, defs: &Map<String, Value>, depth: usize) {
    match value {
        Value::Object(map) => {
            // `anyOf: [X, {type: null}]` (schemars' form for optional enums) -> X
            if let Some(Value::Array(any)) = map.get("anyOf") {
                let non_null: Vec<Value> = any
                    .iter()
                    .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                    .cloned()
                    .collect();
                if non_null.len() == 1 && any.len() == 2 {
                    map.remove("anyOf");
                    if let Value::Object(inner) = &non_null[0] {
                        for (k, v) in inner {
                            map.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                }
            }
            if let Some(Value::String(reference)) = map.get("$ref").cloned()
                && let Some(target) = reference.strip_prefix("#/$defs/").and_then(|name| defs.get(name))
                && depth < 32
            {
                map.remove("$ref");
                if let Value::Object(target) = target {
                    for (k, v) in target {
                        map.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            // `type: [T, "null"]` -> `type: T`
            if let Some(Value::Array(types)) = map.get("type") {
                let non_null: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
                if non_null.len() == 1 {
                    map.insert("type".into(), non_null[0].clone());
                } else if non_null.len() != types.len() {
                    map.insert("type".into(), Value::Array(non_null));
                }
            }
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            if let Some(Value::Array(items)) = map.get_mut("enum") {
                items.retain(|v| !v.is_null());
            }
            if let Some(Value::String(format)) = map.get("format")
                && matches!(
                    format.as_str(),
                    "uint"
                        | "uint8"
                        | "uint16"
                        | "uint32"
                        | "uint64"
                        | "int8"
                        | "int16"
                        | "int32"
                        | "int64"
                        | "double"
                        | "float"
                )
            {
                // An unsigned format's lower bound says nothing an agent needs (the server
                // refuses a negative value anyway).
                if format.starts_with("uint") && map.get("minimum").and_then(Value::as_u64) == Some(0) {
                    map.remove("minimum");
                }
                map.remove("format");
            }
            for v in map.values_mut() {
                rewrite(v, defs, depth + 1);
            }
        }
        Value::Array(items) => {
            for v in items {
                rewrite(v, defs, depth + 1);
            }
        }
        _ => {}
    }
}

/// Makes an input schema cheap in an agent's context: no `$schema` line, enums written as
/// plain `enum` lists (schemars renders documented variants as `oneOf` of `const`s), and no
/// `default: false` or `default: []` (an absent flag is false, an absent list empty); nested
/// objects (array items) alike.
pub fn compact_input(schema: &mut Map<String, Value>) {
    schema.remove("$schema");
    // Unknown arguments are refused by the server itself, with a message naming them.
    schema.remove("additionalProperties");
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        for prop in props.values_mut() {
            let Value::Object(p) = prop else { continue };
            let consts: Option<Vec<Value>> = match p.get("oneOf") {
                Some(Value::Array(variants)) => variants.iter().map(|v| v.get("const").cloned()).collect(),
                _ => None,
            };
            if let Some(values) = consts {
                p.remove("oneOf");
                p.insert("type".into(), Value::String("string".into()));
                p.insert("enum".into(), Value::Array(values));
            }
            if p.get("default") == Some(&Value::Bool(false)) || p.get("default") == Some(&Value::Array(Vec::new())) {
                p.remove("default");
            }
            if let Some(Value::Object(items)) = p.get_mut("items") {
                compact_input(items);
            }
        }
    }
}

/// The output schema every tool declares: an object, any fields. `structuredContent` is always
/// an object, and the field meanings are in the results themselves; naming the fields here
/// cost a seventh of the tool list's token budget, and most clients do not pass output schemas to
/// the model.
pub fn open_output() -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("type".into(), Value::String("object".into()));
    out.insert("additionalProperties".into(), Value::Bool(true));
    out
}

/// True when a schema still contains something [`make_portable`] removes (used by tests).
pub fn is_portable(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            if map.contains_key("$ref") || map.contains_key("$defs") || map.get("default") == Some(&Value::Null) {
                return false;
            }
            if let Some(Value::Array(types)) = map.get("type")
                && types.iter().any(|t| t.as_str() == Some("null"))
            {
                return false;
            }
            if let Some(Value::String(f)) = map.get("format")
                && (f.starts_with("uint") || f.starts_with("int"))
            {
                return false;
            }
            map.values().all(is_portable)
        }
        Value::Array(items) => items.iter().all(is_portable),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_nulls_and_formats_are_removed() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "environment": {"anyOf": [{"$ref": "#/$defs/Environment"}, {"type": "null"}], "default": null},
                "limit": {"type": ["integer", "null"], "format": "uint32", "minimum": 0},
            },
            "$defs": {"Environment": {"type": "string", "enum": ["production", "testnet"]}}
        });
        let Value::Object(map) = &mut schema else {
            panic!("object")
        };
        make_portable(map);
        assert!(is_portable(&schema), "{schema}");
        assert_eq!(
            schema["properties"]["environment"]["enum"],
            json!(["production", "testnet"])
        );
        assert_eq!(schema["properties"]["limit"]["type"], json!("integer"));
    }
}
