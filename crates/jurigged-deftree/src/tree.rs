//! The definition tree: what a Python file defines, with the exact text of every part.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::decode::SourceEncoding;
use crate::lines::{Location, Position};
use crate::segment::Segment;
use crate::vars::{Assignment, VarFacts};

/// What a node of the tree stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The whole file.
    Module,
    /// A `class` statement.
    Class,
    /// A `def` or `async def` statement.
    Function,
    /// Any other statement (or several on one line, `a = 1; b = 2`), including
    /// compound statements such as `if` blocks, whose contents are not split further.
    Line,
}

impl Kind {
    /// Whether this kind defines a name (`class` or `def`).
    pub fn is_definition(self) -> bool {
        matches!(self, Kind::Class | Kind::Function)
    }
}

/// A location relative to the first line of a node's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RelativeLocation {
    pub(crate) line_delta: u32,
    pub(crate) column: u32,
}

/// One node of a [`DefTree`]: the module, a class, a function or a line.
///
/// A node's text is made of four consecutive parts: `leading` (blank lines and
/// comments that belong to it), `header` (decorators and signature of a definition,
/// or the whole text of a line), the children (the body of a definition) and
/// `trailer` (comments indented under the definition after its last statement).
/// Moving a node moves all of them together.
///
/// Positions (`span`, `position`, ...) are those in the tree that holds the node.
#[derive(Clone, Debug)]
pub struct Node {
    pub(crate) kind: Kind,
    pub(crate) is_async: bool,
    pub(crate) name: Arc<str>,
    pub(crate) path: Arc<str>,
    pub(crate) leading: Segment,
    pub(crate) header: Segment,
    pub(crate) children: Vec<Node>,
    pub(crate) trailer: Segment,
    pub(crate) statement_start: RelativeLocation,
    pub(crate) statement_end: RelativeLocation,
    pub(crate) decorator: Option<RelativeLocation>,
    /// The code of the header (of the whole line, for a line) without comments and
    /// layout, to tell a real change from a cosmetic one. `None` inside functions,
    /// where nothing compares it.
    pub(crate) code_key: Option<Arc<str>>,
    /// Whether compiling the node makes code objects of its own (a definition, or
    /// a line with a `lambda`, a comprehension, a nested `def`...), as the parser
    /// saw it.
    pub(crate) holds_code: bool,
    /// Names the import statements of a line bind (in its own scope).
    pub(crate) imports: Arc<[String]>,
    pub(crate) vars: Option<Arc<VarFacts>>,
    /// For a module- or class-level line that is one plain assignment to names.
    pub(crate) assignment: Option<Arc<Assignment>>,
    /// Byte offset of the node (its leading part) in the tree that holds it.
    pub(crate) offset: usize,
    /// 1-based line where the header starts, in the tree that holds it.
    pub(crate) header_line: u32,
}

impl Node {
    /// What the node stands for.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether this is an `async def`.
    pub fn is_async(&self) -> bool {
        self.is_async
    }

    /// The defined name (the module's name for the module; empty for a line).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dotted path: `pkg.mod.Class.method`; a function nested in a function is
    /// `mod.outer.inner`. A line has the path of the scope it runs in.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The statements of a class or function body, and the module's statements.
    pub fn children(&self) -> &[Node] {
        &self.children
    }

    /// Variable facts of a class or function, and of the module (the root): its
    /// `assigned` names every module-level binding, those made inside `if` or
    /// `try` blocks and by imports included.
    pub fn vars(&self) -> Option<&VarFacts> {
        self.vars.as_deref()
    }

    /// For a line outside functions that is one plain assignment to names
    /// (`x = ...`, `a = b = ...`; not augmented, not annotated, not to an
    /// attribute, a subscript or a tuple): its targets and what its value reads.
    pub fn assignment(&self) -> Option<&Assignment> {
        self.assignment.as_deref()
    }

    /// The names the import statements of a line bind in its scope (empty
    /// inside functions).
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// Blank lines and comments before the node that belong to it.
    pub fn leading_text(&self) -> &str {
        self.leading.as_str()
    }

    /// Decorators, comments between them and the signature up to the end of its
    /// line, for a definition; the whole statement for a line.
    pub fn header_text(&self) -> &str {
        self.header.as_str()
    }

    /// Comments indented under a definition after its last statement.
    pub fn trailer_text(&self) -> &str {
        self.trailer.as_str()
    }

    /// The body: children and trailer.
    pub fn body_text(&self) -> String {
        let mut out = String::new();
        for child in &self.children {
            child.write_to(&mut out);
        }
        out.push_str(self.trailer.as_str());
        out
    }

    /// The node's code: header, body and trailer, without the leading part.
    pub fn code_text(&self) -> String {
        let mut out = String::from(self.header.as_str());
        out.push_str(&self.body_text());
        out
    }

    /// The whole text of the node, leading part included.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.len());
        self.write_to(&mut out);
        out
    }

    /// Appends the whole text of the node to `out`.
    pub fn write_to(&self, out: &mut String) {
        out.push_str(self.leading.as_str());
        out.push_str(self.header.as_str());
        for child in &self.children {
            child.write_to(out);
        }
        out.push_str(self.trailer.as_str());
    }

    /// Length in bytes of the whole text.
    pub fn len(&self) -> usize {
        self.leading.len() + self.header.len() + self.children.iter().map(Node::len).sum::<usize>() + self.trailer.len()
    }

    /// Whether the node has no text at all (only an empty module does).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of line breaks in the whole text.
    pub fn line_breaks(&self) -> u32 {
        self.leading.breaks() + self.code_line_breaks()
    }

    /// Number of line breaks in the code (the text without the leading part).
    pub fn code_line_breaks(&self) -> u32 {
        self.header.breaks() + self.children.iter().map(Node::line_breaks).sum::<u32>() + self.trailer.breaks()
    }

    /// Byte range of the whole text in the tree that holds the node.
    pub fn span(&self) -> Range<usize> {
        self.offset..self.offset + self.len()
    }

    /// Byte offset where the header starts.
    pub fn header_offset(&self) -> usize {
        self.offset + self.leading.len()
    }

    /// CPython's position of the statement: from the `def`/`class` keyword (after the
    /// decorators) or the first statement of a line, to the end of its last statement.
    pub fn position(&self) -> Position {
        Position { start: self.absolute(self.statement_start), end: self.absolute(self.statement_end) }
    }

    /// Where the first decorator (its `@`) is, if there are decorators.
    pub fn decorator_location(&self) -> Option<Location> {
        self.decorator.map(|d| self.absolute(d))
    }

    /// The line CPython gives as `co_firstlineno`: the first decorator's, else the
    /// statement's.
    pub fn first_line(&self) -> u32 {
        self.decorator_location().unwrap_or(self.position().start).line
    }

    /// 1-based line where the header starts.
    pub fn header_line(&self) -> u32 {
        self.header_line
    }

    /// An opaque key that is equal for two headers (two lines, for lines) with the
    /// same code, comments and spacing between tokens aside. `None` for nodes inside
    /// function bodies, which are only ever compared as a whole.
    pub fn code_key(&self) -> Option<&str> {
        self.code_key.as_deref()
    }

    /// Whether two nodes have the same code in their header (the whole line, for
    /// lines), ignoring comments and whitespace between tokens.
    pub fn same_header_code(&self, other: &Node) -> bool {
        match (&self.code_key, &other.code_key) {
            (Some(a), Some(b)) => a == b,
            _ => self.header.as_str() == other.header.as_str(),
        }
    }

    /// Whether the code of two nodes is the same text, leading parts aside.
    pub fn same_code_text(&self, other: &Node) -> bool {
        self.header.as_str() == other.header.as_str()
            && self.trailer.as_str() == other.trailer.as_str()
            && self.children.len() == other.children.len()
            && self.children.iter().zip(&other.children).all(|(a, b)| a.same_text(b))
    }

    /// Whether the whole text of two nodes is the same.
    pub fn same_text(&self, other: &Node) -> bool {
        self.leading.as_str() == other.leading.as_str() && self.same_code_text(other)
    }

    /// This node with other children (the same leading part, header and trailer).
    pub fn with_children(&self, children: Vec<Node>) -> Node {
        Node { children, ..self.clone_shallow() }
    }

    /// This node with the leading part (blank lines, comments) of `other`.
    pub fn with_leading_of(&self, other: &Node) -> Node {
        let mut node = self.clone();
        node.leading = other.leading.clone();
        node
    }

    /// This node with `text` as its leading part (blank lines and comments).
    pub fn with_leading(&self, text: &str) -> Node {
        let mut node = self.clone();
        let breaks = crate::newlines::count_line_breaks(text) as u32;
        node.leading = Segment::new(&Arc::from(text), 0, text.len(), breaks);
        node
    }

    /// Whether compiling this node makes code objects of its own, whose line
    /// numbers must follow it when it moves: a definition, or a line holding a
    /// `lambda`, a comprehension, a generator expression or a nested definition
    /// (from the syntax tree: a `def` inside a string is not code).
    pub fn defines_code(&self) -> bool {
        match self.kind {
            Kind::Module => self.children.iter().any(Node::defines_code),
            _ => self.holds_code,
        }
    }

    /// Whether two definitions have the same decorators, comments and layout
    /// aside (both undecorated counts as the same).
    pub fn same_decorators(&self, other: &Node) -> bool {
        self.decorator_code() == other.decorator_code()
    }

    /// Whether a decorator of this definition names `name` (a property's
    /// `@x.setter` on `def x`): definitions of one name chained through their
    /// decorators.
    pub fn decorators_name(&self, name: &str) -> bool {
        self.decorator_code().split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|word| word == name)
    }

    /// The code of the decorator lines: the header's lines above its `def` or
    /// `class` line.
    fn decorator_code(&self) -> String {
        if self.decorator.is_none() {
            return String::new();
        }
        match &self.code_key {
            // Each logical line of the key ends with a line break; the decorators
            // are the lines that start with `@`.
            Some(key) => key.split_inclusive('\n').filter(|line| line.starts_with('@')).collect(),
            None => {
                let lines = (self.position().start.line - self.header_line) as usize;
                self.header.as_str().split_inclusive('\n').take(lines).collect()
            }
        }
    }

    /// This node with the trailer of `other`.
    pub fn with_trailer_of(&self, other: &Node) -> Node {
        let mut node = self.clone();
        node.trailer = other.trailer.clone();
        node
    }

    /// Whether the node's text ends with a line break (or is empty).
    pub fn ends_with_line_break(&self) -> bool {
        match self.last_segment() {
            Some(text) => text.ends_with(['\n', '\r']),
            None => true,
        }
    }

    /// This node, its text ending with `newline` if it did not end with a line
    /// break: a node from a file's last line can then be followed by another.
    pub fn with_final_newline(&self, newline: &str) -> Node {
        let mut node = self.clone();
        if !node.ends_with_line_break() {
            node.append_to_last_segment(newline);
        }
        node
    }

    fn last_segment(&self) -> Option<&str> {
        if !self.trailer.as_str().is_empty() {
            return Some(self.trailer.as_str());
        }
        if let Some(last) = self.children.iter().rev().find(|c| !c.is_empty()) {
            return last.last_segment();
        }
        [self.header.as_str(), self.leading.as_str()].into_iter().find(|t| !t.is_empty())
    }

    fn append_to_last_segment(&mut self, newline: &str) {
        let grow = |segment: &mut Segment| {
            let text = format!("{}{newline}", segment.as_str());
            *segment = Segment::new(&Arc::from(text.as_str()), 0, text.len(), segment.breaks() + 1);
        };
        if !self.trailer.as_str().is_empty() {
            grow(&mut self.trailer);
        } else if let Some(last) = self.children.iter_mut().rev().find(|c| !c.is_empty()) {
            last.append_to_last_segment(newline);
        } else if !self.header.as_str().is_empty() || self.leading.as_str().is_empty() {
            grow(&mut self.header);
        } else {
            grow(&mut self.leading);
        }
    }

    fn clone_shallow(&self) -> Node {
        Node {
            kind: self.kind,
            is_async: self.is_async,
            name: self.name.clone(),
            path: self.path.clone(),
            leading: self.leading.clone(),
            header: self.header.clone(),
            children: Vec::new(),
            trailer: self.trailer.clone(),
            statement_start: self.statement_start,
            statement_end: self.statement_end,
            decorator: self.decorator,
            code_key: self.code_key.clone(),
            holds_code: self.holds_code,
            imports: self.imports.clone(),
            vars: self.vars.clone(),
            assignment: self.assignment.clone(),
            offset: self.offset,
            header_line: self.header_line,
        }
    }

    fn absolute(&self, relative: RelativeLocation) -> Location {
        Location { line: self.header_line + relative.line_delta, column: relative.column }
    }

    /// Sets the offsets and lines of this node and its descendants as if it started at
    /// `offset` on `line`; returns where it ends.
    fn lay_out(&mut self, offset: usize, line: u32) -> (usize, u32) {
        self.offset = offset;
        self.header_line = line + self.leading.breaks();
        let mut offset = offset + self.leading.len() + self.header.len();
        let mut line = self.header_line + self.header.breaks();
        for child in &mut self.children {
            (offset, line) = child.lay_out(offset, line);
        }
        (offset + self.trailer.len(), line + self.trailer.breaks())
    }
}

/// A parsed Python file: a [`Node`] tree whose text is exactly the source.
#[derive(Clone, Debug)]
pub struct DefTree {
    pub(crate) root: Node,
    pub(crate) filename: PathBuf,
    pub(crate) encoding: SourceEncoding,
}

impl DefTree {
    /// The module node; its children are the module's statements.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The module's dotted name as given when parsing.
    pub fn module_name(&self) -> &str {
        self.root.name()
    }

    /// The filename given when parsing.
    pub fn filename(&self) -> &Path {
        &self.filename
    }

    /// How the source bytes were encoded.
    pub fn encoding(&self) -> &SourceEncoding {
        &self.encoding
    }

    /// The source text, byte for byte.
    pub fn reconstruct(&self) -> String {
        self.root.text()
    }

    /// Every node below the root, parents before their children, in source order.
    pub fn walk(&self) -> Walk<'_> {
        Walk { stack: self.root.children.iter().rev().collect() }
    }

    /// The names that the module's own import statements bind (`import a.b`
    /// binds `a`), wherever they stand at module level. CPython's compiler
    /// compiles a method call on such a name differently (as an attribute
    /// load), so code compiled apart from the file must know them.
    pub fn imported_names(&self) -> impl Iterator<Item = &str> {
        self.root.children.iter().flat_map(|child| child.imports.iter().map(String::as_str))
    }

    /// Every class and function, parents first, in source order.
    pub fn definitions(&self) -> impl Iterator<Item = &Node> {
        self.walk().filter(|n| n.kind.is_definition())
    }

    /// The definitions whose dotted path is `path`, in source order (a name can be
    /// defined more than once, e.g. a property's getter and setter).
    pub fn find(&self, path: &str) -> impl Iterator<Item = &Node> {
        let path = path.to_string();
        self.definitions().filter(move |n| *n.path == *path)
    }

    /// A tree made of `root`, with the filename and encoding of `like`; positions
    /// are recomputed for where each node now stands.
    pub fn from_root(mut root: Node, like: &DefTree) -> DefTree {
        root.lay_out(0, 1);
        DefTree { root, filename: like.filename.clone(), encoding: like.encoding.clone() }
    }
}

/// Iterator returned by [`DefTree::walk`].
pub struct Walk<'a> {
    stack: Vec<&'a Node>,
}

impl<'a> Iterator for Walk<'a> {
    type Item = &'a Node;

    fn next(&mut self) -> Option<&'a Node> {
        let node = self.stack.pop()?;
        self.stack.extend(node.children.iter().rev());
        Some(node)
    }
}
