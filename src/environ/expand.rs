//! The `$` expansion algorithm (Upstart `environ_expand_until()`).
//!
//! Upstart expands in place, left to right: a substituted value is never rescanned, and the
//! name and the word of `${NAME-word}` are themselves expanded before they are used, so
//! `${$KEY}` names the variable held in KEY, and `${A-$B}` fails on an unknown B even when
//! A is set. Here the text is copied into the output as it is scanned; an open `${` keeps
//! a frame on an explicit stack instead of recursing, so nesting depth is bounded only by
//! memory and a hostile value cannot overflow the stack of PID 1.

use super::{Env, ExpandError};

pub(super) fn expand(text: &str, env: &Env) -> Result<String, ExpandError> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut open: Vec<Brace> = Vec::new();
    let mut pos = 0;

    loop {
        // Inside `${`, the name ends at `}`, `:`, `-` or `+`, the word at `}`.
        let stop: &[u8] = match open.last() {
            None => b"",
            Some(Brace { word: None, .. }) => b"}:-+",
            Some(Brace { word: Some(_), .. }) => b"}",
        };
        let start = pos;
        while pos < bytes.len() && bytes[pos] != b'$' && !stop.contains(&bytes[pos]) {
            pos += 1;
        }
        out.push_str(&text[start..pos]);

        if bytes.get(pos) == Some(&b'$') {
            pos += 1;
            match bytes.get(pos) {
                Some(&b) if b == b'_' || b.is_ascii_alphabetic() => {
                    let name_start = pos;
                    while bytes
                        .get(pos)
                        .is_some_and(|&b| b == b'_' || b.is_ascii_alphanumeric())
                    {
                        pos += 1;
                    }
                    let name = &text[name_start..pos];
                    let value = lookup(env, name)
                        .ok_or_else(|| ExpandError::UnknownParameter(name.to_string()))?;
                    out.push_str(value);
                }
                Some(b'{') if bytes.get(pos + 1) == Some(&b'}') => {
                    pos += 2;
                    out.push('$');
                }
                Some(b'{') => {
                    pos += 1;
                    open.push(Brace {
                        start: out.len(),
                        word: None,
                    });
                }
                // A `$` that starts no reference stays as it is.
                _ => out.push('$'),
            }
            continue;
        }

        // At a stop byte or the end of the text.
        let Some(brace) = open.last_mut() else {
            return Ok(out);
        };
        match brace.word {
            None => {
                let (op, len) = match (bytes.get(pos), bytes.get(pos + 1)) {
                    (Some(b':'), Some(b'-')) => (Op::Default { if_empty: true }, 2),
                    (Some(b':'), Some(b'+')) => (Op::Alternate { if_empty: true }, 2),
                    (Some(b'-'), _) => (Op::Default { if_empty: false }, 1),
                    (Some(b'+'), _) => (Op::Alternate { if_empty: false }, 1),
                    (Some(b'}') | None, _) => (Op::Value, 0),
                    _ => return Err(ExpandError::ExpectedOperator),
                };
                pos += len;
                brace.word = Some((out.len(), op));
            }
            Some((word_start, op)) => {
                if bytes.get(pos) != Some(&b'}') {
                    return Err(ExpandError::MismatchedBraces);
                }
                pos += 1;
                let start = brace.start;
                open.pop();
                substitute(&mut out, start, word_start, op, env)?;
            }
        }
    }
}

/// An open `${`: where its expanded name begins in the output and, once the operator has
/// been read, where its expanded word begins and what the operator is.
struct Brace {
    start: usize,
    word: Option<(usize, Op)>,
}

#[derive(Clone, Copy)]
enum Op {
    /// `${NAME}`
    Value,
    /// `${NAME-word}`, or `${NAME:-word}` when `if_empty`
    Default { if_empty: bool },
    /// `${NAME+word}`, or `${NAME:+word}` when `if_empty`
    Alternate { if_empty: bool },
}

/// Replaces the output from `start` on — the expanded name, then from `word_start` the
/// expanded word — with what the reference stands for.
fn substitute(
    out: &mut String,
    start: usize,
    word_start: usize,
    op: Op,
    env: &Env,
) -> Result<(), ExpandError> {
    let name = &out[start..word_start];
    let value = lookup(env, name);
    let counts = |value: &str, if_empty: bool| !(if_empty && value.is_empty());
    let replacement = match (op, value) {
        (Op::Value, Some(value)) => Replacement::Value(value),
        (Op::Value, None) => return Err(ExpandError::UnknownParameter(name.to_string())),
        (Op::Default { if_empty }, Some(value)) if counts(value, if_empty) => {
            Replacement::Value(value)
        }
        (Op::Default { .. }, _) => Replacement::Word,
        (Op::Alternate { if_empty }, Some(value)) if counts(value, if_empty) => Replacement::Word,
        (Op::Alternate { .. }, _) => Replacement::Value(""),
    };
    match replacement {
        Replacement::Value(value) => {
            out.truncate(start);
            out.push_str(value);
        }
        Replacement::Word => {
            out.replace_range(start..word_start, "");
        }
    }
    Ok(())
}

enum Replacement<'e> {
    Value(&'e str),
    Word,
}

/// Upstart's `environ_getn()`: the value of NAME. It compares NAME with the front of each
/// `KEY=VALUE` string, so a braced name holding `=` (`${A=b}`) finds A when A's value
/// begins with `b=`, and yields A's whole value.
fn lookup<'e>(env: &'e Env, name: &str) -> Option<&'e str> {
    match name.split_once('=') {
        None => env.get(name),
        Some((key, rest)) => env
            .get(key)
            .filter(|value| value.starts_with(rest) && value[rest.len()..].starts_with('=')),
    }
}
