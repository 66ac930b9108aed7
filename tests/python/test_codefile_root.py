"""`CodeFile.root`: the file's tree of definitions, as the original jurigged's
clients read it (its loggers, snektalk, its own test helpers): walked, each
definition with its kind, dotted path, line, `ast` node, text and live object;
read again after a save or a merge, it describes the new live text."""


#: What the programs below print a tree with (after `say`, which the `client`
#: fixture gives every program).
DESCRIBE = """\
def describe(root):
    \"\"\"One line per definition of the tree: class, dotted path, line, the
    ast node's class and where its extent starts.\"\"\"
    for defn in root.walk():
        node = defn.node
        extent = getattr(node, "extent", None)
        say(
            type(defn).__name__,
            defn.dotpath(),
            f"@L{defn.stashed.lineno}",
            type(node).__name__ if node is not None else None,
            f"x{extent.lineno}" if extent is not None else "-",
        )


"""


def printed_between(process, first, last):
    """The lines the program printed after `first` and before `last` (both
    awaited)."""
    process.wait_for(last)
    lines = process.lines["stdout"]
    begin = lines.index(first)
    return lines[begin + 1 : lines.index(last, begin)]


SHAPES_V1 = """\
VERSION = 1


def version():
    return VERSION


class Square:
    def __init__(self, side):
        self.side = side

    @property
    def area(self):
        return self.side ** 2
"""

# A function (with one nested in it) added above `version`: everything below
# moves down 6 lines; VERSION changes.
SHAPES_V2 = """\
VERSION = 2


def helper():
    def inner():
        return 3
    return inner


def version():
    return VERSION


class Square:
    def __init__(self, side):
        self.side = side

    @property
    def area(self):
        return self.side ** 2
"""

WATCHED = """
import time
import jurigged

watcher = jurigged.watch("./shapes.py", logger=lambda event: None)
import shapes

codefile = jurigged.registry.get(_os.path.abspath("shapes.py"))
root = codefile.root
say("before")
describe(root)
say("ready")
while shapes.version() == 1:
    time.sleep(0.01)
say("after")
# The tree read before the save, read again: it describes the live text.
describe(root)
say("end")
say("same root", codefile.root is root)
walked = {defn.dotpath(): defn for defn in root.walk()}
_, found = jurigged.registry.find(shapes.version)
say("find gives the walked one", found is walked["shapes.version"])
say("version code", walked["shapes.version"].get_object() is shapes.version.__code__)
say("inner code", walked["shapes.helper.inner"].get_object() is shapes.helper().__code__)
say("area code", walked["shapes.Square.area"].get_object() is shapes.Square.area.fget.__code__)
say("class", walked["shapes.Square"].get_object() is shapes.Square)
say("text", repr(walked["shapes.helper.inner"].codestring))
say("statement", repr(next(d for d in root.children if type(d).__name__ == "LineDefinition").text))
say("parent", walked["shapes.helper.inner"].parent is walked["shapes.helper"])
watcher.stop()
"""


def test_root_describes_the_live_file_and_follows_a_save(client, workspace):
    process = client(DESCRIBE, WATCHED, shapes=SHAPES_V1)
    assert printed_between(process, "before", "ready") == [
        "ModuleCode shapes @L1 Module -",
        "LineDefinition shapes.<line> @L1 Assign x1",
        "FunctionDefinition shapes.version @L4 FunctionDef x4",
        "LineDefinition shapes.version.<line> @L5 Return x5",
        "ClassDefinition shapes.Square @L8 ClassDef x8",
        "FunctionDefinition shapes.Square.__init__ @L9 FunctionDef x9",
        "LineDefinition shapes.Square.__init__.<line> @L10 Assign x10",
        # A decorated definition starts at its decorator, as in the original.
        "FunctionDefinition shapes.Square.area @L12 FunctionDef x12",
        "LineDefinition shapes.Square.area.<line> @L14 Return x14",
    ]
    workspace.save("shapes.py", SHAPES_V2)
    assert printed_between(process, "after", "end") == [
        "ModuleCode shapes @L1 Module -",
        "LineDefinition shapes.<line> @L1 Assign x1",
        "FunctionDefinition shapes.helper @L4 FunctionDef x4",
        "FunctionDefinition shapes.helper.inner @L5 FunctionDef x5",
        "LineDefinition shapes.helper.inner.<line> @L6 Return x6",
        "LineDefinition shapes.helper.<line> @L7 Return x7",
        "FunctionDefinition shapes.version @L10 FunctionDef x10",
        "LineDefinition shapes.version.<line> @L11 Return x11",
        "ClassDefinition shapes.Square @L14 ClassDef x14",
        "FunctionDefinition shapes.Square.__init__ @L15 FunctionDef x15",
        "LineDefinition shapes.Square.__init__.<line> @L16 Assign x16",
        "FunctionDefinition shapes.Square.area @L18 FunctionDef x18",
        "LineDefinition shapes.Square.area.<line> @L20 Return x20",
    ]
    for line in [
        "same root True",
        "find gives the walked one True",
        "version code True",
        "inner code True",
        "area code True",
        "class True",
        "text 'def inner():\\n        return 3\\n'",
        "statement 'VERSION = 2'",
        "parent True",
    ]:
        process.wait_for(line)


BIRDS = """\
class Flower:
    def sing(self):
        return "la"


def pluck(n):
    return n - 1


def plack():
    return True


@property
def decorated():
    pass


LEVEL = 3
"""

BIRDS_NEW = """\
class Flower:
    def sing(self):
        return "la la"


def pluck(n):
    return n - 2
"""

OWN_CODEFILE = """
import jurigged
from jurigged import codetools
import birds

# A CodeFile of the client's own (snektalk, the original's tests): the registry
# does not track this file.
codefile = jurigged.CodeFile(birds.__file__, "birds")
codefile.associate(birds)
root = codefile.root
say("walked", [(type(d).__name__, d.stashed.lineno) for d in root.walk()][:4])
by_line = {(type(d).__name__, d.stashed.lineno): d for d in root.walk()}
plack = [d for d in root.walk() if d.get_object() is birds.plack.__code__]
say("plack found", [d.dotpath() for d in plack])

# The operations a client's logger is handed, made by hand as the original's.
pluck = by_line["FunctionDefinition", 6]
say(codetools.UpdateOperation(codefile=codefile, defn=pluck))
say(codetools.AddOperation(codefile=codefile, defn=by_line["LineDefinition", 19]))
say(codetools.DeleteOperation(codefile=codefile, defn=pluck))

# A deletion allowed by definition, as the original's clients pass them.
events = codefile.merge(jurigged.CodeFile(_os.path.abspath("birds_new.py"), "birds"), allow_deletions=plack)
say("plack gone", hasattr(birds, "plack"), "pluck", birds.pluck(5), "sing", birds.Flower().sing())
# The merge's events name the definitions of this CodeFile's tree, the same objects.
walked = list(root.walk())
say("events", sorted(f"{e.kind} {e.defn.dotpath()} {any(e.defn is d for d in walked)}" for e in events))
say("after merge", [d.dotpath() for d in root.walk() if type(d).__name__ != "LineDefinition"])
say("pluck text", repr(by_line["FunctionDefinition", 6].codestring))

namespace = {}
codefile.associate(namespace)
say("globals", root.get_globals() is namespace)
say("done")
"""


def test_root_of_a_codefile_of_ones_own_follows_its_merge(client):
    process = client(DESCRIBE, OWN_CODEFILE, birds=BIRDS, birds_new=BIRDS_NEW)
    process.wait_for("done")
    assert process.lines["stdout"] == [
        "walked [('ModuleCode', 1), ('ClassDefinition', 1), ('FunctionDefinition', 2), ('LineDefinition', 3)]",
        "plack found ['birds.plack']",
        "Update birds.pluck @L6",
        "Run birds @L19: LEVEL = 3",
        "Delete birds.pluck @L6",
        "plack gone False pluck 3 sing la la",
        "events ['delete birds.plack False', 'update birds.Flower.sing True', 'update birds.pluck True']",
        "after merge ['birds', 'birds.Flower', 'birds.Flower.sing', 'birds.pluck', 'birds.decorated']",
        "pluck text 'def pluck(n):\\n    return n - 2\\n'",
        "globals True",
        "done",
    ]
