//! The MSK API model (generated from botocore, see `kafka.rs`): routing a
//! method and path to an operation, and validating a JSON body against the
//! operation's input shape, as the service does: unknown members, wrong
//! types, out-of-range numbers and missing required members are a
//! `BadRequestException` naming the parameter.

use serde_json::Value;

pub mod kafka;

pub struct Op {
    pub name: &'static str,
    pub method: &'static str,
    pub uri: &'static str,
    pub input: &'static str,
}

pub struct Member {
    pub name: &'static str,
    pub shape: &'static str,
    /// "body", "uri", "querystring" or "header".
    pub location: &'static str,
    pub required: bool,
}

pub enum ShapeKind {
    Structure(&'static [Member]),
    List(&'static str),
    Map(&'static str),
    Enum(&'static [&'static str]),
    String,
    Integer(i64, i64),
    Number,
    Boolean,
    Blob,
}

pub struct Shape {
    pub name: &'static str,
    pub kind: ShapeKind,
}

/// Deepest nesting a request body may have; MSK shapes are far shallower.
const MAX_DEPTH: usize = 16;

fn shape(name: &str) -> Option<&'static Shape> {
    kafka::SHAPES.iter().find(|s| s.name == name)
}

/// Finds the operation for a method and a raw path (segments still
/// percent-encoded); returns it with its decoded path parameters.
pub fn route(method: &str, raw_path: &str) -> Option<(&'static Op, Vec<(&'static str, String)>)> {
    let segments: Vec<&str> = raw_path.trim_start_matches('/').split('/').collect();
    'ops: for op in kafka::OPS {
        if op.method != method {
            continue;
        }
        let pattern: Vec<&str> = op.uri.trim_start_matches('/').split('/').collect();
        if pattern.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        for (p, s) in pattern.iter().zip(&segments) {
            if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                let value = crate::util::percent_decode(s)?;
                if value.is_empty() {
                    continue 'ops;
                }
                params.push((name, value));
            } else if p != s {
                continue 'ops;
            }
        }
        return Some((op, params));
    }
    None
}

/// True when some operation has this path with another method (405 rather than 404).
pub fn path_known(raw_path: &str) -> bool {
    ["GET", "POST", "PUT", "PATCH", "DELETE"].iter().any(|m| route(m, raw_path).is_some())
}

pub struct Invalid {
    pub parameter: String,
    pub message: String,
}

/// Validates the body members of `op`'s input shape.
pub fn validate_body(op: &Op, body: &Value) -> Result<(), Invalid> {
    let Some(input) = shape(op.input) else {
        return Ok(());
    };
    let ShapeKind::Structure(members) = &input.kind else {
        return Ok(());
    };
    let Value::Object(map) = body else {
        return Err(Invalid { parameter: String::new(), message: "The request body must be a JSON object.".into() });
    };
    for (key, value) in map {
        let Some(m) = members.iter().find(|m| m.name == key && m.location == "body") else {
            return Err(unknown(key));
        };
        check(m.shape, value, key, 1)?;
    }
    for m in members.iter().filter(|m| m.required && m.location == "body") {
        if !map.contains_key(m.name) {
            return Err(missing(m.name));
        }
    }
    Ok(())
}

fn unknown(path: &str) -> Invalid {
    Invalid { parameter: path.to_string(), message: format!("Unknown parameter in the request body: {path}.") }
}

fn missing(path: &str) -> Invalid {
    Invalid { parameter: path.to_string(), message: format!("Missing required parameter: {path}.") }
}

fn wrong(path: &str, what: &str) -> Invalid {
    Invalid { parameter: path.to_string(), message: format!("Invalid value for {path}: expected {what}.") }
}

fn check(shape_name: &str, value: &Value, path: &str, depth: usize) -> Result<(), Invalid> {
    if depth > MAX_DEPTH {
        return Err(wrong(path, "a shallower document"));
    }
    let Some(s) = shape(shape_name) else {
        return Ok(());
    };
    match (&s.kind, value) {
        (ShapeKind::Structure(members), Value::Object(map)) => {
            for (key, v) in map {
                let inner = format!("{path}.{key}");
                let Some(m) = members.iter().find(|m| m.name == key) else {
                    return Err(unknown(&inner));
                };
                check(m.shape, v, &inner, depth + 1)?;
            }
            for m in members.iter().filter(|m| m.required) {
                if !map.contains_key(m.name) {
                    return Err(missing(&format!("{path}.{}", m.name)));
                }
            }
            Ok(())
        }
        (ShapeKind::Structure(_), _) => Err(wrong(path, "an object")),
        (ShapeKind::List(member), Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                check(member, v, &format!("{path}[{i}]"), depth + 1)?;
            }
            Ok(())
        }
        (ShapeKind::List(_), _) => Err(wrong(path, "a list")),
        (ShapeKind::Map(value_shape), Value::Object(map)) => {
            for (k, v) in map {
                check(value_shape, v, &format!("{path}.{k}"), depth + 1)?;
            }
            Ok(())
        }
        (ShapeKind::Map(_), _) => Err(wrong(path, "a map")),
        (ShapeKind::Enum(allowed), Value::String(v)) => {
            if allowed.contains(&v.as_str()) {
                Ok(())
            } else {
                Err(wrong(path, &format!("one of {}", allowed.join(", "))))
            }
        }
        (ShapeKind::String | ShapeKind::Blob, Value::String(_)) => Ok(()),
        (ShapeKind::String | ShapeKind::Blob | ShapeKind::Enum(_), _) => Err(wrong(path, "a string")),
        (ShapeKind::Integer(min, max), Value::Number(n)) => match n.as_i64() {
            Some(v) if v >= *min && v <= *max => Ok(()),
            _ => Err(wrong(path, &format!("an integer from {min} to {max}"))),
        },
        (ShapeKind::Integer(..), _) => Err(wrong(path, "an integer")),
        (ShapeKind::Number, Value::Number(_)) => Ok(()),
        (ShapeKind::Number, _) => Err(wrong(path, "a number")),
        (ShapeKind::Boolean, Value::Bool(_)) => Ok(()),
        (ShapeKind::Boolean, _) => Err(wrong(path, "a boolean")),
    }
}
