//! The shape of the facts tree, derived from its JSON Schema, so rule expressions can be
//! checked against field names before anything runs. No I/O.

use std::collections::BTreeMap;

use serde_json::Value;

/// What a value in the facts tree looks like.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A struct with known fields.
    Object(BTreeMap<String, Shape>),
    /// A list of one element shape.
    List(Box<Shape>),
    /// A map with free keys (e.g. `http.headers`).
    Map(Box<Shape>),
    /// A string, number or boolean.
    Scalar,
    /// Not known: no checks below this point.
    Any,
}

impl Shape {
    /// Shape of the whole facts tree.
    pub fn facts() -> Shape {
        let schema = crate::facts::schema();
        let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
        from_schema(&schema, &defs, 0)
    }

    /// The field `name` of an object shape, or the names it does have.
    pub fn field(&self, name: &str) -> Result<&Shape, Vec<String>> {
        static ANY: Shape = Shape::Any;
        match self {
            Shape::Object(fields) => fields.get(name).ok_or_else(|| fields.keys().cloned().collect()),
            Shape::Map(v) => Ok(v),
            Shape::Any => Ok(&ANY),
            Shape::List(_) | Shape::Scalar => Err(Vec::new()),
        }
    }

    /// Follow a dotted path (`evidence.soc2`).
    pub fn path(&self, path: &str) -> Option<&Shape> {
        let mut s = self;
        for part in path.split('.') {
            s = s.field(part).ok()?;
        }
        Some(s)
    }
}

fn from_schema(node: &Value, defs: &Value, depth: usize) -> Shape {
    if depth > 32 {
        return Shape::Any;
    }
    if let Some(r) = node.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or("");
        return match defs.get(name) {
            Some(d) => from_schema(d, defs, depth + 1),
            None => Shape::Any,
        };
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(alts) = node.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = alts
                .iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 {
                return from_schema(non_null[0], defs, depth + 1);
            }
            return Shape::Any;
        }
    }
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
        _ => vec![],
    };
    if types.contains(&"array") {
        let item = node
            .get("items")
            .map(|i| from_schema(i, defs, depth + 1))
            .unwrap_or(Shape::Any);
        return Shape::List(Box::new(item));
    }
    if types.contains(&"object") || node.get("properties").is_some() {
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            return Shape::Object(
                props
                    .iter()
                    .map(|(k, v)| (k.clone(), from_schema(v, defs, depth + 1)))
                    .collect(),
            );
        }
        return match node.get("additionalProperties") {
            Some(Value::Object(_)) => Shape::Map(Box::new(from_schema(&node["additionalProperties"], defs, depth + 1))),
            _ => Shape::Map(Box::new(Shape::Any)),
        };
    }
    if types.is_empty() { Shape::Any } else { Shape::Scalar }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_shape_knows_nested_fields() {
        let s = Shape::facts();
        assert!(s.path("endpoints").is_some());
        let Some(Shape::List(ep)) = s.path("endpoints") else {
            panic!("endpoints is a list")
        };
        assert_eq!(ep.path("tls.versions.tls1_0"), Some(&Shape::Scalar));
        assert!(ep.path("tls.versions.tls9").is_none());
        assert!(matches!(ep.path("http.headers"), Some(Shape::Map(_))));
        assert!(matches!(s.path("evidence.baa"), Some(Shape::List(_))));
        let Some(Shape::List(soc)) = s.path("evidence.soc2") else {
            panic!()
        };
        assert_eq!(soc.path("type"), Some(&Shape::Scalar));
    }
}
