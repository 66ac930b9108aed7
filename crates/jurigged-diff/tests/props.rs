//! Properties of the differ on generated modules: applying `diff(a, b)` to `a`
//! gives `b`; `diff(a, a)` is empty; the diff is deterministic; a merge of a whole
//! file with every deletion allowed leaves only moves to do.

#[path = "../../jurigged-deftree/tests/support/pygen.rs"]
mod pygen;

use jurigged_deftree::{DefTree, Parser};
use jurigged_diff::{apply, diff, merge, Deletions, EditScript};
use proptest::prelude::*;

fn parse(source: &str) -> Result<DefTree, TestCaseError> {
    Parser::new().module("m").parse(source).map_err(|e| TestCaseError::fail(format!("{e}\n{source}")))
}

fn render(script: &EditScript) -> Vec<String> {
    script.edits().iter().map(|e| e.to_string()).collect()
}

/// Two modules that share much: the second is the first with items dropped,
/// replaced and inserted.
fn related_modules() -> impl Strategy<Value = (pygen::Module, pygen::Module)> {
    pygen::module().prop_flat_map(|a| {
        let len = a.items.len();
        let edits = prop::collection::vec((0u8..10, pygen::item()), len..=len);
        let inserted = prop::collection::vec((0..=len, pygen::item()), 0..3);
        (Just(a), edits, inserted).prop_map(|(a, edits, inserted)| {
            let mut items = Vec::new();
            for (item, (choice, replacement)) in a.items.iter().zip(edits) {
                match choice {
                    0 => {}
                    1 => items.push(replacement),
                    _ => items.push(item.clone()),
                }
            }
            for (at, item) in inserted {
                items.insert(at.min(items.len()), item);
            }
            let b = pygen::Module { items, ..a.clone() };
            (a, b)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn apply_of_diff_gives_the_new_source((a, b) in related_modules()) {
        check_pair(&a.render(), &b.render())?;
    }

    #[test]
    fn apply_of_diff_between_unrelated_modules(a in pygen::module(), b in pygen::module()) {
        check_pair(&a.render(), &b.render())?;
    }

    #[test]
    fn diff_with_itself_is_empty(a in pygen::module()) {
        let source = a.render();
        let tree = parse(&source)?;
        let script = diff(&tree, &tree);
        prop_assert!(script.is_empty(), "{:?}", render(&script));
        prop_assert_eq!(apply(&tree, &script).unwrap().reconstruct(), source.clone());
        let unchanged = merge(&tree, &tree, Deletions::None);
        prop_assert!(unchanged.is_empty());
        prop_assert_eq!(apply(&tree, &unchanged).unwrap().reconstruct(), source);
    }
}

/// Every node as (path, code), sorted: what a tree holds, whatever the order.
fn inventory(tree: &DefTree) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = tree
        .walk()
        .map(|n| {
            (n.path().to_string(), n.code_key().map_or_else(|| n.header_text().trim().to_string(), str::to_string))
        })
        .collect();
    all.sort();
    all
}

fn check_pair(a: &str, b: &str) -> Result<(), TestCaseError> {
    let (old, new) = (parse(a)?, parse(b)?);
    let script = diff(&old, &new);
    let result = apply(&old, &script).unwrap();
    prop_assert_eq!(result.reconstruct(), b);
    // Positions in the applied tree are those of a fresh parse.
    let fresh: Vec<_> = new.walk().map(|n| (n.path().to_string(), n.position(), n.span())).collect();
    let applied: Vec<_> = result.walk().map(|n| (n.path().to_string(), n.position(), n.span())).collect();
    prop_assert_eq!(applied, fresh);
    // Trees without function bodies give the same script.
    let lean = |s: &str| Parser::new().module("m").function_bodies(false).parse(s).unwrap();
    let (lean_old, lean_new) = (lean(a), lean(b));
    let lean_script = diff(&lean_old, &lean_new);
    prop_assert_eq!(render(&lean_script), render(&script));
    prop_assert_eq!(apply(&lean_old, &lean_script).unwrap().reconstruct(), b);
    // Deterministic, whatever the trees' history.
    prop_assert_eq!(render(&script), render(&diff(&parse(a)?, &parse(b)?)));
    // A whole file merged with every deletion allowed holds the same definitions
    // and statements as the file (in the old order where they correspond).
    let merged = apply(&old, &merge(&old, &new, Deletions::All)).unwrap();
    prop_assert_eq!(inventory(&merged), inventory(&new), "--- merged\n{}", merged.reconstruct());
    Ok(())
}
