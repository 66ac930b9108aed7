//! Property: every generated module reconstructs exactly.

mod support;

use jurigged_deftree::Parser;
use proptest::prelude::*;
use support::pygen;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn reconstruct_of_parse_is_identity(module in pygen::module()) {
        let source = module.render();
        let tree = Parser::new().module("m").parse(&source).map_err(|e| TestCaseError::fail(format!("{e}\n{source}")))?;
        prop_assert_eq!(tree.reconstruct(), source.clone());
        for node in tree.walk() {
            // Every node's span holds exactly its text.
            prop_assert_eq!(&tree.reconstruct()[node.span()], node.text());
        }
        let lean = Parser::new().module("m").variable_facts(false).function_bodies(false).parse(&source).unwrap();
        prop_assert_eq!(lean.reconstruct(), source);
    }
}
