//! Data flows one way through `src/`: the top-level modules sit in layers (`LAYERS`) and a module
//! uses only lower layers; inside a layer's subtree there are no import cycles. A parent's `mod`
//! declarations are not dependencies, but everything else it names is, re-exports included, so a
//! parent that re-exports its children may not define what they use. Test code (`#[cfg(test)]`
//! modules and files) is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; `src/lib.rs` is the crate root (empty).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code without comments and from its first `#[cfg(test)]` module on (test modules come
/// last).
fn code(text: &str) -> String {
    // An inline test module (`#[cfg(test)]` then `mod name {`), not a declaration (`mod name;`).
    let inline_test_module = text.match_indices("#[cfg(test)]\nmod ").find(|(at, _)| {
        let line = text[at + 13..].lines().next().unwrap_or("");
        line.trim_end().ends_with('{')
    });
    let text = match inline_test_module {
        Some((at, _)) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) if !l[..at].contains('"') => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|i| !i.is_empty())
        .flat_map(|i| expand(i).into_iter().map(|p| format!("{prefix}{p}")))
        .collect()
}

/// Every path the code names that starts at `crate`, `super` or `self`.
fn paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before_ok = at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric();
        let Some(end) = rest[at..].find(';') else {
            break;
        };
        if before_ok {
            found.extend(expand(&rest[at + 4..at + end]));
        }
        rest = &rest[at + end..];
    }
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let end = code[at..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| at + e);
            // `super::{a, b}` is a use tree, already expanded from the `use` item; its prefix
            // alone would name the parent.
            if code[end..].starts_with('{') {
                continue;
            }
            found.push(code[at..end].trim_end_matches(':').to_string());
        }
    }
    found
}

/// The module a path lands in: the longest known module prefix.
fn resolve(from: &[String], path: &str, modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut segments = path.split("::").filter(|s| !s.is_empty());
    let mut base: Vec<String> = match segments.next()? {
        "crate" => Vec::new(),
        "self" => from.to_vec(),
        "super" => {
            let mut b = from.to_vec();
            b.pop();
            b
        }
        _ => return None,
    };
    let mut best = base.clone();
    for s in segments {
        if s == "super" {
            base.pop();
            best = base.clone();
            continue;
        }
        base.push(s.to_string());
        if modules.contains(&base) {
            best = base.clone();
        }
    }
    Some(best)
}

/// Whether `file` is declared `#[cfg(test)]` by its parent (a test-only file).
fn test_only(src: &Path, file: &Path) -> bool {
    let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
        return false;
    };
    if matches!(stem, "mod" | "lib" | "main") {
        return false;
    }
    let dir = file.parent().unwrap();
    let parent = if dir == src {
        src.join("lib.rs")
    } else if dir.join("mod.rs").exists() {
        dir.join("mod.rs")
    } else {
        dir.with_extension("rs")
    };
    let text = std::fs::read_to_string(parent).unwrap_or_default();
    ["mod", "pub mod", "pub(crate) mod"]
        .iter()
        .any(|decl| text.contains(&format!("#[cfg(test)]\n{decl} {stem};")))
}

/// The code without its `mod` declarations (`mod x;`, `pub mod x;`): declaring is not using.
fn without_declarations(code: &str) -> String {
    code.lines()
        .filter(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix("pub(crate) ")
                .or_else(|| l.strip_prefix("pub "))
                .unwrap_or(l);
            !(l.starts_with("mod ") && l.ends_with(';'))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn graph(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut all = Vec::new();
    files(src, &mut all);
    all.retain(|f| !test_only(src, f));
    let modules: BTreeSet<Vec<String>> = all.iter().map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &all {
        let from = module_of(src, file);
        let text = std::fs::read_to_string(file).unwrap();
        for path in paths(&without_declarations(&code(&text))) {
            let Some(to) = resolve(&from, &path, &modules) else {
                continue;
            };
            if to == from {
                continue;
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    edges
}

/// One cycle through the graph, if there is any.
fn find_cycle(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<String>> {
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        done: &mut BTreeSet<Vec<String>>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle: Vec<String> = stack[at..].iter().map(|m| name(m)).collect();
            cycle.push(name(node));
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    fn name(m: &[String]) -> String {
        if m.is_empty() {
            "crate".into()
        } else {
            m.join("::")
        }
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, edges, &mut done, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

/// The layers of `src/`, lowest first. A top-level module may use the modules of lower layers
/// only: an upward or sideways edge fails. A new top-level module must be given its layer here.
const LAYERS: &[&[&str]] = &[
    &["duration", "memory", "telemetry"],
    &["permissions"],
    &["audit"],
    &["render", "genesys", "store"],
    &["orgs_file"],
    &["config"],
    &["metrics"],
    &["cache"],
    &["outbox"],
    &["history", "notify"],
    &["auditor"],
    &["http"],
    &["demo"],
    &["app"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Edges between top-level modules that do not go down the layers.
fn layer_violations(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<String> {
    let mut wrong = Vec::new();
    for (from, tos) in edges {
        let Some(from_top) = from.first() else {
            continue;
        };
        for to in tos {
            let Some(to_top) = to.first() else {
                continue;
            };
            if to_top == from_top {
                continue;
            }
            let (Some(a), Some(b)) = (layer_of(from_top), layer_of(to_top)) else {
                wrong.push(format!(
                    "{} -> {}: a module missing from LAYERS",
                    from.join("::"),
                    to.join("::")
                ));
                continue;
            };
            if b >= a {
                wrong.push(format!("{} -> {}", from.join("::"), to.join("::")));
            }
        }
    }
    wrong
}

#[test]
fn src_uses_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    let wrong = layer_violations(&edges);
    assert!(
        wrong.is_empty(),
        "edges against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_layer_checker_refuses_an_upward_edge() {
    let edges = BTreeMap::from([(
        vec!["config".to_string()],
        BTreeSet::from([vec!["http".to_string(), "server".to_string()]]),
    )]);
    assert_eq!(layer_violations(&edges), vec!["config -> http::server"]);
    let down = BTreeMap::from([(
        vec!["http".to_string()],
        BTreeSet::from([vec!["config".to_string()]]),
    )]);
    assert!(layer_violations(&down).is_empty());
}

#[test]
fn src_has_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    assert!(
        edges.len() > 20,
        "the checker found too few modules: {edges:?}"
    );
    if let Some(cycle) = find_cycle(&edges) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_cycle_checker_finds_a_cycle_and_follows_use_trees() {
    let dir = std::env::temp_dir().join(format!("scopewatch-cycles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(dir.join("a/mod.rs"), "mod x;\nuse self::x::X;\n").unwrap();
    std::fs::write(
        dir.join("a/x.rs"),
        "use crate::{\n    b::{self, Y},\n};\n// use crate::nothing;\n",
    )
    .unwrap();
    std::fs::write(dir.join("b.rs"), "fn f() { crate::a::x::g(); }\n").unwrap();
    let cycle = find_cycle(&graph(&dir)).expect("a::x -> b -> a::x is a cycle");
    assert!(
        cycle.contains(&"b".to_string()) && cycle.contains(&"a::x".to_string()),
        "{cycle:?}"
    );
    // Without b's call back, no cycle (the parent a using its child x is one edge).
    std::fs::write(dir.join("b.rs"), "fn f() {}\n").unwrap();
    assert_eq!(find_cycle(&graph(&dir)), None);
    // A parent re-exporting a child that uses the parent's own items is a cycle.
    std::fs::write(
        dir.join("a/mod.rs"),
        "mod x;\npub use self::x::X;\npub struct P;\n",
    )
    .unwrap();
    std::fs::write(dir.join("a/x.rs"), "use super::P;\npub struct X;\n").unwrap();
    let cycle = find_cycle(&graph(&dir)).expect("a -> a::x -> a is a cycle");
    assert!(cycle.contains(&"a".to_string()), "{cycle:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
