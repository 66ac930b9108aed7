//! Which statements hold code objects of their own: a `lambda`, a nested `def` or
//! `class`, a comprehension or a generator expression each compile to one, with
//! line numbers that must follow the statement when it moves.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};

/// Whether compiling `statements` makes code objects besides the module's own.
pub(crate) fn holds_code(statements: &[Stmt]) -> bool {
    let mut finder = Finder { found: false };
    for statement in statements {
        finder.visit_stmt(statement);
        if finder.found {
            return true;
        }
    }
    false
}

struct Finder {
    found: bool,
}

impl<'a> Visitor<'a> for Finder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.found {
            return;
        }
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => self.found = true,
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.found {
            return;
        }
        match expr {
            Expr::Lambda(_) | Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                self.found = true
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// The names that import statements bind in the scope of `statements` (those in
/// `if`/`try`/`with` blocks included, not those inside definitions).
pub(crate) fn imported_names(statements: &[Stmt]) -> Vec<String> {
    let mut finder = Imports { names: Vec::new() };
    for statement in statements {
        finder.visit_stmt(statement);
    }
    finder.names
}

struct Imports {
    names: Vec<String>,
}

impl<'a> Visitor<'a> for Imports {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Import(import) => {
                for alias in &import.names {
                    let bound = match &alias.asname {
                        Some(asname) => asname.as_str(),
                        None => alias.name.as_str().split('.').next().unwrap_or_default(),
                    };
                    self.names.push(bound.to_string());
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                    if bound != "*" {
                        self.names.push(bound.to_string());
                    }
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, _: &'a Expr) {}
}
