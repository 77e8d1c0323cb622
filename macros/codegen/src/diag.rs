//! Diagnostics: every error of one invocation is collected, then reported together.

use crate::json::Pos;
use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;

/// Where a document came from, for messages.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The file's path as the user would recognise it, or `None` for inline JSON.
    pub path: Option<String>,
    /// The span errors in this document are attached to when no token span exists: the path
    /// literal of the macro invocation (or the whole invocation for directories).
    pub span: Span,
}

/// A place inside a document: its position and JSON pointer.
#[derive(Debug, Clone)]
pub struct At {
    /// Where the value starts.
    pub pos: Pos,
    /// The JSON pointer (`/defs/main/input/schema`).
    pub pointer: String,
}

impl At {
    /// The place of `child` under this one.
    pub fn child(&self, key: &str, pos: Pos) -> At {
        let mut pointer = String::with_capacity(self.pointer.len() + key.len() + 1);
        pointer.push_str(&self.pointer);
        pointer.push('/');
        for c in key.chars() {
            match c {
                '~' => pointer.push_str("~0"),
                '/' => pointer.push_str("~1"),
                c => pointer.push(c),
            }
        }
        At { pos, pointer }
    }

    /// The place of item `index` under this one.
    pub fn index(&self, index: usize, pos: Pos) -> At {
        At {
            pos,
            pointer: format!("{}/{}", self.pointer, index),
        }
    }
}

/// One error, ready to be shown.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Where the compiler shows it.
    pub span: Span,
    /// The full text.
    pub message: String,
}

impl Diagnostic {
    /// An error attached to a span, with a message used as is.
    pub fn spanned(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
        }
    }

    /// An error at `at` inside the document from `origin`, with an optional hint.
    pub fn at(origin: &Origin, at: &At, message: &str, hint: Option<&str>) -> Self {
        let pointer = if at.pointer.is_empty() {
            "/"
        } else {
            &at.pointer
        };
        let (span, mut text) = match (&origin.path, at.pos) {
            (Some(path), Pos::LineCol(line, col)) => (
                origin.span,
                format!("{message}\n  --> {path}:{line}:{col} (JSON pointer {pointer})"),
            ),
            (Some(path), Pos::Span(_)) => (
                origin.span,
                format!("{message}\n  --> {path} (JSON pointer {pointer})"),
            ),
            (None, Pos::Span(span)) => (span, format!("{message} (at {pointer})")),
            (None, Pos::LineCol(..)) => (origin.span, format!("{message} (at {pointer})")),
        };
        if let Some(hint) = hint {
            text.push_str("\n  = help: ");
            text.push_str(hint);
        }
        Diagnostic {
            span,
            message: text,
        }
    }

    /// `compile_error!("...")` at the span.
    pub fn to_compile_error(&self) -> TokenStream {
        let msg = &self.message;
        quote_spanned!(self.span=> ::core::compile_error!{ #msg })
    }
}

/// Collects diagnostics (serde_derive's `Ctxt`): checks go on after an error so that all
/// independent mistakes are reported in one build.
#[derive(Debug, Default)]
pub struct Ctxt {
    errors: Vec<Diagnostic>,
}

impl Ctxt {
    /// A new, empty context.
    pub fn new() -> Self {
        Ctxt::default()
    }

    /// Records an error.
    pub fn push(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    /// Records an error at `at` in a document.
    pub fn error(&mut self, origin: &Origin, at: &At, message: &str, hint: Option<&str>) {
        self.errors.push(Diagnostic::at(origin, at, message, hint));
    }

    /// How many errors so far.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// True when no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors recorded.
    pub fn into_errors(self) -> Vec<Diagnostic> {
        self.errors
    }
}
