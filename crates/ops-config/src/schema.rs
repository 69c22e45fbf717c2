//! JSON Schema validation whose violations point at the source.

use std::fmt;
use std::path::Path;

use crate::document::Document;
use crate::error::{Error, Violation, Violations};
use crate::load::{Format, Limits, load_file};

/// A compiled JSON Schema (drafts 4 to 2020-12, by its `$schema`).
///
/// References are resolved within the schema only: the `jsonschema`
/// crate is built without its HTTP and file retrievers, so a schema never
/// makes the validator fetch anything, and a remote `$ref` is an error
/// when the schema is compiled.
pub struct Schema {
    name: String,
    validator: jsonschema::Validator,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Schema {
    /// Compiles a schema; `name` appears in errors.
    pub fn from_json(schema: &serde_json::Value, name: &str) -> Result<Schema, Error> {
        let validator = jsonschema::options()
            .build(schema)
            .map_err(|e| Error::Schema {
                name: name.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Schema {
            name: name.to_owned(),
            validator,
        })
    }

    /// Reads and compiles a schema file, JSON or YAML by its extension
    /// (JSON when it has none).
    pub fn load(path: impl AsRef<Path>) -> Result<Schema, Error> {
        let path = path.as_ref();
        let format = Format::from_path(path).unwrap_or(Format::Json);
        let doc = Document::new(load_file(path, Some(format), &Limits::default())?);
        let name = path.to_string_lossy();
        let json = doc.to_json().map_err(|e| Error::Schema {
            name: name.clone().into_owned(),
            message: e.to_string(),
        })?;
        Schema::from_json(&json, &name)
    }

    /// The schema of a Rust type, from its `schemars::JsonSchema` derive.
    pub fn for_type<T: schemars::JsonSchema>() -> Result<Schema, Error> {
        let schema = schemars::schema_for!(T);
        let name = std::any::type_name::<T>();
        Schema::from_json(schema.as_value(), name)
    }

    /// The schema's name (its file, or the type's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every violation of the schema by `doc`, each with the origin of the
    /// offending value. Fails only when the document cannot be JSON (an
    /// infinite float).
    pub fn violations(&self, doc: &Document) -> Result<Violations, Error> {
        let instance = doc.to_json()?;
        let mut out: Vec<Violation> = self
            .validator
            .iter_errors(&instance)
            .map(|e| {
                let instance_path = e.instance_path().as_str().to_owned();
                let origin = doc.root().pointer(&instance_path).map(|n| n.origin.clone());
                Violation {
                    instance_path,
                    message: e.to_string(),
                    origin,
                    rule: None,
                }
            })
            .collect();
        crate::error::sort(&mut out);
        Ok(Violations(out))
    }

    /// `Ok` when `doc` is valid, else [`Error::Invalid`] with every
    /// violation.
    pub fn validate(&self, doc: &Document) -> Result<(), Error> {
        let v = self.violations(doc)?;
        if v.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn violations_point_at_the_source() {
        let schema = Schema::from_json(
            &json!({
                "type": "object",
                "properties": {
                    "replicas": {"type": "integer", "minimum": 2},
                    "image": {"type": "string"}
                },
                "required": ["name"]
            }),
            "svc.schema.json",
        )
        .unwrap();
        let doc = Document::parse("image: 5\nreplicas: 1\n", Format::Yaml, "svc.yaml").unwrap();
        let v = schema.violations(&doc).unwrap();
        let lines: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "svc.yaml:1:1: (root): \"name\" is a required property",
                "svc.yaml:1:8: /image: 5 is not of type \"string\"",
                "svc.yaml:2:11: /replicas: 1 is less than the minimum of 2",
            ]
        );
        assert!(schema.validate(&doc).unwrap_err().is_invalid());
    }

    #[test]
    fn remote_references_are_not_fetched() {
        let err = Schema::from_json(&json!({"$ref": "https://example.com/s.json"}), "remote")
            .unwrap_err();
        assert!(matches!(err, Error::Schema { .. }), "{err}");
    }
}
