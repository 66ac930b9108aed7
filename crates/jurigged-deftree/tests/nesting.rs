//! Deeply nested sources: refused before parsing when deeper than CPython allows,
//! parsed whatever the caller's stack when within the limits.

use jurigged_deftree::{Error, Parser, MAX_BRACKETS, MAX_EXPRESSION_DEPTH, MAX_INDENTATION};

const TEN_MB: usize = 10 << 20;

/// The refusal's message, or a failure if the source was accepted.
fn refusal(source: &str) -> String {
    match Parser::new().module("m").filename("deep.py").parse(source) {
        Err(Error::Syntax { message, .. }) => message,
        Err(other) => panic!("not a syntax error: {other}"),
        Ok(_) => panic!("a source nested this deep was accepted"),
    }
}

fn blocks(header: &str, levels: usize) -> String {
    let mut source = String::new();
    for level in 0..levels {
        source += &format!("{}{header}\n", " ".repeat(level));
    }
    source + &" ".repeat(levels) + "pass\n"
}

/// Repeats `unit` until the source is about `size` bytes.
fn repeated(prefix: &str, unit: &str, suffix: &str, size: usize) -> String {
    format!("{prefix}{}{suffix}", unit.repeat(size / unit.len()))
}

/// Runs `check` on a thread with a small stack, as a parse started from a thread
/// of the program might have: the parser must not depend on it.
fn on_small_stack(check: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(check).unwrap().join().unwrap();
}

#[test]
fn ten_megabytes_of_nesting_of_every_kind_are_refused_without_overflowing() {
    on_small_stack(|| {
        let brackets = TEN_MB / 2;
        let cases = [
            ("brackets", format!("x = {}1{}\n", "(".repeat(brackets), ")".repeat(brackets))),
            ("unclosed brackets", repeated("x = ", "[", "", TEN_MB)),
            ("braces", repeated("x = ", "{1: ", "", TEN_MB)),
            ("f-strings", repeated("x = ", "f'{", "", TEN_MB)),
            ("unary operators", repeated("x = ", "-", "1\n", TEN_MB)),
            ("not", repeated("x = ", "not ", "1\n", TEN_MB)),
            ("binary operators", repeated("x = ", "1+", "1\n", TEN_MB)),
            ("power", repeated("x = ", "2**", "1\n", TEN_MB)),
            ("attributes", repeated("x = a", ".b", "\n", TEN_MB)),
            ("calls", repeated("x = f", "()", "\n", TEN_MB)),
            ("lambdas", repeated("x = ", "lambda a, b: ", "1\n", TEN_MB)),
            ("conditional expressions", repeated("x = ", "1 if 1 else ", "1\n", TEN_MB)),
            ("yield", repeated("def f():\n    x = ", "yield ", "1\n", TEN_MB)),
            ("await", repeated("async def f():\n    x = ", "await ", "1\n", TEN_MB)),
            ("if on one line", repeated("", "if x: ", "pass\n", TEN_MB)),
            ("if blocks", blocks("if x:", 4500)),
            ("with blocks", blocks("with x:", 4500)),
            ("def blocks", blocks("def f():", 4500)),
        ];
        for (kind, source) in cases {
            let message = refusal(&source);
            assert!(message.contains("too many") || message.contains("too deeply nested"), "{kind}: {message}");
        }
    });
}

#[test]
fn fifty_thousand_terms_are_refused_like_cpython_refuses_them() {
    let message = refusal(&format!("x = {}1\n", "1+".repeat(50_000)));
    assert!(message.starts_with("expression too deeply nested"), "{message}");
}

#[test]
fn limits_match_cpython_for_brackets_and_indentation() {
    let nested = |n: usize| format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n));
    let limit = MAX_BRACKETS as usize;
    assert!(Parser::new().parse(&nested(limit)).is_ok());
    assert_eq!(refusal(&nested(limit + 1)), "too many nested parentheses");
    let deepest = MAX_INDENTATION as usize - 1;
    assert!(Parser::new().parse(&blocks("if x:", deepest)).is_ok());
    assert_eq!(refusal(&blocks("if x:", deepest + 1)), "too many levels of indentation");
}

#[test]
fn refusals_name_the_line() {
    let source = format!("a = 1\nb = 2\nx = {}1\n", "-".repeat(20_000));
    match Parser::new().filename("deep.py").parse(&source) {
        Err(err @ Error::Syntax { line: 3, .. }) => assert!(err.to_string().starts_with("deep.py:3:"), "{err}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deepest_sources_within_the_limits_parse_whatever_the_callers_stack() {
    on_small_stack(|| {
        let n = MAX_EXPRESSION_DEPTH as usize - 1;
        let in_blocks = |body: String| {
            let mut source = String::new();
            let levels = MAX_INDENTATION as usize - 2;
            for level in 0..levels {
                source += &format!("{}def f{level}():\n", " ".repeat(level));
            }
            source + &" ".repeat(levels) + &body
        };
        // The constructs whose parse recurses deepest per level, as measured.
        let sources = [
            format!("x = {}1\n", "-".repeat(n)),
            format!("x = {}1\n", "not ".repeat(n)),
            format!("x = {}1\n", "2**".repeat(n)),
            format!("def f():\n    x = {}1\n", "yield ".repeat(n)),
            format!("x = {}1\n", "lambda: ".repeat(n / 2)),
            format!("x = {}1\n", "1 if 1 else ".repeat(n / 2)),
            format!("x = {}1\n", "1+".repeat(n)),
            // Mixed chains: each operator at the limit, alternating.
            format!("x = {}1\n", "not -".repeat(n / 2)),
            format!("async def f():\n    x = {}1\n", "await -".repeat(n / 2)),
            format!("def f():\n    x = {}1\n", "yield not ".repeat(n / 2)),
            format!("x = {}1\n", "- lambda: ".repeat(n / 3)),
            format!("x = {}1\n", "a if - b else ".repeat(n / 3)),
            format!("x = {}1\n", "*- ".repeat(n / 2)),
            in_blocks(format!("x = {}1\n", "-".repeat(n - 200))),
            format!("x = {}1{}\n", "(-".repeat(MAX_BRACKETS as usize), ")".repeat(MAX_BRACKETS as usize)),
        ];
        for source in sources {
            // Invalid code (yield outside a function) is fine: what matters is
            // that the parser went all the way down and came back.
            match Parser::new().parse(&source) {
                Ok(tree) => assert_eq!(tree.reconstruct(), source),
                Err(Error::Syntax { message, .. }) => assert!(!message.contains("too"), "{message}"),
                Err(other) => panic!("{other}"),
            }
        }
    });
}

#[test]
fn long_flat_code_is_not_mistaken_for_nesting() {
    let sources = [
        format!("x = [{}]\n", "1, ".repeat(100_000)),
        format!("x = {{{}}}\n", "'k': f(a + b), ".repeat(20_000)),
        format!("x = (\n{})\n", "    'a line of text\\n'\n".repeat(50_000)),
        "y = 1\n".repeat(100_000),
        format!("x = f({})\n", "lambda a, b: a + b, ".repeat(10_000)),
    ];
    for source in sources {
        let tree = Parser::new().parse(&source).unwrap();
        assert_eq!(tree.reconstruct(), source);
    }
}

#[test]
fn a_nul_byte_is_refused_as_cpython_refuses_it() {
    let err = Parser::new().filename("nul.py").parse_bytes(b"x = 1\n# a comment \x00 with a NUL\n").unwrap_err();
    match &err {
        Error::Syntax { line: 2, message, .. } => assert_eq!(message, "source code string cannot contain null bytes"),
        other => panic!("{other:?}"),
    }
}
