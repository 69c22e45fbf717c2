//! Real-world schemas and the files their authors test them with
//! (SchemaStore, testdata/schemastore): every valid file validates, every
//! invalid one fails.

use std::path::{Path, PathBuf};

use ops_config::{Document, Error, Schema};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn check(name: &str) -> (usize, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/schemastore")
        .join(name);
    let schema = Schema::load(dir.join("schema.json")).unwrap();
    let mut counts = (0, 0);
    for file in files(&dir.join("valid")) {
        let doc = Document::load(&file).unwrap_or_else(|e| panic!("{e}"));
        let v = schema.violations(&doc).unwrap();
        assert!(
            v.is_empty(),
            "{}: {:?}",
            file.display(),
            v.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        counts.0 += 1;
    }
    for file in files(&dir.join("invalid")) {
        match Document::load(&file) {
            Ok(doc) => {
                let v = schema.violations(&doc).unwrap();
                assert!(!v.is_empty(), "{} validates", file.display());
                // Each violation points into the file.
                for violation in &v {
                    let origin = violation
                        .origin
                        .as_ref()
                        .unwrap_or_else(|| panic!("{violation}"));
                    assert!(
                        origin.to_string().starts_with(&*file.to_string_lossy()),
                        "{violation}"
                    );
                }
            }
            // Not even well-formed (a duplicate key): it fails too.
            Err(e @ Error::Parse { .. }) => eprintln!("{}: {e}", file.display()),
            Err(e) => panic!("{}: {e}", file.display()),
        }
        counts.1 += 1;
    }
    counts
}

#[test]
fn github_workflow() {
    assert_eq!(check("github-workflow"), (37, 20));
}

#[test]
fn kustomization() {
    assert_eq!(check("kustomization"), (18, 1));
}

#[test]
fn dependabot() {
    assert_eq!(check("dependabot-2.0"), (39, 99));
}

#[test]
fn on_is_the_string_key_on() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/schemastore/github-workflow/valid/event-trigger.yaml");
    let doc = Document::load(path).unwrap();
    assert!(doc.get("on").is_some(), "`on:` must be the key \"on\"");
    assert!(doc.get("true").is_none());
}
