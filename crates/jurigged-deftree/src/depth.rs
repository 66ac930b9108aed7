//! How deep the parser may have to recurse on a source, measured on its tokens
//! before parsing.
//!
//! The parser, the analyses over its syntax tree and the tree's destructor all
//! recurse once per level of nesting, so a save of `((((...))))` or `1+1+...+1`
//! a few megabytes long would overflow any thread's stack and abort the program.
//! CPython refuses such files (`too many nested parentheses`, `too many levels of
//! indentation`, `RecursionError` during compilation); so do we, before parsing,
//! with limits that make the stack a parse needs known in advance.
//!
//! The bound is computed on the lexer's tokens, which the lexer produces without
//! recursion. Within one comma-separated element of a bracket (or of a simple
//! statement), a path down the syntax tree meets each node on a token of its own
//! (an operator, a keyword, a dot, an opening bracket) and enters at most one
//! nested bracket, so the element's depth is at most its own such tokens plus
//! the deepest bracket inside it. Commas separate siblings, except between
//! `lambda` and its colon (parameters), where they keep counting.

use ruff_python_ast::token::TokenKind;
use ruff_python_parser::{lexer, Mode};

/// Most nested brackets (f-strings count as one), as CPython's tokenizer allows.
pub const MAX_BRACKETS: u32 = 200;
/// Levels of indentation (the module's own included) that CPython's tokenizer
/// refuses: 99 nested blocks are the most.
pub const MAX_INDENTATION: u32 = 100;
/// Most nesting tokens on a path through one statement. CPython itself gives up
/// compiling expressions about 3,000 levels deep; this bound counts every operator,
/// so it is set above that, and only refuses what CPython could not run either
/// (besides flat chains of thousands of `and`/`or` or comparisons in one expression).
pub const MAX_EXPRESSION_DEPTH: u32 = 10_000;

/// Why a source is refused before parsing, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooDeep {
    /// Line of the token that went over the limit, counted on line-break tokens
    /// (a string spanning lines counts as one).
    pub line: u32,
    pub message: String,
}

/// The deepest nesting found in a source: the largest statement bound and the
/// deepest indentation, both within the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Nesting {
    pub expression: u32,
    pub indentation: u32,
}

/// One open bracket (or the statement itself, at the bottom of the stack).
#[derive(Default)]
struct Frame {
    /// Nesting tokens of the current element at this level.
    own: u32,
    /// Bound of the deepest bracket closed inside the current element.
    inner: u32,
    /// Bound of the deepest element already finished at this level.
    finished: u32,
    /// `lambda`s whose parameter list has not reached its colon yet.
    open_lambdas: u32,
    /// Nesting of the brackets around this one, on the path to it.
    base: u32,
}

impl Frame {
    fn element(&self) -> u32 {
        self.own.saturating_add(self.inner)
    }

    fn bound(&self) -> u32 {
        self.finished.max(self.element())
    }

    fn end_element(&mut self) {
        self.finished = self.bound();
        self.own = 0;
        self.inner = 0;
    }
}

/// Measures `text` and refuses it when it nests deeper than the limits.
pub(crate) fn measure(text: &str) -> Result<Nesting, TooDeep> {
    let mut lexer = lexer::lex(text, Mode::Module);
    let mut frames = vec![Frame::default()];
    let mut nesting = Nesting::default();
    let mut indentation = 0u32;
    let mut line = 1u32;
    loop {
        let kind = lexer.next_token();
        let here = line;
        let too_deep = |message: String| TooDeep { line: here, message };
        if matches!(kind, TokenKind::Newline | TokenKind::NonLogicalNewline) {
            line = line.saturating_add(1);
        }
        match kind {
            TokenKind::EndOfFile => break,
            TokenKind::Lpar
            | TokenKind::Lsqb
            | TokenKind::Lbrace
            | TokenKind::FStringStart
            | TokenKind::TStringStart => {
                let mut base = 0;
                if let Some(top) = frames.last_mut() {
                    top.own = top.own.saturating_add(1);
                    base = top.base.saturating_add(top.element());
                }
                frames.push(Frame { base, ..Frame::default() });
                if frames.len() - 1 > MAX_BRACKETS as usize {
                    return Err(too_deep("too many nested parentheses".into()));
                }
            }
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace | TokenKind::FStringEnd | TokenKind::TStringEnd => {
                // An unmatched closing bracket leaves the statement's frame alone.
                if frames.len() > 1 {
                    if let Some(closed) = frames.pop() {
                        let group = closed.bound().saturating_add(1);
                        if let Some(top) = frames.last_mut() {
                            top.inner = top.inner.max(group);
                        }
                    }
                }
            }
            TokenKind::Comma => {
                if let Some(top) = frames.last_mut() {
                    if top.open_lambdas == 0 {
                        top.end_element();
                    }
                }
            }
            TokenKind::Newline | TokenKind::Semi if frames.len() == 1 => {
                if let Some(top) = frames.last_mut() {
                    top.end_element();
                    nesting.expression = nesting.expression.max(top.finished);
                    *top = Frame::default();
                }
            }
            TokenKind::Indent => {
                indentation += 1;
                nesting.indentation = nesting.indentation.max(indentation);
                if indentation >= MAX_INDENTATION {
                    return Err(too_deep("too many levels of indentation".into()));
                }
            }
            TokenKind::Dedent => indentation = indentation.saturating_sub(1),
            // Leaves and layout: no node of their own above another.
            TokenKind::Name
            | TokenKind::Int
            | TokenKind::Float
            | TokenKind::Complex
            | TokenKind::String
            | TokenKind::FStringMiddle
            | TokenKind::TStringMiddle
            | TokenKind::Comment
            | TokenKind::NonLogicalNewline
            | TokenKind::Newline
            | TokenKind::Semi
            | TokenKind::None
            | TokenKind::True
            | TokenKind::False
            | TokenKind::Ellipsis => {}
            other => {
                if let Some(top) = frames.last_mut() {
                    top.own = top.own.saturating_add(1);
                    match other {
                        TokenKind::Lambda => top.open_lambdas += 1,
                        TokenKind::Colon if top.open_lambdas > 0 => top.open_lambdas -= 1,
                        _ => {}
                    }
                }
            }
        }
        // Checked as it grows, so that a refusal costs no more than the text up to it.
        let path = frames.last().map_or(0, |top| top.base.saturating_add(top.element()));
        if path > MAX_EXPRESSION_DEPTH {
            return Err(too_deep(format!(
                "expression too deeply nested (more than {MAX_EXPRESSION_DEPTH} levels of operators and brackets)"
            )));
        }
    }
    // Brackets never closed: what they hold still counts.
    while frames.len() > 1 {
        if let Some(closed) = frames.pop() {
            if let Some(top) = frames.last_mut() {
                top.inner = top.inner.max(closed.bound().saturating_add(1));
            }
        }
    }
    if let Some(top) = frames.last() {
        nesting.expression = nesting.expression.max(top.bound());
    }
    Ok(nesting)
}

/// Whether CPython's own parser and compiler can be given `text` safely: no NUL
/// byte, and nesting within the limits above (beyond them CPython may exhaust
/// its C stack rather than raise).
pub fn within_cpython_limits(text: &str) -> bool {
    !text.contains('\0') && measure(text).is_ok()
}
