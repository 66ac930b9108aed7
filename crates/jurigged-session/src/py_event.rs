//! `jurigged.Event`: what happened to the running program.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use jurigged_deftree::Kind;
use jurigged_patch::EventKind;
use pyo3::prelude::*;

use crate::py_definition::Definition;
use crate::py_errors::exception_value;

/// One applied operation: `Update pkg.mod.Shape.area @L12`, `Add pkg.mod.g @L30`,
/// `Delete pkg.mod.f @L3`, `Run pkg.mod @L42: print("hi")`, or an error.
///
/// Operations are handed out as the original's classes, which extend this one
/// (see `py_operations.rs`).
#[pyclass(module = "jurigged", frozen, subclass)]
pub struct Event {
    /// What happened.
    kind: EventKind,
    /// Whether the definition concerned is a class or a function (None for
    /// watch and error events, a module scope for statements).
    definition: Option<Kind>,
    /// The CodeFile whose change this is, when known.
    codefile: Option<Py<PyAny>>,
    /// Dotted path of the definition (of its scope, for a statement).
    #[pyo3(get)]
    path: String,
    /// The file, as the OS names it.
    filename: PathBuf,
    /// The first line concerned, in the file as it is now.
    #[pyo3(get)]
    line: u32,
    /// For a statement, its first line of code.
    #[pyo3(get)]
    code: Option<String>,
    /// For an error, the exception.
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
    /// The one-line form, `str(event)`.
    text: String,
    /// The module of the file, when known.
    module: Option<String>,
    /// When it happened.
    time: SystemTime,
    /// The process it happened in.
    pid: u32,
    /// For an update, the threads whose stack runs the old code right now.
    running_in: Vec<String>,
    /// The save it belongs to (every record of one save has the same).
    save: Option<u64>,
    /// What the line adds in parentheses (a deletion still called by live code).
    note: Option<String>,
    /// Set when the edit cannot take full effect (see [`RudeEdit`]).
    rude: Option<RudeEdit>,
    /// What only the original's vocabulary says (a changed scope's Update, a
    /// replaced statement's Delete: see `original_echo`): given to Python
    /// callbacks and loggers, left out of this package's log lines, event
    /// stream and summaries.
    echo: bool,
    /// A weak reference to the CodeFile whose change this is, when that is
    /// not the registry's: its definition is read from that CodeFile, as
    /// those of its `root` are (and is the same object).
    source: Option<Py<PyAny>>,
}

/// An edit after which the live program is not what a fresh run of the new
/// text would be: the one vocabulary of the log, the event stream (`rude`) and
/// `Event.rude`, and what `--restart-on-rude-edit` restarts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RudeEdit {
    /// A changed top-level statement running now: not run again.
    RunningStatement,
    /// An updated function running now: its frames keep the old code.
    RunningFunction,
    /// A changed statement whose last run raised: not run again.
    PendingStatement,
    /// A deleted function that live code still calls.
    DeletedStillCalled,
    /// A decorated class whose decorators return another class: what they
    /// make cannot replace the live class.
    ClassDecoratorReplaced,
    /// A class made again whose live instances (or subclasses, or hooks)
    /// could not all follow it.
    ClassNotFollowed,
}

impl RudeEdit {
    /// The word of the stream's `rude` field.
    pub fn as_str(self) -> &'static str {
        match self {
            RudeEdit::RunningStatement => "running_statement",
            RudeEdit::RunningFunction => "running_function",
            RudeEdit::PendingStatement => "pending_statement",
            RudeEdit::DeletedStillCalled => "deleted_still_called",
            RudeEdit::ClassDecoratorReplaced => "class_decorator_replaced",
            RudeEdit::ClassNotFollowed => "class_not_followed",
        }
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Event {
    #[pyo3(name = "__str__")]
    fn str_(&self) -> String {
        self.text()
    }

    /// For an update, the names of the threads running the old code at the time
    /// of the save (the new code takes effect at their next call).
    #[getter(running_in)]
    fn running_in_names(&self) -> Vec<String> {
        self.running_in.clone()
    }

    /// The event as a dictionary: the record `--events` writes, one per line
    /// (see the README's "Event stream" for the schema).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = self.record(py).to_string();
        py.import("json")?.call_method1("loads", (text,))
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(format!("<{} {}>", slf.get_type().name()?, slf.get().text()))
    }

    /// The file (as `os.fsdecode` gives its name).
    #[getter(filename)]
    fn filename_as_given(&self) -> std::ffi::OsString {
        self.filename.as_os_str().to_os_string()
    }

    /// Why this edit cannot take full effect, when it cannot:
    /// "running_statement", "running_function", "pending_statement",
    /// "deleted_still_called", "class_decorator_replaced";
    /// else None.
    #[getter(rude)]
    fn rude_word(&self) -> Option<&'static str> {
        self.rude().map(RudeEdit::as_str)
    }

    /// True for what only the original's vocabulary says (a changed module's
    /// or class's Update, a replaced statement's Delete): Python callbacks and
    /// loggers get these, the log lines and the event stream do not.
    #[getter(echo)]
    fn echo_flag(&self) -> bool {
        self.echo
    }

    /// The id of the save this event belongs to (None outside a save).
    #[getter(save)]
    fn save_id(&self) -> Option<u64> {
        self.save
    }

    /// "watch", "update", "add", "delete", "run", "rerun", "skip", "pending" or "error".
    #[getter(kind)]
    fn kind_word(&self) -> &'static str {
        self.kind.word()
    }

    /// The CodeFile whose change this is (the original's `operation.codefile`).
    #[getter]
    fn codefile(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.codefile.as_ref().map(|c| c.clone_ref(py))
    }

    /// What the operation concerns, as a `jurigged.codetools.Definition` (the
    /// original's `operation.defn`); None for watch and error events.
    #[getter]
    fn defn(&self, py: Python<'_>) -> PyResult<Option<Py<Definition>>> {
        let Some(kind) = self.definition else { return Ok(None) };
        let filename = self.filename.to_string_lossy();
        let source = self.source.as_ref().map(|s| s.clone_ref(py));
        Definition::create_in(py, kind, &self.path, &filename, self.line, self.code.clone(), source).map(Some)
    }
}

impl Event {
    /// What happened.
    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// The same event, as a change of `codefile`.
    pub fn of_file(mut self, codefile: Py<PyAny>) -> Event {
        self.codefile = Some(codefile);
        self
    }

    /// The same event, its definition read from the CodeFile `source` (a weak
    /// reference) leads to: one the registry does not track.
    pub fn read_through(mut self, source: Py<PyAny>) -> Event {
        self.source = Some(source);
        self
    }

    /// The exception of an error event.
    pub fn error(&self) -> Option<&Py<PyAny>> {
        self.error.as_ref()
    }

    /// The event's one-line form, `str(event)`: what the verbose logger prints.
    pub fn text(&self) -> String {
        if let Some(note) = &self.note {
            return format!("{} ({note})", self.text);
        }
        match self.running_in.as_slice() {
            [] => self.text.clone(),
            [one] => format!("{} (running in thread {one}: the new code takes effect at its next call)", self.text),
            many => format!(
                "{} (running in threads {}: the new code takes effect at their next call)",
                self.text,
                many.join(", ")
            ),
        }
    }

    /// The file.
    pub fn filename(&self) -> &Path {
        &self.filename
    }

    /// The definition's name within its module (None for the module itself).
    pub fn qualname(&self) -> Option<&str> {
        let module = self.module.as_deref()?;
        if self.path.is_empty() {
            return None;
        }
        match self.path.strip_prefix(module) {
            Some("") => None,
            Some(rest) => rest.strip_prefix('.'),
            None => Some(self.path.as_str()),
        }
    }

    /// The module of the file, when known.
    pub fn module(&self) -> Option<&str> {
        self.module.as_deref()
    }

    /// The same event, of the file of `module`.
    pub fn in_module(mut self, module: &str) -> Event {
        self.module = Some(module.to_string());
        self
    }

    /// Whether loggers tell it even when not verbose: an error, or a statement
    /// the save did not run.
    pub fn always_told(&self) -> bool {
        matches!(self.kind, EventKind::Error | EventKind::Skip | EventKind::Pending) || self.rude.is_some()
    }

    /// Whether threads were running the old code of this update.
    pub fn was_running(&self) -> bool {
        !self.running_in.is_empty()
    }

    /// Why this edit cannot take full effect, when it cannot.
    pub fn rude(&self) -> Option<RudeEdit> {
        match self.kind {
            EventKind::Skip => Some(RudeEdit::RunningStatement),
            EventKind::Pending => Some(RudeEdit::PendingStatement),
            EventKind::Update if self.was_running() => Some(RudeEdit::RunningFunction),
            _ => self.rude,
        }
    }

    /// Marks this edit as one that cannot take full effect, saying why in
    /// parentheses after its line.
    pub fn set_rude(&mut self, rude: RudeEdit, note: String) {
        self.rude = Some(rude);
        self.note = Some(note);
    }

    /// Whether it is a class (per the live tree after the change).
    pub fn is_class(&self) -> bool {
        self.definition == Some(Kind::Class)
    }

    /// The same event, as one of save `id`.
    pub fn in_save(mut self, id: u64) -> Event {
        self.save = Some(id);
        self
    }

    /// Notes the threads running the old code of this update.
    pub fn set_running_in(&mut self, threads: Vec<String>) {
        self.running_in = threads;
    }

    /// The record of `--events` and `to_dict()`.
    pub fn record(&self, py: Python<'_>) -> serde_json::Value {
        let mut record = serde_json::Map::new();
        record.insert("schema".into(), RECORD_SCHEMA.into());
        record.insert("time".into(), iso_8601(self.time).into());
        record.insert("pid".into(), self.pid.into());
        record.insert("kind".into(), self.kind.word().into());
        // JSON holds text: a name that is not UTF-8 is written with U+FFFD.
        record.insert("file".into(), self.filename.to_string_lossy().into_owned().into());
        let error = self.error.as_ref().map(|error| error_record(error.bind(py), &self.filename, self.line));
        // A whole-file error (a syntax error) has its line in the error only.
        let line = match (self.line, &error) {
            (0, Some(error)) => error.get("line").cloned().unwrap_or(serde_json::Value::Null),
            (0, None) => serde_json::Value::Null,
            (line, _) => line.into(),
        };
        record.insert("line".into(), line);
        if let Some(save) = self.save {
            record.insert("save".into(), save.into());
        }
        if let Some(rude) = self.rude() {
            record.insert("rude".into(), rude.as_str().into());
        }
        record.insert("module".into(), self.module.clone().into());
        record.insert("qualname".into(), self.qualname().map(str::to_string).into());
        record.insert("message".into(), self.text().into());
        if let Some(code) = &self.code {
            record.insert("code".into(), code.clone().into());
        }
        if self.kind == EventKind::Update {
            record.insert("running_in".into(), self.running_in.clone().into());
        }
        if let Some(error) = error {
            record.insert("error".into(), error);
        }
        serde_json::Value::Object(record)
    }

    /// Dotted path of the definition (of the scope, for a statement).
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl Event {
    /// An event of `kind` about `filename`, its line `text`, made now in this
    /// process; the rest empty, for the constructors below to fill.
    fn new(kind: EventKind, filename: PathBuf, text: String) -> Event {
        Event {
            kind,
            definition: None,
            codefile: None,
            path: String::new(),
            filename,
            line: 0,
            code: None,
            error: None,
            text,
            module: None,
            time: SystemTime::now(),
            pid: std::process::id(),
            running_in: Vec::new(),
            save: None,
            note: None,
            rude: None,
            echo: false,
            source: None,
        }
    }

    /// `Watch <file>`: the file of `module` is now watched.
    pub fn watch(filename: &Path, module: &str) -> Event {
        let text = format!("Watch {}", filename.display());
        Event { module: Some(module.to_string()), ..Event::new(EventKind::Watch, filename.to_path_buf(), text) }
    }

    /// An operation of `kind` (Update, Add or Delete) on `defn`, as a client
    /// makes one (`UpdateOperation(codefile=cf, defn=d)`): its line is the one
    /// the original's operation prints. An addition of a statement is the run
    /// of it.
    pub fn of_definition(kind: EventKind, defn: &Definition, codefile: Py<PyAny>) -> Event {
        let (kind, text) = match (kind, defn.kind()) {
            (EventKind::Add, Kind::Line) => (
                EventKind::Run,
                format!("Run {} @L{}: {}", defn.path(), defn.first_line(), defn.statement_text().unwrap_or_default()),
            ),
            (EventKind::Add, _) => (kind, format!("Add {} @L{}", defn.path(), defn.first_line())),
            (EventKind::Delete, _) => (kind, format!("Delete {} @L{}", defn.path(), defn.first_line())),
            _ => (EventKind::Update, format!("Update {} @L{}", defn.path(), defn.first_line())),
        };
        Event {
            definition: Some(defn.kind()),
            codefile: Some(codefile),
            path: defn.path().to_string(),
            line: defn.first_line(),
            code: defn.statement_text().map(str::to_string),
            ..Event::new(kind, PathBuf::from(defn.file()), text)
        }
    }

    /// An event of the original's vocabulary only (see the `echo` field):
    /// `Update <scope> @L<line>` for a changed module or class, `Delete
    /// <scope> @L<line>: <code>` for a statement a save replaced.
    pub fn echo(
        kind: EventKind,
        definition: Kind,
        path: &str,
        filename: &Path,
        line: u32,
        code: Option<&str>,
    ) -> Event {
        let text = match (kind, code) {
            (EventKind::Delete, Some(code)) => format!("Delete {path} @L{line}: {code}"),
            (EventKind::Delete, None) => format!("Delete {path} @L{line}"),
            _ => format!("Update {path} @L{line}"),
        };
        Event {
            definition: Some(definition),
            path: path.to_string(),
            line,
            code: code.map(str::to_string),
            echo: true,
            ..Event::new(kind, filename.to_path_buf(), text)
        }
    }

    /// Whether only the original's vocabulary says this (see the `echo` field).
    pub fn is_echo(&self) -> bool {
        self.echo
    }

    /// An error that concerns a whole file (unreadable, deleted, does not parse).
    pub fn file_error(py: Python<'_>, filename: &Path, error: PyErr) -> Event {
        let text = format!("Error {}: {}", filename.display(), error.value(py));
        let error = Some(exception_value(py, error).into_any().unbind());
        Event { error, ..Event::new(EventKind::Error, filename.to_path_buf(), text) }
    }

    /// Converts the events of one change of the patch crate, making errors
    /// Python exceptions; `tree` is the file's live tree after the change, which
    /// says whether each definition concerned is a class or a function (one no
    /// longer there is taken for a function). The tree is walked once, whatever
    /// the number of events.
    pub fn all_from_rust(
        py: Python<'_>,
        events: Vec<jurigged_patch::Event>,
        tree: &jurigged_deftree::DefTree,
        module: &str,
    ) -> Vec<Event> {
        if events.is_empty() {
            return Vec::new();
        }
        let mut kinds: HashMap<&str, Kind> = HashMap::new();
        for node in tree.definitions() {
            kinds.entry(node.path()).or_insert(node.kind());
        }
        events.into_iter().map(|event| Event::from_rust(py, event, &kinds, module)).collect()
    }

    fn from_rust(py: Python<'_>, event: jurigged_patch::Event, kinds: &HashMap<&str, Kind>, module: &str) -> Event {
        let text = event.to_string();
        let kind = event.kind;
        let definition = match kind {
            EventKind::Run | EventKind::Rerun => Some(Kind::Line),
            EventKind::Update | EventKind::Add | EventKind::Delete => {
                Some(kinds.get(event.path.as_str()).copied().unwrap_or(Kind::Function))
            }
            EventKind::Skip | EventKind::Pending => Some(Kind::Line),
            EventKind::Watch | EventKind::Error => None,
        };
        let rude = if event.class_replaced {
            Some(RudeEdit::ClassDecoratorReplaced)
        } else {
            event.not_followed().then_some(RudeEdit::ClassNotFollowed)
        };
        let error = event.error.map(|e| exception_value(py, PyErr::from(e)).into_any().unbind());
        Event {
            definition,
            path: event.path,
            line: event.line,
            code: event.code,
            error,
            module: Some(module.to_string()),
            rude,
            ..Event::new(kind, event.filename, text)
        }
    }
}

/// `time` in ISO 8601, UTC, to the millisecond; None for a clock outside the
/// years 1970-9999 (which the formatter cannot write).
pub fn iso_8601(time: SystemTime) -> Option<String> {
    const YEAR_10000: u64 = 253_402_300_800;
    let since_epoch = time.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    (since_epoch.as_secs() < YEAR_10000).then(|| humantime::format_rfc3339_millis(time).to_string())
}

/// The version of the record `--events` writes and `to_dict()` returns; raised
/// when a field changes meaning or goes away (new fields do not raise it).
pub const RECORD_SCHEMA: u32 = 2;

/// What an error record says of its exception: type, message, and the file and
/// line of the error (a syntax error's own place; else the innermost frame of
/// the traceback in `filename`; else the event's).
fn error_record(error: &Bound<'_, PyAny>, filename: &Path, line: u32) -> serde_json::Value {
    let mut record = serde_json::Map::new();
    let type_name = error.get_type().qualname().map(|n| n.to_string()).unwrap_or_default();
    record.insert("type".into(), type_name.into());
    record.insert("message".into(), error.str().map(|s| s.to_string()).unwrap_or_default().into());
    let (file, line) = if error.is_instance_of::<pyo3::exceptions::PySyntaxError>() {
        let file = error.getattr("filename").ok().and_then(|f| f.extract::<PathBuf>().ok());
        let line = error.getattr("lineno").ok().and_then(|l| l.extract::<u32>().ok());
        (file.unwrap_or_else(|| filename.to_path_buf()), line)
    } else {
        (filename.to_path_buf(), innermost_line_in(error, filename).or((line > 0).then_some(line)))
    };
    record.insert("file".into(), file.to_string_lossy().into_owned().into());
    record.insert("line".into(), line.into());
    serde_json::Value::Object(record)
}

/// The line of the innermost traceback frame of `error` that runs `filename`.
fn innermost_line_in(error: &Bound<'_, PyAny>, filename: &Path) -> Option<u32> {
    let mut traceback = error.getattr("__traceback__").ok().filter(|t| !t.is_none());
    let mut found = None;
    while let Some(current) = traceback {
        let frame_file = current
            .getattr("tb_frame")
            .and_then(|f| f.getattr("f_code"))
            .and_then(|c| c.getattr("co_filename"))
            .and_then(|n| n.extract::<PathBuf>());
        if frame_file.is_ok_and(|f| f == filename) {
            found = current.getattr("tb_lineno").ok().and_then(|l| l.extract::<u32>().ok());
        }
        traceback = current.getattr("tb_next").ok().filter(|t| !t.is_none());
    }
    found
}
