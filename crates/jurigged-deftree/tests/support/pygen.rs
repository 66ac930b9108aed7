//! A proptest grammar of Python modules: definitions, classes, statements, comments
//! and blank lines, with awkward layouts (decorators with comments, one-line
//! bodies, CRLF, no final newline). Names and values come from small alphabets so
//! that two generated modules share many definitions.

#![allow(dead_code)]

use proptest::prelude::*;

#[derive(Debug, Clone)]
pub enum Item {
    Comment(u8),
    Blank,
    Assign(u8, u8),
    TwoOnALine(u8),
    Print(u8),
    Import,
    Lambda(u8, u8),
    Def {
        name: u8,
        decorators: Vec<(u8, bool)>,
        is_async: bool,
        one_line: bool,
        args: u8,
        body: Vec<Item>,
        trailing_comment: bool,
    },
    Class {
        name: u8,
        body: Vec<Item>,
    },
    IfBlock(Vec<Item>),
}

fn leaf() -> impl Strategy<Value = Item> {
    prop_oneof![
        (0u8..3).prop_map(Item::Comment),
        Just(Item::Blank),
        (0u8..3, 0u8..3).prop_map(|(n, v)| Item::Assign(n, v)),
        (0u8..2).prop_map(Item::TwoOnALine),
        (0u8..3).prop_map(Item::Print),
        Just(Item::Import),
        (0u8..2, 0u8..2).prop_map(|(n, v)| Item::Lambda(n, v)),
    ]
}

fn def(body: impl Strategy<Value = Vec<Item>>) -> impl Strategy<Value = Item> {
    (
        0u8..4,
        prop::collection::vec((0u8..2, any::<bool>()), 0..3),
        any::<bool>(),
        prop::bool::weighted(0.15),
        0u8..3,
        body,
        prop::bool::weighted(0.2),
    )
        .prop_map(|(name, decorators, is_async, one_line, args, body, trailing_comment)| Item::Def {
            name,
            decorators,
            is_async,
            one_line,
            args,
            body,
            trailing_comment,
        })
}

/// An item of a module (or of a class body, at depth 1).
pub fn item() -> impl Strategy<Value = Item> {
    leaf().prop_recursive(3, 24, 5, move |inner| {
        prop_oneof![
            3 => def(prop::collection::vec(leaf(), 0..4)),
            1 => def(prop::collection::vec(prop_oneof![leaf(), def(prop::collection::vec(leaf(), 0..4))], 0..3)),
            2 => (0u8..3, prop::collection::vec(inner.clone(), 0..5)).prop_map(|(name, body)| Item::Class { name, body }),
            1 => prop::collection::vec(inner, 0..3).prop_map(Item::IfBlock),
        ]
    })
}

#[derive(Debug, Clone)]
pub struct Module {
    pub items: Vec<Item>,
    pub crlf: bool,
    pub final_newline: bool,
}

pub fn module() -> impl Strategy<Value = Module> {
    (prop::collection::vec(item(), 0..8), prop::bool::weighted(0.1), prop::bool::weighted(0.9))
        .prop_map(|(items, crlf, final_newline)| Module { items, crlf, final_newline })
}

impl Module {
    pub fn render(&self) -> String {
        let mut out = String::new();
        render_block(&self.items, 0, &mut out);
        if self.crlf {
            out = out.replace('\n', "\r\n");
        }
        if !self.final_newline {
            while out.ends_with('\n') || out.ends_with('\r') {
                out.pop();
            }
        }
        out
    }
}

fn is_statement(item: &Item) -> bool {
    !matches!(item, Item::Comment(_) | Item::Blank)
}

/// Renders a block's items; a block with no statement gets `pass`.
fn render_block(items: &[Item], depth: usize, out: &mut String) {
    for item in items {
        render(item, depth, out);
    }
    if depth > 0 && !items.iter().any(is_statement) {
        out.push_str(&"    ".repeat(depth));
        out.push_str("pass\n");
    }
}

fn render(item: &Item, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    match item {
        Item::Comment(n) => out.push_str(&format!("{pad}# comment {n}\n")),
        Item::Blank => out.push('\n'),
        Item::Assign(n, v) => out.push_str(&format!("{pad}x{n} = {v}\n")),
        Item::TwoOnALine(v) => out.push_str(&format!("{pad}a = {v}; b = a + 1\n")),
        Item::Print(n) => out.push_str(&format!("{pad}print('line {n}')\n")),
        Item::Import => out.push_str(&format!("{pad}import os\n")),
        Item::Lambda(n, v) => out.push_str(&format!("{pad}h{n} = lambda y: y + {v}\n")),
        Item::Def { name, decorators, is_async, one_line, args, body, trailing_comment } => {
            for (decorator, commented) in decorators {
                out.push_str(&format!("{pad}@deco{decorator}\n"));
                if *commented {
                    out.push_str(&format!("{pad}# between decorators\n"));
                }
            }
            let keyword = if *is_async { "async def" } else { "def" };
            let params = ["", "a", "a, b=2"][*args as usize];
            if *one_line {
                out.push_str(&format!("{pad}{keyword} f{name}({params}): return {args}\n"));
                return;
            }
            out.push_str(&format!("{pad}{keyword} f{name}({params}):\n"));
            render_block(body, depth + 1, out);
            if *trailing_comment {
                out.push_str(&format!("{pad}        # trailing comment\n"));
            }
        }
        Item::Class { name, body } => {
            out.push_str(&format!("{pad}class C{name}:\n"));
            render_block(body, depth + 1, out);
        }
        Item::IfBlock(body) => {
            out.push_str(&format!("{pad}if x0:\n"));
            render_block(body, depth + 1, out);
        }
    }
}
