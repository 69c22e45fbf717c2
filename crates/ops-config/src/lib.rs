//! Layered configuration: load YAML, JSON and TOML files, environment
//! variables and `--set` overrides, merge them with exact rules, know
//! where every value came from, validate against a JSON Schema or a typed
//! Rust struct, and write the result canonically and atomically.
//!
//! - [`Layers`] lists the inputs in order: files ([`Format`] by extension
//!   or named), [`EnvLayer`] (`APP__DB__PORT=5432` sets `db.port`, typed as
//!   a YAML scalar), `--set` expressions; [`discover`] finds files by glob.
//!   [`Layers::merge`] reads them and gives a [`Document`].
//! - The merge ([`merge`]) is RFC 7396 JSON Merge Patch by default (maps
//!   merge, scalars and sequences are replaced, `null` deletes), with
//!   [`Strategies`] choosing [`ArrayStrategy::Append`] or
//!   [`ArrayStrategy::MergeByKey`] per path. It never changes its inputs,
//!   and laying an overlay twice gives what laying it once gives.
//! - Every [`Node`] of a document has an [`Origin`]: file, line and column,
//!   environment variable or `--set` expression; after a merge it also
//!   keeps the values it overrode ([`Document::explain`]).
//! - [`Schema`] validates with the `jsonschema` crate, offline, and lists
//!   every [`Violation`] with its instance path, message and origin.
//!   [`Typed`] deserializes into a Rust type, reports unknown keys, runs
//!   custom [`Rule`]s and, with the `schema` feature, first validates
//!   against the type's schema, derived with `schemars`.
//! - [`Document::to_string`] writes canonical YAML, JSON or TOML (sorted
//!   keys, one layout), [`Document::diff`] lists [`Change`]s, and
//!   [`AtomicWriter`] replaces files so that a crash leaves the old file or
//!   the new, never a partial one.
//!
//! YAML is YAML 1.2 (through serde-saphyr): `on:` in a GitHub workflow is
//! the string `"on"`, `0o17` is 15, duplicate keys are errors, and
//! [`Limits`] bound alias expansion, depth and size against YAML bombs.
//!
//! # Example
//!
//! ```
//! use ops_config::{ArrayStrategy, EnvLayer, Format, Layers, Strategies};
//!
//! let base = "\
//! service: web
//! replicas: 2
//! containers:
//!   - name: app
//!     image: web:1.4
//!   - name: sidecar
//!     image: proxy:2
//! ";
//! let prod = "\
//! replicas: 4
//! containers:
//!   - name: app
//!     image: web:1.5
//! ";
//! let strategies = Strategies::new().rule("containers", ArrayStrategy::MergeByKey("name".into()))?;
//! let doc = Layers::new()
//!     .text("base.yaml", base, Format::Yaml)
//!     .text("prod.yaml", prod, Format::Yaml)
//!     .env(EnvLayer::new("APP").vars([("APP__REPLICAS", "6")]))
//!     .strategies(strategies)
//!     .merge()?;
//!
//! assert_eq!(doc.get("containers[0].image").unwrap().origin.to_string(), "prod.yaml:4:12");
//! assert_eq!(doc.get("containers[1].image").unwrap().origin.to_string(), "base.yaml:7:12");
//! println!("{}", doc.explain("replicas")?.unwrap());
//! // replicas = 6
//! //   set by env APP__REPLICAS
//! //   overrode 4 from prod.yaml:1:11
//! //   overrode 2 from base.yaml:2:11
//! assert_eq!(doc.to_string(Format::Yaml)?, "\
//! containers:
//!   - image: web:1.5
//!     name: app
//!   - image: proxy:2
//!     name: sidecar
//! replicas: 6
//! service: web
//! ");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A tool that loads its typed config in a few lines:
//!
//! ```no_run
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct DeployConfig {
//!     hosts: Vec<String>,
//!     parallel: u32,
//! }
//!
//! let config: DeployConfig = ops_config::Layers::new()
//!     .file("/etc/deployctl/config.yaml")
//!     .env(ops_config::EnvLayer::new("DEPLOYCTL"))
//!     .typed()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! - `schema` (default): `Schema` (JSON Schema validation, the
//!   `jsonschema` crate), `Typed::new` and `Layers::typed` (schemas of
//!   Rust types, `schemars`). Without it the crate loads, merges,
//!   explains, writes, deserializes ([`deserialize`]) and checks typed
//!   configs with rules ([`Typed::without_schema`]), with a much smaller
//!   dependency tree.
//! - `template`: `render_template`, Jinja2 templates (minijinja)
//!   rendered with a document's values.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Bad input is an `Err`, never a panic; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub use crate::de::{UnknownKey, deserialize};
pub use crate::discover::discover;
pub use crate::document::{Change, Document, Explanation};
pub use crate::error::{Error, Violation, Violations};
pub use crate::layers::{EnvLayer, KeyCase, Layers, set_layer};
pub use crate::load::{Format, Limits};
pub use crate::merge::{ArrayStrategy, Strategies, merge, merge_owned};
#[cfg(feature = "schema")]
pub use crate::schema::Schema;
#[cfg(feature = "template")]
pub use crate::template::render_template;
pub use crate::typed::{Loaded, Report, Rule, Typed, UnknownKeys};
pub use crate::value::{Map, Node, Origin, Source, Value, parse_path};
pub use crate::write::{AtomicWriter, Backup, Written};

mod de;
mod discover;
mod document;
mod error;
mod layers;
mod load;
mod merge;
mod output;
#[cfg(feature = "schema")]
mod schema;
#[cfg(feature = "template")]
mod template;
mod typed;
mod value;
mod write;
