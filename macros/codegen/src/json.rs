//! JSON with source positions: parsed from file text (line:column) or from the macro's own
//! tokens (spans), so that every later error can point at the exact place.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};

/// Where a JSON value starts.
#[derive(Debug, Clone, Copy)]
pub enum Pos {
    /// 1-based line and column (in characters) inside a file.
    LineCol(u32, u32),
    /// A token of the macro invocation.
    Span(Span),
}

/// A JSON value and where it starts.
#[derive(Debug, Clone)]
pub struct Json {
    /// The value.
    pub value: Value,
    /// Where it starts.
    pub pos: Pos,
}

/// A JSON number, kept exact when it is an integer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer that fits in i64.
    Int(i64),
    /// Any other number (fraction, exponent, or out of the i64 range).
    Float(f64),
}

/// A JSON value whose children carry positions.
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, in source order, with each key's position.
    Object(Vec<Member>),
}

/// One `"key": value` of an object.
#[derive(Debug, Clone)]
pub struct Member {
    /// The key.
    pub key: String,
    /// Where the key starts.
    pub key_pos: Pos,
    /// The value.
    pub value: Json,
}

impl Value {
    /// The JSON type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(Number::Int(_)) => "an integer",
            Value::Number(Number::Float(_)) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Member> {
        match &self.value {
            Value::Object(members) => members.iter().find(|m| m.key == key),
            _ => None,
        }
    }

    /// Writes the value as compact JSON text.
    pub fn to_json_text(&self) -> String {
        let mut out = String::new();
        write_value(&self.value, &mut out);
        out
    }
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(Number::Int(i)) => out.push_str(&i.to_string()),
        Value::Number(Number::Float(f)) => out.push_str(&f.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(&item.value, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(&m.key, out);
                out.push(':');
                write_value(&m.value.value, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A syntax error in JSON text or tokens.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

/// Deepest nesting accepted, far beyond any lexicon, so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 64;

/// Parses JSON text, tracking line and column.
pub fn parse_text(text: &str) -> Result<Json, SyntaxError> {
    let mut p = TextParser {
        chars: text.char_indices().peekable(),
        src: text,
        line: 1,
        col: 1,
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if let Some(c) = p.peek() {
        return Err(p.err(format!("unexpected {c:?} after the end of the document")));
    }
    Ok(v)
}

struct TextParser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    src: &'a str,
    line: u32,
    col: u32,
}

impl TextParser<'_> {
    fn pos(&self) -> Pos {
        Pos::LineCol(self.line, self.col)
    }

    fn err(&self, message: String) -> SyntaxError {
        SyntaxError {
            pos: self.pos(),
            message,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|&(_, c)| c)
    }

    fn bump(&mut self) -> Option<char> {
        let (_, c) = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while let Some(' ' | '\t' | '\n' | '\r') = self.peek() {
            self.bump();
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), SyntaxError> {
        for expected in word.chars() {
            match self.peek() {
                Some(c) if c == expected => {
                    self.bump();
                }
                _ => return Err(self.err(format!("expected `{word}`"))),
            }
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Json, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let pos = self.pos();
        let value = match self.peek() {
            None => return Err(self.err("unexpected end of the document".into())),
            Some('n') => {
                self.expect_word("null")?;
                Value::Null
            }
            Some('t') => {
                self.expect_word("true")?;
                Value::Bool(true)
            }
            Some('f') => {
                self.expect_word("false")?;
                Value::Bool(false)
            }
            Some('"') => Value::String(self.string()?),
            Some('-' | '0'..='9') => Value::Number(self.number()?),
            Some('[') => {
                self.bump();
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(']') {
                    self.bump();
                } else {
                    loop {
                        self.skip_ws();
                        items.push(self.value(depth + 1)?);
                        self.skip_ws();
                        match self.bump() {
                            Some(',') => continue,
                            Some(']') => break,
                            Some(c) => {
                                return Err(self.err_before(format!(
                                    "expected `,` or `]` in an array, found {c:?}"
                                )))
                            }
                            None => return Err(self.err("unexpected end inside an array".into())),
                        }
                    }
                }
                Value::Array(items)
            }
            Some('{') => {
                self.bump();
                let mut members: Vec<Member> = Vec::new();
                self.skip_ws();
                if self.peek() == Some('}') {
                    self.bump();
                } else {
                    loop {
                        self.skip_ws();
                        let key_pos = self.pos();
                        if self.peek() != Some('"') {
                            return Err(self.err("expected a string key in an object".into()));
                        }
                        let key = self.string()?;
                        if members.iter().any(|m| m.key == key) {
                            return Err(SyntaxError {
                                pos: key_pos,
                                message: format!("duplicate key {key:?} in an object"),
                            });
                        }
                        self.skip_ws();
                        if self.bump() != Some(':') {
                            return Err(self.err_before(format!("expected `:` after key {key:?}")));
                        }
                        self.skip_ws();
                        let value = self.value(depth + 1)?;
                        members.push(Member {
                            key,
                            key_pos,
                            value,
                        });
                        self.skip_ws();
                        match self.bump() {
                            Some(',') => continue,
                            Some('}') => break,
                            Some(c) => {
                                return Err(self.err_before(format!(
                                    "expected `,` or `}}` in an object, found {c:?}"
                                )))
                            }
                            None => return Err(self.err("unexpected end inside an object".into())),
                        }
                    }
                }
                Value::Object(members)
            }
            Some(c) => return Err(self.err(format!("unexpected {c:?} where a value was expected"))),
        };
        Ok(Json { value, pos })
    }

    /// An error at the character just consumed.
    fn err_before(&self, message: String) -> SyntaxError {
        SyntaxError {
            pos: Pos::LineCol(self.line, self.col.saturating_sub(1).max(1)),
            message,
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.bump(); // opening quote
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err("unterminated string".into())),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('/') => out.push('/'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('u') => {
                        let hi = self.hex4()?;
                        let c = if (0xD800..0xDC00).contains(&hi) {
                            if self.bump() != Some('\\') || self.bump() != Some('u') {
                                return Err(self.err("unpaired surrogate in \\u escape".into()));
                            }
                            let lo = self.hex4()?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return Err(self.err("unpaired surrogate in \\u escape".into()));
                            }
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                        } else {
                            char::from_u32(hi)
                        };
                        match c {
                            Some(c) => out.push(c),
                            None => return Err(self.err("invalid \\u escape".into())),
                        }
                    }
                    _ => return Err(self.err_before("invalid escape in a string".into())),
                },
                Some(c) if (c as u32) < 0x20 => {
                    return Err(self.err_before("control character inside a string".into()))
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0;
        for _ in 0..4 {
            let d = self
                .bump()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| self.err_before("expected 4 hex digits in \\u escape".into()))?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Number, SyntaxError> {
        let start = self.chars.peek().map(|&(i, _)| i).unwrap_or(self.src.len());
        let mut end = start;
        let mut is_int = true;
        while let Some(&(i, c)) = self.chars.peek() {
            match c {
                '0'..='9' | '-' => {}
                '+' | '.' | 'e' | 'E' => is_int = false,
                _ => break,
            }
            end = i + c.len_utf8();
            self.bump();
        }
        let text = &self.src[start..end];
        if !valid_json_number(text) {
            return Err(self.err_before(format!("invalid number `{text}`")));
        }
        if is_int {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Number::Int(i));
            }
        }
        text.parse::<f64>()
            .map(Number::Float)
            .map_err(|_| self.err_before(format!("invalid number `{text}`")))
    }
}

/// The JSON number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn valid_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while let Some(b'0'..=b'9') = b.get(i) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let s = i;
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let s = i;
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

/// Parses JSON written as Rust tokens: the body of `lexicon!({ ... })`.
pub fn parse_tokens(group_span: Span, tokens: TokenStream) -> Result<Json, SyntaxError> {
    let members = parse_object_body(tokens, 0)?;
    Ok(Json {
        value: Value::Object(members),
        pos: Pos::Span(group_span),
    })
}

fn tok_err(span: Span, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        pos: Pos::Span(span),
        message: message.into(),
    }
}

fn parse_object_body(tokens: TokenStream, depth: usize) -> Result<Vec<Member>, SyntaxError> {
    let mut iter = tokens.into_iter().peekable();
    let mut members: Vec<Member> = Vec::new();
    loop {
        let key_tt = match iter.next() {
            None => break,
            Some(t) => t,
        };
        let key_span = key_tt.span();
        let key = match &key_tt {
            TokenTree::Literal(lit) => string_literal(lit)?,
            other => {
                return Err(tok_err(
                    other.span(),
                    "expected a string key such as \"type\" in a JSON object",
                ))
            }
        };
        if members.iter().any(|m| m.key == key) {
            return Err(tok_err(
                key_span,
                format!("duplicate key {key:?} in an object"),
            ));
        }
        match iter.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == ':' => {}
            Some(other) => {
                return Err(tok_err(
                    other.span(),
                    format!("expected `:` after key {key:?}"),
                ))
            }
            None => return Err(tok_err(key_span, format!("expected `:` after key {key:?}"))),
        }
        let value = parse_token_value(&mut iter, key_span, depth + 1)?;
        members.push(Member {
            key,
            key_pos: Pos::Span(key_span),
            value,
        });
        match iter.next() {
            None => break,
            Some(TokenTree::Punct(p)) if p.as_char() == ',' => {
                if iter.peek().is_none() {
                    return Err(tok_err(p.span(), "trailing comma: JSON does not allow one"));
                }
            }
            Some(other) => {
                return Err(tok_err(
                    other.span(),
                    "expected `,` between the members of a JSON object",
                ))
            }
        }
    }
    Ok(members)
}

fn parse_token_value(
    iter: &mut std::iter::Peekable<proc_macro2::token_stream::IntoIter>,
    prev_span: Span,
    depth: usize,
) -> Result<Json, SyntaxError> {
    if depth > MAX_DEPTH {
        return Err(tok_err(
            prev_span,
            format!("nesting deeper than {MAX_DEPTH} levels"),
        ));
    }
    let tt = iter
        .next()
        .ok_or_else(|| tok_err(prev_span, "expected a JSON value here"))?;
    let span = tt.span();
    let value = match tt {
        TokenTree::Group(g) => match g.delimiter() {
            Delimiter::Brace => Value::Object(parse_object_body(g.stream(), depth)?),
            Delimiter::Bracket => {
                let mut items = Vec::new();
                let mut inner = g.stream().into_iter().peekable();
                while inner.peek().is_some() {
                    items.push(parse_token_value(&mut inner, span, depth + 1)?);
                    match inner.next() {
                        None => break,
                        Some(TokenTree::Punct(p)) if p.as_char() == ',' => {
                            if inner.peek().is_none() {
                                return Err(tok_err(
                                    p.span(),
                                    "trailing comma: JSON does not allow one",
                                ));
                            }
                        }
                        Some(other) => {
                            return Err(tok_err(
                                other.span(),
                                "expected `,` between the items of a JSON array",
                            ))
                        }
                    }
                }
                Value::Array(items)
            }
            _ => return Err(tok_err(span, "expected a JSON value, found a parenthesis")),
        },
        TokenTree::Ident(ident) => match ident.to_string().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            other => {
                return Err(tok_err(
                    span,
                    format!("expected a JSON value, found `{other}` (strings need double quotes)"),
                ))
            }
        },
        TokenTree::Punct(p) if p.as_char() == '-' => match iter.next() {
            Some(TokenTree::Literal(lit)) => match number_literal(&lit)? {
                Number::Int(i) => Value::Number(Number::Int(-i)),
                Number::Float(f) => Value::Number(Number::Float(-f)),
            },
            _ => return Err(tok_err(span, "expected a number after `-`")),
        },
        TokenTree::Punct(p) => {
            return Err(tok_err(
                span,
                format!("expected a JSON value, found `{}`", p.as_char()),
            ))
        }
        TokenTree::Literal(lit) => {
            let text = lit.to_string();
            if text.starts_with('"') || text.starts_with('r') {
                Value::String(string_literal(&lit)?)
            } else {
                Value::Number(number_literal(&lit)?)
            }
        }
    };
    Ok(Json {
        value,
        pos: Pos::Span(span),
    })
}

fn string_literal(lit: &proc_macro2::Literal) -> Result<String, SyntaxError> {
    let text = lit.to_string();
    if !text.starts_with('"') {
        return Err(tok_err(lit.span(), "expected a double-quoted JSON string"));
    }
    let parsed: syn::LitStr = syn::parse2(TokenTree::Literal(lit.clone()).into())
        .map_err(|_| tok_err(lit.span(), "expected a double-quoted JSON string"))?;
    Ok(parsed.value())
}

fn number_literal(lit: &proc_macro2::Literal) -> Result<Number, SyntaxError> {
    let text = lit.to_string();
    if !valid_json_number(&text) {
        return Err(tok_err(
            lit.span(),
            format!("expected a JSON value, found `{text}`"),
        ));
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Number::Int(i));
    }
    text.parse::<f64>()
        .map(Number::Float)
        .map_err(|_| tok_err(lit.span(), format!("invalid number `{text}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_line_and_column() {
        let j = parse_text("{\n  \"a\": [1, true],\n  \"b\": \"x\"\n}").unwrap();
        let b = j.get("b").unwrap();
        assert!(matches!(b.key_pos, Pos::LineCol(3, 3)));
        assert!(matches!(b.value.pos, Pos::LineCol(3, 8)));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse_text("{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert!(matches!(e.pos, Pos::LineCol(3, 7)), "{:?}", e.pos);
        assert!(e.message.contains("expected `:`"), "{}", e.message);
        let e = parse_text("{\"a\": 01}").unwrap_err();
        assert!(e.message.contains("invalid number"), "{}", e.message);
        let e = parse_text("{\"a\": 1, \"a\": 2}").unwrap_err();
        assert!(e.message.contains("duplicate key"), "{}", e.message);
        assert!(parse_text("{\"a\": \"\\ud800\"}").is_err());
        assert!(parse_text("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]").is_err());
    }

    #[test]
    fn unicode_escapes_and_round_trip() {
        let j = parse_text(r#"{"s": "\u00e9\ud83d\ude00\n", "n": -1.5e3, "i": -7}"#).unwrap();
        assert_eq!(j.to_json_text(), "{\"s\":\"é😀\\n\",\"n\":-1500,\"i\":-7}");
    }

    #[test]
    fn tokens_parse_like_text() {
        let ts: TokenStream = r#""lexicon": 1, "id": "a.b.c", "defs": { "x": [true, null, -3] }"#
            .parse()
            .unwrap();
        let j = parse_tokens(Span::call_site(), ts).unwrap();
        assert_eq!(
            j.to_json_text(),
            r#"{"lexicon":1,"id":"a.b.c","defs":{"x":[true,null,-3]}}"#
        );
        let bad: TokenStream = r#""a": 1,"#.parse().unwrap();
        assert!(parse_tokens(Span::call_site(), bad).is_err());
        let bad: TokenStream = r#""a": nope"#.parse().unwrap();
        assert!(parse_tokens(Span::call_site(), bad).is_err());
    }
}
