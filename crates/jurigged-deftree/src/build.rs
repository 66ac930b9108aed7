//! Building a [`DefTree`] from the parser's syntax tree and tokens.
//!
//! The text is cut into consecutive pieces, so that the tree always reconstructs
//! the source exactly: each statement (or run of statements sharing a logical line)
//! owns its text up to the end of its logical line, and the blank lines and comments
//! between statements go to the statement after them, except comments indented
//! deeper than that statement, which close the definition before it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::Stmt;
use ruff_text_size::Ranged;

use crate::decode::{declared_encoding, decode_source, SourceEncoding};
use crate::depth;
use crate::error::{Error, Result};
use crate::lines::LineIndex;
use crate::segment::Segment;
use crate::stack;
use crate::tree::{DefTree, Kind, Node, RelativeLocation};
use crate::vars::{self, VarFacts};

/// Parses Python source into a [`DefTree`].
///
/// ```
/// use jurigged_deftree::{Kind, Parser};
///
/// let tree = Parser::new().module("shapes").parse("class Square:\n    def area(self):\n        return 4\n")?;
/// let area = tree.find("shapes.Square.area").next().unwrap();
/// assert_eq!(area.kind(), Kind::Function);
/// assert_eq!(area.position().start.line, 2);
/// assert_eq!(tree.reconstruct(), "class Square:\n    def area(self):\n        return 4\n");
/// # Ok::<(), jurigged_deftree::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Parser {
    module: String,
    filename: Option<PathBuf>,
    variable_facts: bool,
    function_bodies: bool,
}

impl Default for Parser {
    fn default() -> Self {
        Parser { module: String::new(), filename: None, variable_facts: true, function_bodies: true }
    }
}

impl Parser {
    /// A parser for a module with no name, reading `<unknown>`.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// The dotted module name that prefixes every definition's path.
    pub fn module(mut self, name: impl Into<String>) -> Parser {
        self.module = name.into();
        self
    }

    /// The filename that errors and the tree carry.
    pub fn filename(mut self, filename: impl Into<PathBuf>) -> Parser {
        self.filename = Some(filename.into());
        self
    }

    /// Whether to compute each definition's [`VarFacts`] (on by default). A caller
    /// that never reads them (a live session diffing every save) saves about a
    /// third of the parse time by turning them off.
    pub fn variable_facts(mut self, enabled: bool) -> Parser {
        self.variable_facts = enabled;
        self
    }

    /// Whether the statements of function bodies get nodes of their own (on by
    /// default). Off, a function's body is one [`Kind::Line`] child holding its
    /// text: functions nested in functions have no node, and a tree of a large
    /// file is several times smaller. What a diff reports is the same, since it
    /// compares function bodies as a whole.
    pub fn function_bodies(mut self, enabled: bool) -> Parser {
        self.function_bodies = enabled;
        self
    }

    fn filename_or_default(&self) -> PathBuf {
        self.filename.clone().unwrap_or_else(|| PathBuf::from("<unknown>"))
    }

    /// Parses text that is already decoded; the tree's encoding is the one the
    /// text declares (PEP 263), else UTF-8.
    pub fn parse(&self, text: &str) -> Result<DefTree> {
        self.parse_with_encoding(text, declared_encoding(text))
    }

    /// Decodes the bytes of a file as CPython does, then parses them.
    pub fn parse_bytes(&self, bytes: &[u8]) -> Result<DefTree> {
        let (text, encoding) = decode_source(bytes, &self.filename_or_default())?;
        self.parse_with_encoding(&text, encoding)
    }

    fn parse_with_encoding(&self, text: &str, encoding: SourceEncoding) -> Result<DefTree> {
        let filename = self.filename_or_default();
        let refuse = |line: u32, column: u32, message: String| Error::Syntax {
            filename: filename.clone(),
            line,
            column,
            message,
        };
        if u32::try_from(text.len()).is_err() {
            // The parser counts offsets in 32 bits (and asserts it).
            return Err(Error::Parser { filename, message: "the file is larger than 4 GiB".into() });
        }
        if let Some(offset) = text.find('\0') {
            // CPython refuses the whole file, whatever the byte is in.
            let at = LineIndex::new(text).location(offset);
            return Err(refuse(at.line, at.column, "source code string cannot contain null bytes".into()));
        }
        let nesting = depth::measure(text).map_err(|too_deep| refuse(too_deep.line, 0, too_deep.message))?;
        stack::run_with_stack(stack::needed(nesting), || self.build(text, encoding))
            .unwrap_or_else(|failure| Err(Error::Parser { filename: filename.clone(), message: failure }))
    }

    /// Parses and builds the tree: recursive all the way, so only called with a
    /// stack that fits the source's measured nesting.
    fn build(&self, text: &str, encoding: SourceEncoding) -> Result<DefTree> {
        let filename = self.filename_or_default();
        let lines = LineIndex::new(text);
        let parsed = ruff_python_parser::parse_module(text).map_err(|e| syntax_error(&filename, &lines, &e))?;
        let source: Arc<str> = Arc::from(text);
        let body = &parsed.syntax().body;
        let builder = Builder {
            text,
            source: &source,
            lines: &lines,
            tokens: parsed.tokens(),
            vars: RefCell::new(if self.variable_facts { vars::analyze(body) } else { HashMap::new() }),
            function_bodies: self.function_bodies,
        };
        let root = builder.module(body, &self.module);
        Ok(DefTree { root, filename, encoding })
    }
}

fn syntax_error(filename: &Path, lines: &LineIndex, error: &ruff_python_parser::ParseError) -> Error {
    let at = lines.location(error.location.start().to_usize());
    Error::Syntax {
        filename: filename.to_path_buf(),
        line: at.line,
        column: at.column,
        message: error.error.to_string(),
    }
}

struct Builder<'a> {
    text: &'a str,
    source: &'a Arc<str>,
    lines: &'a LineIndex,
    tokens: &'a Tokens,
    /// Facts by definition start, taken out as the nodes are built.
    vars: RefCell<HashMap<u32, VarFacts>>,
    function_bodies: bool,
}

/// Where one statement (or run of statements on one logical line) sits.
struct Unit<'s> {
    statements: &'s [Stmt],
    /// Start of the first statement (its first decorator, for a definition).
    code_start: usize,
    /// Where the unit's own text starts: the start of its line, or the code itself
    /// when it shares its line with a header (`def f(): return 1`).
    head_start: usize,
    /// End of the logical line of the last statement, newline included.
    end: usize,
}

impl<'a> Builder<'a> {
    fn segment(&self, start: usize, end: usize) -> Segment {
        Segment::new(self.source, start, end, self.lines.breaks_in(start, end))
    }

    fn module(&self, body: &[Stmt], name: &str) -> Node {
        let (children, trailer_start) = self.block(body, 0, self.text.len(), name, false);
        Node {
            kind: Kind::Module,
            is_async: false,
            name: Arc::from(name),
            path: Arc::from(name),
            leading: Segment::empty(self.source),
            header: Segment::empty(self.source),
            children,
            trailer: self.segment(trailer_start, self.text.len()),
            statement_start: RelativeLocation::default(),
            statement_end: RelativeLocation::default(),
            decorator: None,
            code_key: None,
            holds_code: true,
            imports: Arc::from([]),
            vars: self.vars.borrow_mut().remove(&vars::MODULE_KEY).map(Arc::new),
            assignment: None,
            offset: 0,
            header_line: 1,
        }
    }

    /// Cuts the region `[start, end)` holding `statements` into nodes; returns them
    /// and where the text after the last of them starts.
    fn block(
        &self,
        statements: &[Stmt],
        start: usize,
        end: usize,
        parent: &str,
        in_function: bool,
    ) -> (Vec<Node>, usize) {
        let mut nodes: Vec<Node> = Vec::new();
        let mut cursor = start;
        let mut rest = statements;
        while !rest.is_empty() {
            let unit = self.next_unit(rest, cursor, end);
            rest = &rest[unit.statements.len()..];
            let leading_start = match nodes.last_mut() {
                Some(previous) => {
                    let indent = unit.code_start - self.lines.line_start(unit.code_start);
                    let split = self.split_gap(cursor, unit.head_start, indent);
                    self.extend_node(previous, split);
                    split
                }
                None => cursor,
            };
            nodes.push(self.node(&unit, leading_start, parent, in_function));
            cursor = unit.end;
        }
        // Comments after the last statement: the indented ones close it.
        let trailer_start = match nodes.last_mut() {
            Some(last) if cursor < end => {
                let split = self.split_gap(cursor, end, 0);
                self.extend_node(last, split);
                split
            }
            _ => cursor,
        };
        (nodes, trailer_start)
    }

    fn next_unit<'s>(&self, statements: &'s [Stmt], cursor: usize, region_end: usize) -> Unit<'s> {
        let mut count = 1;
        while count < statements.len()
            && !self.has_newline_between(statements[count - 1].end().to_usize(), statements[count].start().to_usize())
        {
            count += 1;
        }
        let code_start = statements[0].start().to_usize();
        let line_start = self.lines.line_start(code_start);
        let head_start = if line_start >= cursor && is_blank(&self.text[line_start..code_start]) {
            line_start
        } else {
            code_start.max(cursor)
        };
        let last_end = statements[count - 1].end().to_usize();
        let end = self.logical_line_end(last_end).min(region_end).max(last_end);
        Unit { statements: &statements[..count], code_start, head_start, end }
    }

    fn has_newline_between(&self, start: usize, end: usize) -> bool {
        self.tokens_from(start)
            .iter()
            .take_while(|t| t.start().to_usize() < end)
            .any(|t| t.kind() == TokenKind::Newline)
    }

    /// End of the `Newline` token that closes the logical line holding `offset`.
    fn logical_line_end(&self, offset: usize) -> usize {
        self.tokens_from(offset)
            .iter()
            .find(|t| t.kind() == TokenKind::Newline)
            .map_or(self.text.len(), |t| t.end().to_usize())
    }

    fn tokens_from(&self, offset: usize) -> &'a [ruff_python_ast::token::Token] {
        let index = self.tokens.partition_point(|t| t.start().to_usize() < offset);
        &self.tokens[index..]
    }

    /// Splits the blank lines and comments in `[start, end)` between the statement
    /// before them and the one after, whose indentation is `next_indent` bytes.
    /// Comment lines indented deeper than the next statement, and the blank lines
    /// among them, stay with the statement before.
    fn split_gap(&self, start: usize, end: usize, next_indent: usize) -> usize {
        let mut split = start;
        let mut line_start = start;
        while line_start < end {
            let line_end = self.lines.next_line_start(line_start).min(end);
            let line = &self.text[line_start..line_end];
            let content = line.trim_start_matches([' ', '\t', '\x0c']);
            if content.starts_with('#') {
                if line.len() - content.len() <= next_indent {
                    break;
                }
                split = line_end;
            } else if !is_blank(content) {
                break;
            }
            line_start = line_end;
        }
        split
    }

    /// Makes `node` end at `end` (its trailer, for a definition; its text, for a line).
    fn extend_node(&self, node: &mut Node, end: usize) {
        let current_end = node.header_offset()
            + node.header.len()
            + node.children.iter().map(Node::len).sum::<usize>()
            + node.trailer.len();
        if end <= current_end {
            return;
        }
        let breaks = self.lines.breaks_in(current_end, end);
        if node.kind == Kind::Line {
            node.header.extend(end, breaks);
        } else {
            node.trailer.extend(end, breaks);
        }
    }

    fn node(&self, unit: &Unit, leading_start: usize, parent: &str, in_function: bool) -> Node {
        let header_line = self.lines.location(unit.head_start).line;
        let relative = |offset: usize| {
            let at = self.lines.location(offset);
            RelativeLocation { line_delta: at.line - header_line, column: at.column }
        };
        let leading = self.segment(leading_start, unit.head_start);
        let last = unit.statements.last().expect("a unit has a statement");
        let mut node = Node {
            kind: Kind::Line,
            is_async: false,
            name: Arc::from(""),
            path: Arc::from(parent),
            leading,
            header: self.segment(unit.head_start, unit.end),
            children: Vec::new(),
            trailer: Segment::empty(self.source),
            statement_start: relative(unit.code_start),
            statement_end: relative(last.end().to_usize()),
            decorator: None,
            code_key: None,
            holds_code: crate::holders::holds_code(unit.statements),
            imports: if in_function { Arc::from([]) } else { crate::holders::imported_names(unit.statements).into() },
            vars: None,
            assignment: if in_function { None } else { vars::assignment(unit.statements).map(Arc::new) },
            offset: leading_start,
            header_line,
        };
        let (name, is_async, decorated, body, kind) = match &unit.statements {
            [Stmt::FunctionDef(def)] => {
                (def.name.as_str(), def.is_async, !def.decorator_list.is_empty(), &def.body, Kind::Function)
            }
            [Stmt::ClassDef(class)] => {
                (class.name.as_str(), false, !class.decorator_list.is_empty(), &class.body, Kind::Class)
            }
            _ => {
                if !in_function {
                    node.code_key = Some(self.code_key(unit.code_start, unit.end));
                }
                return node;
            }
        };
        let path = if parent.is_empty() { name.to_string() } else { format!("{parent}.{name}") };
        let keyword = if decorated { self.keyword_after_decorators(unit.code_start) } else { unit.code_start };
        let body_start = self.body_start(body);
        let (children, trailer_start) = if kind == Kind::Function && !self.function_bodies {
            (vec![self.opaque_body(body, body_start, unit.end, &path)], unit.end)
        } else {
            self.block(body, body_start, unit.end, &path, kind == Kind::Function || in_function)
        };
        node.kind = kind;
        node.holds_code = true;
        node.is_async = is_async;
        node.name = Arc::from(name);
        node.header = self.segment(unit.head_start, body_start);
        node.trailer = self.segment(trailer_start, unit.end);
        node.children = children;
        node.statement_start = relative(keyword);
        node.decorator = decorated.then(|| relative(unit.code_start));
        node.vars = self.vars.borrow_mut().remove(&(unit.code_start as u32)).map(Arc::new);
        if !in_function {
            node.code_key = Some(self.code_key(unit.code_start, body_start));
        }
        node.path = Arc::from(path);
        node
    }

    /// A function body as one line node: its text, nothing split.
    fn opaque_body(&self, body: &[Stmt], start: usize, end: usize, path: &str) -> Node {
        let header_line = self.lines.location(start).line;
        let relative = |offset: usize| {
            let at = self.lines.location(offset);
            RelativeLocation { line_delta: at.line - header_line, column: at.column }
        };
        let first = body.first().map_or(start, |s| s.start().to_usize());
        let last = body.last().map_or(end, |s| s.end().to_usize());
        Node {
            kind: Kind::Line,
            is_async: false,
            name: Arc::from(""),
            path: Arc::from(path),
            leading: Segment::empty(self.source),
            header: self.segment(start, end),
            children: Vec::new(),
            trailer: Segment::empty(self.source),
            statement_start: relative(first),
            statement_end: relative(last),
            decorator: None,
            code_key: None,
            holds_code: crate::holders::holds_code(body),
            imports: Arc::from([]),
            vars: None,
            assignment: None,
            offset: start,
            header_line,
        }
    }

    /// The `def`, `async` or `class` keyword after a definition's decorators.
    fn keyword_after_decorators(&self, code_start: usize) -> usize {
        let mut depth = 0i32;
        let mut at_line_start = true;
        for token in self.tokens_from(code_start) {
            match token.kind() {
                TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace => depth += 1,
                TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace => depth -= 1,
                TokenKind::Newline => at_line_start = true,
                TokenKind::Def | TokenKind::Async | TokenKind::Class if depth == 0 && at_line_start => {
                    return token.start().to_usize();
                }
                TokenKind::Comment | TokenKind::NonLogicalNewline => {}
                _ => at_line_start = false,
            }
        }
        code_start
    }

    /// Where a definition's body starts: after the line of the header's colon, or at
    /// the first statement when it shares that line.
    fn body_start(&self, body: &[Stmt]) -> usize {
        let first = body.first().expect("a definition has a body").start();
        let before = self.tokens.partition_point(|t| t.start() < first);
        let colon = self.tokens[..before]
            .iter()
            .rposition(|t| t.kind() == TokenKind::Colon)
            .expect("a definition header ends with a colon");
        self.tokens[colon..before]
            .iter()
            .find(|t| t.kind() == TokenKind::Newline)
            .map_or(first.to_usize(), |t| t.end().to_usize())
    }

    /// The tokens of `[start, end)` without comments and layout, joined.
    /// Layout tokens at or before `code_start` close or open the blocks around the
    /// statement rather than its own, and are left out.
    fn code_key(&self, code_start: usize, end: usize) -> Arc<str> {
        let mut key = String::with_capacity(end - code_start);
        for token in self.tokens_from(code_start) {
            let start = token.start().to_usize();
            if start >= end {
                break;
            }
            match token.kind() {
                TokenKind::Comment | TokenKind::NonLogicalNewline => {}
                TokenKind::Indent | TokenKind::Dedent if start <= code_start => {}
                TokenKind::Newline => key.push('\n'),
                TokenKind::Indent => key.push('\u{1}'),
                TokenKind::Dedent => key.push('\u{2}'),
                _ => {
                    key.push_str(&self.text[token.range()]);
                    key.push(' ');
                }
            }
        }
        Arc::from(key)
    }
}

fn is_blank(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\x0c' | b'\r' | b'\n'))
}
