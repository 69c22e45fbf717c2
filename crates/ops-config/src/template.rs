//! Rendering templates from merged values (minijinja).

use crate::document::Document;
use crate::error::Error;

/// Renders a Jinja2 template (minijinja) with the document's values as its
/// context: `{{ db.port }}`, `{% for s in servers %}`, `{{ x | tojson }}`.
///
/// Undefined values are errors, not empty text: a template that names a
/// key the config lacks fails naming the template's line.
///
/// ```
/// use ops_config::{Document, Format, render_template};
///
/// let doc = Document::parse("name: web\nports: [80, 443]\n", Format::Yaml, "svc.yaml")?;
/// let out = render_template("{{ name }}:{% for p in ports %} {{ p }}{% endfor %}", "t", &doc)?;
/// assert_eq!(out, "web: 80 443");
/// assert!(render_template("{{ nope }}", "t", &doc).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_template(template: &str, name: &str, doc: &Document) -> Result<String, Error> {
    let context = doc.to_json()?;
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // Config files keep their final newline.
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| Error::Template {
            name: name.to_owned(),
            message: e.to_string(),
        })?;
    env.set_syntax(syntax);
    let fail = |e: minijinja::Error| {
        let line = e.line().map(|l| format!("line {l}: ")).unwrap_or_default();
        let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
        Error::Template {
            name: name.to_owned(),
            message: format!("{line}{}{detail}", e.kind()),
        }
    };
    env.add_template(name, template).map_err(fail)?;
    let tmpl = env.get_template(name).map_err(fail)?;
    tmpl.render(minijinja::Value::from(minijinja::value::Serde(&context)))
        .map_err(fail)
}
