//! The tree's public behaviour: exact reconstruction, attachment of comments,
//! paths, positions and variable facts.

use jurigged_deftree::{DefTree, Error, Kind, Location, Node, Parser};

fn parse(source: &str) -> DefTree {
    let tree = Parser::new().module("pkg.mod").filename("pkg/mod.py").parse(source).unwrap();
    assert_eq!(tree.reconstruct(), source, "reconstruction must be exact");
    tree
}

fn only<'a>(tree: &'a DefTree, path: &str) -> &'a Node {
    let found: Vec<&Node> = tree.find(path).collect();
    assert_eq!(found.len(), 1, "{path}: {found:?}");
    found[0]
}

#[test]
fn reconstructs_awkward_sources_exactly() {
    let sources = [
        "",
        "\n",
        "# only a comment",
        "# only comments\n\n# and blank lines\n",
        "x = 1",
        "a = 1; b = 2\n",
        "def f(): return 1\n",
        "class A: pass\n",
        "class A: x = 1; y = 2\n",
        "def f():\r\n    return 1\r\n\r\nx = 2\r\n",
        "def f():\n    return 1\r\ny = 1\rz = 2\n",
        "if True:\n\tdef f():\n\t\treturn 1\n",
        "\x0cdef f():\n    pass\n\x0c\nx = 1\n",
        "x = 1 + \\\n    2\n",
        "@a\n# between\n@b  # trailing\ndef f(\n    x,\n    y,\n):  # sig\n    # first\n    return x\n    # end of f\n# next\ny = 1\n",
        "try:\n    import foo\nexcept ImportError:\n    def foo():\n        pass\n",
        "with open('x') as f:\n    def g(): pass\n",
        "class A:\n    def f(self):\n        pass\n\n\n\n    # about g\n    def g(self): pass\n# the end",
        "async def f():\n    await g()\n",
        "def f[T](x: T) -> T:\n    return x\n",
        "x = f'{a!r:>{width}} {b}'\ny = f\"{'nested'}\"\n",
        "s = '''\ndef not_a_def():\n    pass\n'''\n",
        "def f():\n    def g():\n        def h():\n            return 1\n        return h\n    return g\n",
        "match x:\n    case [a, *rest]:\n        pass\n    case {'k': v, **kw}:\n        pass\n",
    ];
    for source in sources {
        parse(source);
    }
}

#[test]
fn tree_shape_and_paths() {
    let tree = parse(
        "import os\n\nclass Shape:\n    sides = 0\n\n    def area(self):\n        def helper():\n            return 1\n        return helper()\n\n    @property\n    def name(self):\n        return 'shape'\n\nasync def main():\n    pass\n",
    );
    let kinds: Vec<(Kind, &str)> = tree.walk().map(|n| (n.kind(), n.path())).collect();
    assert_eq!(
        kinds,
        [
            (Kind::Line, "pkg.mod"),
            (Kind::Class, "pkg.mod.Shape"),
            (Kind::Line, "pkg.mod.Shape"),
            (Kind::Function, "pkg.mod.Shape.area"),
            (Kind::Function, "pkg.mod.Shape.area.helper"),
            (Kind::Line, "pkg.mod.Shape.area.helper"),
            (Kind::Line, "pkg.mod.Shape.area"),
            (Kind::Function, "pkg.mod.Shape.name"),
            (Kind::Line, "pkg.mod.Shape.name"),
            (Kind::Function, "pkg.mod.main"),
            (Kind::Line, "pkg.mod.main"),
        ]
    );
    assert!(only(&tree, "pkg.mod.main").is_async());
    assert!(!only(&tree, "pkg.mod.Shape.area").is_async());
}

#[test]
fn comments_travel_with_the_definition_they_precede() {
    let tree = parse("x = 1\n\n# Doubles.\n# Really.\ndef double(x):\n    return 2 * x\n    # trailing, indented\n\n# Module comment\ny = 2\n# end\n");
    let double = only(&tree, "pkg.mod.double");
    assert_eq!(double.leading_text(), "\n# Doubles.\n# Really.\n");
    assert_eq!(double.header_text(), "def double(x):\n");
    assert_eq!(double.trailer_text(), "    # trailing, indented\n");
    let last = tree.root().children().last().unwrap();
    assert_eq!(last.leading_text(), "\n# Module comment\n");
    assert_eq!(tree.root().trailer_text(), "# end\n");
}

#[test]
fn header_holds_decorators_and_signature_apart_from_body() {
    let tree = parse("@one\n# between\n@two(3)\ndef f(a,\n      b=2):  # note\n    # body comment\n    return a + b\n");
    let f = only(&tree, "pkg.mod.f");
    assert_eq!(f.header_text(), "@one\n# between\n@two(3)\ndef f(a,\n      b=2):  # note\n");
    assert_eq!(f.body_text(), "    # body comment\n    return a + b\n");
    assert_eq!(f.decorator_location(), Some(Location { line: 1, column: 0 }));
    assert_eq!(f.position().start, Location { line: 4, column: 0 });
    assert_eq!(f.position().end, Location { line: 7, column: 16 });
    assert_eq!(f.first_line(), 1);
}

#[test]
fn positions_follow_cpython_conventions() {
    // Columns are UTF-8 bytes: "é" takes two.
    let tree = parse("s = 'é'\nclass A:\n    def m(self): return 'é'\n    async def n(self):\n        pass\n");
    let m = only(&tree, "pkg.mod.A.m");
    assert_eq!(m.position().start, Location { line: 3, column: 4 });
    assert_eq!(m.position().end, Location { line: 3, column: 28 });
    let one_liner_body = &m.children()[0];
    assert_eq!(one_liner_body.position().start, Location { line: 3, column: 17 });
    let n = only(&tree, "pkg.mod.A.n");
    assert_eq!(n.position().start, Location { line: 4, column: 4 });
    assert_eq!(n.span(), tree.reconstruct().find("    async def n").unwrap()..tree.reconstruct().len());
}

#[test]
fn variable_facts() {
    let tree = parse(
        "import math\nSCALE = 2\n\ndef outer(a, *args, k=SCALE, **kw):\n    total = a\n    def inner(x):\n        nonlocal total\n        total += x\n        return math.floor(total * SCALE)\n    return inner\n\nclass Base:\n    pass\n\nclass Child(Base):\n    LIMIT = 3\n    def method(self, value):\n        return super().method(value) + len([y for y in range(value)])\n",
    );
    let outer = only(&tree, "pkg.mod.outer").vars().unwrap();
    assert_eq!(outer.assigned, ["a", "args", "k", "kw", "total", "inner"]);
    assert_eq!(outer.free, ["math", "SCALE"]);
    assert!(outer.closure.is_empty());
    assert_eq!(outer.cells, ["total"]);

    let inner = only(&tree, "pkg.mod.outer.inner").vars().unwrap();
    assert_eq!(inner.assigned, ["x"]);
    assert_eq!(inner.read, ["x", "math", "total", "SCALE"]);
    assert_eq!(inner.closure, ["total"]);

    let method = only(&tree, "pkg.mod.Child.method").vars().unwrap();
    assert_eq!(method.closure, ["__class__"], "super() needs the __class__ cell");
    assert!(method.free.contains(&"super".to_string()));
    assert!(!method.free.contains(&"y".to_string()), "comprehension variables are its own");
    assert!(!method.free.contains(&"LIMIT".to_string()));

    let child = only(&tree, "pkg.mod.Child").vars().unwrap();
    assert_eq!(child.assigned, ["LIMIT", "method"]);
    assert_eq!(child.cells, ["__class__"]);

    let module = tree.root().vars().unwrap();
    assert_eq!(module.assigned, ["math", "SCALE", "outer", "Base", "Child"]);
}

#[test]
fn module_facts_include_bindings_inside_blocks() {
    let tree = parse(
        "try:
    from fast import run
except ImportError:
    def run():
        pass
if True:
    x = y = 1
",
    );
    assert_eq!(tree.root().vars().unwrap().assigned, ["run", "x", "y"]);
}

#[test]
fn class_scope_is_invisible_to_methods() {
    let tree = parse(
        "def f():\n    x = 1\n    class C:\n        x = 2\n        def m(self):\n            return x\n    return C\n",
    );
    assert_eq!(only(&tree, "pkg.mod.f.C.m").vars().unwrap().closure, ["x"]);
    assert_eq!(only(&tree, "pkg.mod.f").vars().unwrap().cells, ["x"]);
}

#[test]
fn global_declarations_are_not_closure() {
    let tree = parse("def f():\n    x = 1\n    def g():\n        global x\n        return x\n    return g\n");
    let g = only(&tree, "pkg.mod.f.g").vars().unwrap();
    assert!(g.closure.is_empty());
    assert_eq!(g.free, ["x"]);
}

#[test]
fn duplicate_names_are_all_found() {
    let tree = parse("class P:\n    @property\n    def x(self):\n        return 1\n\n    @x.setter\n    def x(self, value):\n        pass\n");
    assert_eq!(tree.find("pkg.mod.P.x").count(), 2);
}

#[test]
fn syntax_errors_carry_file_line_and_column() {
    let err = Parser::new().filename("bad.py").parse("x = 1\ndef f(:\n    pass\n").unwrap_err();
    match &err {
        Error::Syntax { filename, line, .. } => {
            assert_eq!(filename.to_str(), Some("bad.py"));
            assert_eq!(*line, 2);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().starts_with("bad.py:2:"), "{err}");
}

#[test]
fn bytes_are_decoded_before_parsing() {
    let tree = Parser::new().parse_bytes(b"# -*- coding: latin-1 -*-\ns = '\xe9'\n").unwrap();
    assert!(tree.reconstruct().contains("'é'"));
    assert_eq!(tree.encoding().name, "latin-1");
    let err = Parser::new().filename("bin.py").parse_bytes(b"\x00\xff\xfe garbage").unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
}

#[test]
fn code_key_ignores_comments_and_spacing() {
    let a = parse("x = [1,  2]  # one\n");
    let b = parse("x = [1, 2]  # two\n");
    let c = parse("x = [1, 3]\n");
    let (a, b, c) = (&a.root().children()[0], &b.root().children()[0], &c.root().children()[0]);
    assert!(a.same_header_code(b));
    assert!(!a.same_header_code(c));
}

#[test]
fn statement_after_a_block_has_the_same_key_as_anywhere_else() {
    let after_block = parse("def f():\n    pass\nx = 1\n");
    let alone = parse("x = 1\n");
    let x1 = after_block.root().children().last().unwrap();
    let x2 = &alone.root().children()[0];
    assert!(x1.same_header_code(x2));
}

#[test]
fn plain_assignments_name_their_targets_and_what_their_value_reads() {
    let tree = parse(
        "import os\ntable = tuple(_seg_0() + _seg_1())\na = b = f(x)\nn: int = g()\ncounter += f()\nobj.attr = f()\n\
         p, q = f()\nd[k] = f()\nh = lambda: late()\nc = [m(y) for y in ys if y > lim]\nprint(f())\nann: int\n",
    );
    let facts: Vec<Option<(Vec<String>, Vec<String>)>> = tree
        .root()
        .children()
        .iter()
        .map(|line| line.assignment().map(|a| (a.targets.clone(), a.reads.clone())))
        .collect();
    let strings = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    assert_eq!(facts[0], None);
    assert_eq!(facts[1], Some((strings(&["table"]), strings(&["tuple", "_seg_0", "_seg_1"]))));
    assert_eq!(facts[2], Some((strings(&["a", "b"]), strings(&["f", "x"]))));
    // Annotated (it changes the module's annotations too), augmented, to an
    // attribute, unpacking, to a subscript: not plain.
    assert_eq!(facts[3..8], [None, None, None, None, None]);
    // A lambda's body runs later; a comprehension's variable is its own.
    assert_eq!(facts[8], Some((strings(&["h"]), Vec::new())));
    assert_eq!(facts[9], Some((strings(&["c"]), strings(&["ys", "lim", "m"]))));
    assert_eq!(facts[10], None);
    assert_eq!(facts[11], None);
    // What the value calls, not only refers to.
    let calls = |index: usize| tree.root().children()[index].assignment().map(|a| a.calls.clone());
    assert_eq!(calls(1), Some(strings(&["tuple", "_seg_0", "_seg_1"])));
    assert_eq!(calls(2), Some(strings(&["f"])));
    assert_eq!(calls(8), Some(Vec::new()));
    assert_eq!(calls(9), Some(strings(&["m"])));
    let refers = parse(
        "handlers = {'h': f}
scaled = partial(f)
",
    );
    let refers: Vec<Vec<String>> =
        refers.root().children().iter().map(|l| l.assignment().map(|a| a.calls.clone()).unwrap_or_default()).collect();
    assert_eq!(refers, [Vec::<String>::new(), strings(&["partial"])]);
}
