//! Variable facts of each class and function: which names it assigns, reads, needs
//! from outside, and which of those come from an enclosing function (its closure).
//!
//! Python scoping in two passes: collect what each scope binds and uses, then
//! resolve free names against the enclosing scopes, as CPython's symtable does.

use std::collections::HashMap;

use indexmap::IndexSet;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};

/// What a class or function does with names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VarFacts {
    /// Names bound in this scope (parameters, assignments, imports, nested defs...),
    /// in order of first appearance.
    pub assigned: Vec<String>,
    /// Names this scope itself reads, in order of first appearance.
    pub read: Vec<String>,
    /// Names this scope or a scope nested in it uses but does not bind: globals,
    /// builtins and closure variables.
    pub free: Vec<String>,
    /// The free names bound by an enclosing function, sorted as CPython sorts
    /// `co_freevars`. A use of `super()` or `__class__` inside a class adds `__class__`.
    pub closure: Vec<String>,
    /// Names bound here that nested scopes capture (CPython's `co_cellvars`), sorted.
    pub cells: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Module,
    Class,
    Function,
    Lambda,
    Comprehension,
}

struct Scope<'a> {
    kind: ScopeKind,
    parent: Option<usize>,
    /// Start offset of the `def`/`class` statement this scope belongs to.
    def_start: Option<u32>,
    bound: IndexSet<&'a str>,
    reads: IndexSet<&'a str>,
    globals: IndexSet<&'a str>,
    nonlocals: IndexSet<&'a str>,
    uses_class_cell: bool,
}

impl<'a> Scope<'a> {
    fn new(kind: ScopeKind, parent: Option<usize>, def_start: Option<u32>) -> Self {
        Scope {
            kind,
            parent,
            def_start,
            bound: IndexSet::new(),
            reads: IndexSet::new(),
            globals: IndexSet::new(),
            nonlocals: IndexSet::new(),
            uses_class_cell: false,
        }
    }

    /// Names that are local variables of this scope.
    fn is_local(&self, name: &str) -> bool {
        self.bound.contains(name) && !self.globals.contains(name) && !self.nonlocals.contains(name)
    }
}

struct Collector<'a> {
    scopes: Vec<Scope<'a>>,
    current: usize,
}

impl<'a> Collector<'a> {
    fn bind(&mut self, name: &'a str) {
        self.scopes[self.current].bound.insert(name);
    }

    fn enter(&mut self, kind: ScopeKind, def_start: Option<u32>) -> usize {
        let parent = self.current;
        self.scopes.push(Scope::new(kind, Some(parent), def_start));
        self.current = self.scopes.len() - 1;
        parent
    }

    /// Visits what a parameter list evaluates in the enclosing scope: defaults and
    /// annotations.
    fn visit_parameter_values(&mut self, parameters: &'a ast::Parameters) {
        for p in parameters.iter_non_variadic_params() {
            if let Some(default) = &p.default {
                self.visit_expr(default);
            }
        }
        for p in parameters.iter() {
            if let Some(annotation) = p.as_parameter().annotation() {
                self.visit_annotation(annotation);
            }
        }
    }

    fn bind_parameters(&mut self, parameters: &'a ast::Parameters) {
        for p in parameters.iter() {
            self.bind(p.name().as_str());
        }
    }

    fn visit_comprehension_scope(&mut self, generators: &'a [ast::Comprehension], elements: &[&'a Expr]) {
        // The first iterable is evaluated in the enclosing scope.
        if let Some(first) = generators.first() {
            self.visit_expr(&first.iter);
        }
        let parent = self.enter(ScopeKind::Comprehension, None);
        for (i, generator) in generators.iter().enumerate() {
            if i > 0 {
                self.visit_expr(&generator.iter);
            }
            self.visit_expr(&generator.target);
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        for element in elements {
            self.visit_expr(element);
        }
        self.current = parent;
    }
}

impl<'a> Visitor<'a> for Collector<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_decorator(decorator);
                }
                self.visit_parameter_values(&def.parameters);
                if let Some(returns) = &def.returns {
                    self.visit_annotation(returns);
                }
                self.bind(def.name.as_str());
                let parent = self.enter(ScopeKind::Function, Some(def.range.start().to_u32()));
                if let Some(type_params) = &def.type_params {
                    self.visit_type_params(type_params);
                }
                self.bind_parameters(&def.parameters);
                self.visit_body(&def.body);
                self.current = parent;
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                self.bind(class.name.as_str());
                let parent = self.enter(ScopeKind::Class, Some(class.range.start().to_u32()));
                if let Some(type_params) = &class.type_params {
                    self.visit_type_params(type_params);
                }
                self.visit_body(&class.body);
                self.current = parent;
            }
            Stmt::Global(global) => {
                for name in &global.names {
                    self.scopes[self.current].globals.insert(name.as_str());
                }
            }
            Stmt::Nonlocal(nonlocal) => {
                for name in &nonlocal.names {
                    self.scopes[self.current].nonlocals.insert(name.as_str());
                }
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    let bound = match &alias.asname {
                        Some(asname) => asname.as_str(),
                        None => alias.name.as_str().split('.').next().unwrap_or_default(),
                    };
                    self.bind(bound);
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let name = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                    if name != "*" {
                        self.bind(name);
                    }
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) => {
                let id = name.id.as_str();
                let scope = &mut self.scopes[self.current];
                match name.ctx {
                    ExprContext::Load => {
                        if id == "super" || id == "__class__" {
                            scope.uses_class_cell = true;
                        }
                        if id != "__class__" {
                            scope.reads.insert(id);
                        }
                    }
                    ExprContext::Store | ExprContext::Del => {
                        scope.bound.insert(id);
                    }
                    ExprContext::Invalid => {}
                }
            }
            Expr::Named(named) => {
                self.visit_expr(&named.value);
                if let Expr::Name(target) = named.target.as_ref() {
                    // An assignment expression in a comprehension binds in the
                    // nearest enclosing scope that is not a comprehension.
                    let mut owner = self.current;
                    while self.scopes[owner].kind == ScopeKind::Comprehension {
                        self.scopes[owner].reads.insert(target.id.as_str());
                        owner = self.scopes[owner].parent.unwrap_or(0);
                    }
                    self.scopes[owner].bound.insert(target.id.as_str());
                } else {
                    self.visit_expr(&named.target);
                }
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    self.visit_parameter_values(parameters);
                }
                let parent = self.enter(ScopeKind::Lambda, None);
                if let Some(parameters) = &lambda.parameters {
                    self.bind_parameters(parameters);
                }
                self.visit_expr(&lambda.body);
                self.current = parent;
            }
            Expr::ListComp(c) => self.visit_comprehension_scope(&c.generators, &[&c.elt]),
            Expr::SetComp(c) => self.visit_comprehension_scope(&c.generators, &[&c.elt]),
            Expr::Generator(c) => self.visit_comprehension_scope(&c.generators, &[&c.elt]),
            Expr::DictComp(c) => self.visit_comprehension_scope(&c.generators, &[&c.key, &c.value]),
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(h) = handler;
        if let Some(name) = &h.name {
            self.bind(name.as_str());
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a ast::Pattern) {
        let captured = match pattern {
            ast::Pattern::MatchAs(p) => p.name.as_ref(),
            ast::Pattern::MatchStar(p) => p.name.as_ref(),
            ast::Pattern::MatchMapping(p) => p.rest.as_ref(),
            _ => None,
        };
        if let Some(name) = captured {
            self.bind(name.as_str());
        }
        visitor::walk_pattern(self, pattern);
    }

    fn visit_type_param(&mut self, type_param: &'a ast::TypeParam) {
        self.bind(type_param.name().as_str());
        visitor::walk_type_param(self, type_param);
    }
}

/// The key of the module's own facts in what [`analyze`] returns (no statement
/// starts there: offsets are those of a source that fits in memory).
pub(crate) const MODULE_KEY: u32 = u32::MAX;

/// Variable facts for every `def` and `class` of a module, keyed by the start offset
/// of the statement (its first decorator, if any), and the module's own under
/// [`MODULE_KEY`].
pub(crate) fn analyze(body: &[Stmt]) -> HashMap<u32, VarFacts> {
    let mut collector = Collector { scopes: vec![Scope::new(ScopeKind::Module, None, None)], current: 0 };
    collector.visit_body(body);
    let scopes = collector.scopes;

    // Children are created after their parents: a reverse sweep sees every child
    // before its parent.
    let mut needed: Vec<IndexSet<&str>> = vec![IndexSet::new(); scopes.len()];
    let mut from_children: Vec<IndexSet<&str>> = vec![IndexSet::new(); scopes.len()];
    for index in (0..scopes.len()).rev() {
        let scope = &scopes[index];
        let mut own: IndexSet<&str> = scope.reads.iter().chain(&scope.nonlocals).copied().collect();
        if scope.uses_class_cell {
            own.insert("__class__");
        }
        let children = std::mem::take(&mut from_children[index]);
        let mut need: IndexSet<&str> = match scope.kind {
            // Class-level names are invisible to the functions inside the class.
            ScopeKind::Class => own
                .into_iter()
                .filter(|n| !scope.is_local(n))
                .chain(children.iter().copied().filter(|&n| n != "__class__"))
                .collect(),
            _ => own.into_iter().chain(children.iter().copied()).filter(|n| !scope.is_local(n)).collect(),
        };
        if scope.kind == ScopeKind::Module {
            need.clear();
        }
        if let Some(parent) = scope.parent {
            from_children[parent].extend(need.iter().copied());
        }
        from_children[index] = children;
        needed[index] = need;
    }

    let mut facts = HashMap::new();
    for (index, scope) in scopes.iter().enumerate() {
        let key = match scope.kind {
            ScopeKind::Module => Some(MODULE_KEY),
            _ => scope.def_start,
        };
        let Some(def_start) = key else { continue };
        let free = &needed[index];
        let mut closure: Vec<String> = free
            .iter()
            .filter(|name| !scope.globals.contains(*name) && resolves_in_enclosing_function(&scopes, index, name))
            .map(|n| n.to_string())
            .collect();
        closure.sort();
        let mut cells: Vec<String> = match scope.kind {
            ScopeKind::Class if from_children[index].contains("__class__") => vec!["__class__".to_string()],
            ScopeKind::Class => Vec::new(),
            _ => from_children[index].iter().filter(|n| scope.is_local(n)).map(|n| n.to_string()).collect(),
        };
        cells.sort();
        let strings = |set: &IndexSet<&str>| set.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let assigned = scope.bound.iter().filter(|n| scope.is_local(n)).map(|n| n.to_string()).collect();
        facts
            .insert(def_start, VarFacts { assigned, read: strings(&scope.reads), free: strings(free), closure, cells });
    }
    facts
}

/// Whether `name`, free in scope `index`, is bound by an enclosing function (or, for
/// `__class__`, provided by an enclosing class).
fn resolves_in_enclosing_function(scopes: &[Scope], index: usize, name: &str) -> bool {
    let mut cursor = scopes[index].parent;
    while let Some(i) = cursor {
        let scope = &scopes[i];
        match scope.kind {
            ScopeKind::Module => return false,
            ScopeKind::Class if name == "__class__" => return true,
            ScopeKind::Class => {}
            _ if scope.globals.contains(name) => return false,
            _ if scope.is_local(name) => return true,
            _ => {}
        }
        cursor = scope.parent;
    }
    false
}

/// A statement that only binds names to the value of one expression: what a
/// save may run again, unchanged, when a function its value uses changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// The names bound, in order (`a = b = f()` binds `a` and `b`).
    pub targets: Vec<String>,
    /// The names the value reads while it is evaluated (those read inside a
    /// comprehension included, those of a `lambda`'s body not: it runs later),
    /// in order of first appearance.
    pub reads: Vec<String>,
    /// Those of `reads` that the value calls by name (`f(...)`): what it
    /// computes with, not only refers to (`handlers = {"h": f}` keeps `f`).
    pub calls: Vec<String>,
}

/// The assignment `statements` make, when they are one plain assignment of a
/// value to names: `x = ...`, `a = b = ...`. Not an augmented assignment (it
/// reads what it binds), nor one to an attribute, a subscript or a tuple (it
/// changes an object, or unpacks), nor an annotated one (it also changes the
/// module's annotations).
pub(crate) fn assignment(statements: &[Stmt]) -> Option<Assignment> {
    let [Stmt::Assign(assign)] = statements else { return None };
    let targets = assign
        .targets
        .iter()
        .map(|target| match target {
            Expr::Name(name) => Some(name.id.to_string()),
            _ => None,
        })
        .collect::<Option<Vec<String>>>()?;
    let reads = reads_of(&assign.value);
    let mut callees = Callees { names: IndexSet::new() };
    callees.visit_expr(&assign.value);
    let calls = reads.iter().filter(|name| callees.names.contains(name.as_str())).cloned().collect();
    Some(Assignment { targets, reads, calls })
}

/// The names called by name in an expression, outside `lambda` bodies (they
/// run later).
struct Callees<'a> {
    names: IndexSet<&'a str>,
}

impl<'a> Visitor<'a> for Callees<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) => {}
            Expr::Call(call) => {
                if let Expr::Name(name) = call.func.as_ref() {
                    self.names.insert(name.id.as_str());
                }
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// The names `value` reads when evaluated at module level.
fn reads_of(value: &Expr) -> Vec<String> {
    let mut collector = Collector { scopes: vec![Scope::new(ScopeKind::Module, None, None)], current: 0 };
    collector.visit_expr(value);
    let scopes = &collector.scopes;
    // A name read in a comprehension is its own (not read outside) when that
    // comprehension or one around it binds it.
    let outside = |index: usize, name: &str| {
        let mut cursor = Some(index);
        while let Some(i) = cursor {
            if scopes[i].kind != ScopeKind::Module && scopes[i].is_local(name) {
                return false;
            }
            cursor = scopes[i].parent;
        }
        true
    };
    let in_lambda = |index: usize| {
        let mut cursor = Some(index);
        while let Some(i) = cursor {
            if scopes[i].kind == ScopeKind::Lambda {
                return true;
            }
            cursor = scopes[i].parent;
        }
        false
    };
    let mut reads: IndexSet<&str> = IndexSet::new();
    for (index, scope) in scopes.iter().enumerate() {
        if in_lambda(index) {
            continue;
        }
        reads.extend(scope.reads.iter().copied().filter(|name| outside(index, name)));
    }
    reads.into_iter().map(str::to_string).collect()
}
