//! Finding config files under a directory by glob.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::value::{Origin, Source};

/// Files under `dir` whose path relative to it matches `pattern`, sorted
/// by that path (byte order), so the layer order never depends on the
/// file system.
///
/// Patterns use `/` between directories: `*` matches within a name, `?`
/// one character, `[abc]`/`[a-z]`/`[!x]` a class, `{yaml,yml}` one of the
/// alternatives, and `**` any number of directories (`conf.d/**/*.yaml`).
/// `*` and `?` do not match a leading `.` (hidden files are left out
/// unless the pattern names the dot). Symlinked directories are not
/// followed, so a link loop cannot hang discovery.
pub fn discover(dir: impl AsRef<Path>, pattern: &str) -> Result<Vec<PathBuf>, Error> {
    let dir = dir.as_ref();
    let origin = || Origin::whole(Source::Inline(format!("glob {pattern}").into()));
    let alternatives = expand_braces(pattern).map_err(|m| Error::layer(origin(), m))?;
    let globs: Vec<Vec<String>> = alternatives
        .iter()
        .map(|p| {
            p.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect();
    for g in &globs {
        for seg in g {
            check_segment(seg).map_err(|m| Error::layer(origin(), m))?;
        }
    }
    let mut found = Vec::new();
    walk(dir, &mut Vec::new(), &globs, &mut found).map_err(|e| Error::Read {
        path: dir.to_path_buf(),
        source: e,
    })?;
    found.sort();
    found.dedup();
    Ok(found.into_iter().map(|rel| dir.join(rel)).collect())
}

fn walk(
    dir: &Path,
    rel: &mut Vec<String>,
    globs: &[Vec<String>],
    out: &mut Vec<String>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let kind = entry.file_type()?;
        rel.push(name);
        let segs: Vec<&str> = rel.iter().map(String::as_str).collect();
        if kind.is_dir() {
            if globs.iter().any(|g| prefix_may_match(g, &segs)) {
                walk(&entry.path(), rel, globs, out)?;
            }
        } else if (kind.is_file() || (kind.is_symlink() && entry.path().is_file()))
            && globs.iter().any(|g| path_matches(g, &segs))
        {
            out.push(rel.join("/"));
        }
        rel.pop();
    }
    Ok(())
}

/// Whether some path starting with the directories `segs` could match.
fn prefix_may_match(glob: &[String], segs: &[&str]) -> bool {
    match (glob.split_first(), segs.split_first()) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some((g, rest)), Some((_, srest))) if g == "**" => {
            prefix_may_match(rest, segs) || prefix_may_match(glob, srest)
        }
        (Some((g, rest)), Some((s, srest))) => name_matches(g, s) && prefix_may_match(rest, srest),
    }
}

fn path_matches(glob: &[String], segs: &[&str]) -> bool {
    match (glob.split_first(), segs.split_first()) {
        (None, None) => true,
        (Some((g, rest)), _) if g == "**" => {
            path_matches(rest, segs)
                || segs
                    .split_first()
                    .is_some_and(|(s, srest)| !s.starts_with('.') && path_matches(glob, srest))
        }
        (Some((g, rest)), Some((s, srest))) => name_matches(g, s) && path_matches(rest, srest),
        _ => false,
    }
}

fn check_segment(seg: &str) -> Result<(), String> {
    if seg.contains("**") && seg != "**" {
        return Err(format!("`**` must be a whole path segment, in `{seg}`"));
    }
    let mut chars = seg.chars();
    while let Some(c) = chars.next() {
        if c == '[' {
            let mut closed = false;
            let mut first = true;
            for c in chars.by_ref() {
                if c == ']' && !first {
                    closed = true;
                    break;
                }
                first = false;
            }
            if !closed {
                return Err(format!("unclosed `[` in `{seg}`"));
            }
        }
    }
    Ok(())
}

/// `a{b,c}d` as `abd`, `acd` (nesting allowed).
fn expand_braces(p: &str) -> Result<Vec<String>, String> {
    let Some(open) = p.find('{') else {
        if p.contains('}') {
            return Err(format!("unmatched `}}` in `{p}`"));
        }
        return Ok(vec![p.to_owned()]);
    };
    let mut depth = 0;
    let mut close = None;
    let mut commas = Vec::new();
    for (i, c) in p[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(open + i),
            _ => {}
        }
    }
    let close = close.ok_or_else(|| format!("unclosed `{{` in `{p}`"))?;
    let (head, tail) = (&p[..open], &p[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let alt = &p[w[0] + 1..w[1]];
        out.extend(expand_braces(&format!("{head}{alt}{tail}"))?);
        if out.len() > 1024 {
            return Err(format!("`{p}` expands to too many patterns"));
        }
    }
    Ok(out)
}

/// Whether a file or directory name matches one glob segment.
fn name_matches(glob: &str, name: &str) -> bool {
    if name.starts_with('.') && !glob.starts_with('.') {
        return false;
    }
    let g: Vec<char> = glob.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with one backtrack point for the last `*`.
    let (mut gi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if gi < g.len() {
            match g[gi] {
                '*' => {
                    star = Some((gi, ni));
                    gi += 1;
                    continue;
                }
                '?' => {
                    gi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((true, next)) = class(&g, gi, n[ni]) {
                        gi = next;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    gi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sg, sn)) => {
                gi = sg + 1;
                ni = sn + 1;
                star = Some((sg, sn + 1));
            }
            None => return false,
        }
    }
    g[gi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `g[at] == '['`: whether it
/// is in, and the index after the `]`.
fn class(g: &[char], at: usize, c: char) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let negate = matches!(g.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < g.len() {
        if g[i] == ']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if g.get(i + 1) == Some(&'-') && g.get(i + 2).is_some_and(|&e| e != ']') {
            if g[i] <= c && c <= g[i + 2] {
                hit = true;
            }
            i += 3;
        } else {
            if g[i] == c {
                hit = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_globs() {
        for (g, n, want) in [
            ("*.yaml", "a.yaml", true),
            ("*.yaml", "a.yml", false),
            ("*.yaml", ".hidden.yaml", false),
            (".*.yaml", ".hidden.yaml", true),
            ("a?c", "abc", true),
            ("[0-9][0-9]-*", "10-base.yaml", true),
            ("[!0-9]*", "10-base.yaml", false),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b", "xxaxxbxxc", false),
            ("", "", true),
        ] {
            assert_eq!(name_matches(g, n), want, "{g} {n}");
        }
    }

    #[test]
    fn braces_expand() {
        assert_eq!(expand_braces("*.{yaml,yml}").unwrap(), ["*.yaml", "*.yml"]);
        assert_eq!(expand_braces("{a,b{c,d}}").unwrap(), ["a", "bc", "bd"]);
        assert!(expand_braces("{a,b").is_err());
        assert!(expand_braces("a}").is_err());
    }

    #[test]
    fn discovery_is_sorted_and_recursive() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        for f in [
            "20-b.yaml",
            "10-a.yml",
            "x.json",
            "conf.d/30-c.yaml",
            "conf.d/deep/40-d.yaml",
            ".h.yaml",
        ] {
            let path = p.join(f);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "a: 1\n").unwrap();
        }
        let rel = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|x| x.strip_prefix(p).unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            rel(discover(p, "*.{yaml,yml}").unwrap()),
            ["10-a.yml", "20-b.yaml"]
        );
        assert_eq!(
            rel(discover(p, "**/*.yaml").unwrap()),
            ["20-b.yaml", "conf.d/30-c.yaml", "conf.d/deep/40-d.yaml"]
        );
        assert_eq!(
            rel(discover(p, "conf.d/*.yaml").unwrap()),
            ["conf.d/30-c.yaml"]
        );
        assert!(discover(p, "a**b").is_err());
        assert!(discover(p, "[ab").is_err());
        assert!(discover(p.join("missing"), "*").is_err());
    }
}
