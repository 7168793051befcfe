//! Every answer of the API under test held to the OpenAPI document the server serves: its
//! status must be one the operation documents, its content type the documented one, and a
//! JSON body must meet the documented schema. A view that changes shape without its
//! schema, or a handler that answers a status its operation does not list, fails whatever
//! test made the request.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};

/// The served document and the validators made from it so far.
pub struct Contract {
    doc: Value,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

impl Contract {
    /// Holds answers to `doc` (the served `/api/v1/openapi.json`).
    pub fn new(doc: Value) -> Contract {
        Contract {
            doc,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The documented path template `path` (without its query) is an instance of; a
    /// literal segment beats a parameter (`/articles/ignored` over `/articles/{x}`).
    fn template(&self, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        self.doc["paths"]
            .as_object()?
            .keys()
            .filter(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                parts.len() == segments.len()
                    && parts.iter().zip(&segments).all(|(t, s)| {
                        (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s
                    })
            })
            .min_by_key(|template| template.matches('{').count())
            .cloned()
    }

    /// `Err` with what is wrong when the answer of `method path` (`status`, `content_type`,
    /// `body`) is not one the document describes. Paths and methods the document does not
    /// list are not the document's business (they answer `no_route`, tested elsewhere).
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), String> {
        let Some(template) = self.template(path) else {
            return Ok(());
        };
        let method = method.to_ascii_lowercase();
        let operation = &self.doc["paths"][&template][&method];
        if operation.is_null() {
            return Ok(());
        }
        let what = format!("{} {path} answered {status}", method.to_uppercase());
        let response = &operation["responses"][status.to_string()];
        if response.is_null() {
            return Err(format!(
                "{what}, a status the document does not list for {} {template}: {}",
                method.to_uppercase(),
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ));
        }
        let Some(content) = response["content"].as_object() else {
            return if body.is_empty() {
                Ok(())
            } else {
                Err(format!("{what} with a body where the document has none"))
            };
        };
        let media = content_type
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let Some(described) = content.get(&media) else {
            return Err(format!(
                "{what} as `{media}`; the document says {:?}",
                content.keys().collect::<Vec<_>>()
            ));
        };
        if media != "application/json" {
            return Ok(());
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| format!("{what} with a body that is not JSON ({e})"))?;
        let Some(schema) = described.get("schema") else {
            return Err(format!("{what}: the document has no schema for it"));
        };
        let key = format!("{method} {template} {status}");
        let validator = self.validator(&key, schema)?;
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{what} with a body its schema refuses:\n  {}\nbody: {}",
                errors.join("\n  "),
                String::from_utf8_lossy(&body[..body.len().min(600)])
            ))
        }
    }

    /// The validator of `schema` (its `$ref`s resolved against the document's components),
    /// made once per operation and status.
    fn validator(
        &self,
        key: &str,
        schema: &Value,
    ) -> Result<std::sync::Arc<jsonschema::Validator>, String> {
        let mut cache = self.validators.lock().unwrap();
        if let Some(v) = cache.get(key) {
            return Ok(v.clone());
        }
        let mut root = schema.clone();
        root["components"] = self.doc["components"].clone();
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        let validator = std::sync::Arc::new(
            jsonschema::options()
                .build(&root)
                .map_err(|e| format!("the schema of {key} does not compile: {e}"))?,
        );
        cache.insert(key.to_string(), validator.clone());
        Ok(validator)
    }

    /// The document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }
}
