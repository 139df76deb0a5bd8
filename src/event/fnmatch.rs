//! fnmatch(3) with flags 0, exactly as glibc does it in the C locale.
//!
//! Upstart compares event values with `fnmatch(pattern, value, 0)`, so job files rely on
//! glibc's dialect: `*` and `?` match `/` and a leading `.`, backslash escapes (also inside
//! brackets), `[!…]` and `[^…]`, the twelve `[:class:]`es, `[=c=]` and `[.c.]`, and an
//! unterminated `[` standing for itself. glibc's bracket parser has a few oddities that this
//! module reproduces on purpose (see `bracket`); `tests/fnmatch_oracle.rs` checks the whole
//! dialect against glibc itself.
//!
//! The matcher works on bytes and never allocates. A `*` remembers where it started, and a
//! mismatch retries the text after the last `*` one byte later, so matching takes O(n·m)
//! element steps (a step over a bracket reads the bracket; over an unterminated `[` it reads
//! to the end of the pattern, as glibc does). glibc also commits each stretch between two
//! stars at its first fit, so the results are the same.

/// Does `text` match the shell pattern `pattern` (glibc `fnmatch(pattern, text, 0) == 0`)?
///
/// Like the C function, both strings end at their first NUL byte.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    let pat = Pat(pattern.as_bytes());
    let text = text.as_bytes();
    let text = match text.iter().position(|&b| b == 0) {
        Some(end) => &text[..end],
        None => text,
    };

    let (mut p, mut n) = (0, 0);
    // After a `*`: the pattern index just past it, and where in the text the rest is tried.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pat.at(p) == b'*' {
            while pat.at(p) == b'*' {
                p += 1;
            }
            if pat.at(p) == 0 {
                return true;
            }
            star = Some((p, n));
            continue;
        }
        if pat.at(p) == 0 {
            if n == text.len() {
                return true;
            }
        } else if let Some(&c) = text.get(n) {
            if let Some(next) = step(pat, p, c) {
                p = next;
                n += 1;
                continue;
            }
        }
        match star {
            Some((star_p, star_n)) if star_n < text.len() => {
                star = Some((star_p, star_n + 1));
                p = star_p;
                n = star_n + 1;
            }
            _ => return false,
        }
    }
}

/// The pattern as C sees it: reading at or past the end (or at a NUL) gives 0.
#[derive(Clone, Copy)]
struct Pat<'a>(&'a [u8]);

impl Pat<'_> {
    fn at(self, i: usize) -> u8 {
        self.0.get(i).copied().unwrap_or(0)
    }
}

/// glibc's `CHAR_CLASS_MAX_LENGTH` (`CHARCLASS_NAME_MAX`): a `[:name` this long is an error.
const CLASS_NAME_MAX: usize = 2048;

/// Matches the single pattern element at `p` (not `*`, not the end) against `c`; returns
/// the index of the next element.
fn step(pat: Pat, p: usize, c: u8) -> Option<usize> {
    match pat.at(p) {
        b'?' => Some(p + 1),
        b'[' => bracket(pat, p, c),
        b'\\' => {
            // A trailing backslash matches nothing, not even a backslash.
            let escaped = pat.at(p + 1);
            (escaped != 0 && escaped == c).then_some(p + 2)
        }
        literal => (literal == c).then_some(p + 1),
    }
}

/// Matches the bracket expression opening at `open` against `c`, following glibc's
/// `internal_fnmatch` step by step, because its quirks depend on the character matched:
///
/// * Members are tested left to right; once one matches, the rest is skipped by a second,
///   laxer parser that may end the bracket at a different `]` (`[ba-[:alpha:]]` ends after
///   `:]]` for `b` but after `:]` for `l`) or reject what the first one accepted (`[a[=]`
///   matches `=` and `[` but not `a`).
/// * Reaching the end of the pattern inside the bracket makes the `[` an ordinary
///   character; a `\` at the end, an unknown class name, `[.xy.]` or a range missing its
///   end makes the whole match fail (`[a-` matches nothing, not even `[a-`).
/// * A range's start and end are plain byte values (C-locale collation).
fn bracket(pat: Pat, open: usize, c: u8) -> Option<usize> {
    let mut p = open + 1;
    let negated = matches!(pat.at(p), b'!' | b'^');
    if negated {
        p += 1;
    }

    let found = 'members: {
        let mut ch = pat.at(p);
        p += 1;
        loop {
            // The member about to be compared, and whether it may start a range.
            let member = if ch == b'\\' {
                let escaped = pat.at(p);
                if escaped == 0 {
                    return None;
                }
                p += 1;
                Some(Member::Char(escaped))
            } else if ch == b'[' && pat.at(p) == b':' {
                match class_at(pat, p) {
                    ClassSyntax::Class { name, end } => {
                        if class_contains(name, c)? {
                            p = end;
                            break 'members true;
                        }
                        p = end;
                        None
                    }
                    ClassSyntax::NotAClass => Some(Member::Char(b'[')),
                    ClassSyntax::TooLong => return None,
                }
            } else if ch == b'[' && pat.at(p) == b'=' {
                let equiv = pat.at(p + 1);
                if equiv != 0 && pat.at(p + 2) == b'=' && pat.at(p + 3) == b']' {
                    p += 4;
                    if c == equiv {
                        break 'members true;
                    }
                    None
                } else {
                    Some(Member::Char(b'['))
                }
            } else if ch == 0 {
                return literal_open_bracket(open, c);
            } else if ch == b'[' && pat.at(p) == b'.' {
                let (symbol, end) = collating_symbol(pat, p)?;
                p = end;
                Some(Member::Symbol(symbol))
            } else {
                Some(Member::Char(ch))
            };

            if let Some(member) = member {
                let (first, starts_range) = match member {
                    Member::Char(first) => {
                        let next = pat.at(p + 1);
                        (first, pat.at(p) == b'-' && next != 0 && next != b']')
                    }
                    // glibc forgets the `]` test here: `[[.a.]-]` does not match `a`.
                    Member::Symbol(first) => (first, pat.at(p) == b'-' && pat.at(p + 1) != 0),
                };
                if !starts_range && first == c {
                    break 'members true;
                }
                ch = pat.at(p);
                p += 1;
                if ch == b'-' && pat.at(p) != b']' {
                    let (last, end) = range_end(pat, p)?;
                    p = end;
                    if first <= c && c <= last {
                        break 'members true;
                    }
                    ch = pat.at(p);
                    p += 1;
                }
            } else {
                ch = pat.at(p);
                p += 1;
            }

            if ch == b']' {
                break 'members false;
            }
        }
    };

    if !found {
        return negated.then_some(p);
    }

    // Skip the members after the one that matched.
    loop {
        let ch = pat.at(p);
        p += 1;
        match ch {
            b']' => break,
            0 => return literal_open_bracket(open, c),
            b'\\' => {
                if pat.at(p) == 0 {
                    return None;
                }
                p += 1;
            }
            b'[' if pat.at(p) == b':' => {
                let colon = p;
                let mut read = 0;
                loop {
                    p += 1;
                    read += 1;
                    if read == CLASS_NAME_MAX {
                        return None;
                    }
                    if pat.at(p) == b':' && pat.at(p + 1) == b']' {
                        p += 2;
                        break;
                    }
                    if !is_class_name_byte(pat.at(p)) {
                        p = colon;
                        break;
                    }
                }
            }
            b'[' if pat.at(p) == b'=' => {
                if pat.at(p + 1) == 0 || pat.at(p + 2) != b'=' || pat.at(p + 3) != b']' {
                    return None;
                }
                p += 4;
            }
            b'[' if pat.at(p) == b'.' => loop {
                p += 1;
                match pat.at(p) {
                    0 => return None,
                    b'.' if pat.at(p + 1) == b']' => {
                        p += 2;
                        break;
                    }
                    _ => {}
                }
            },
            _ => {}
        }
    }
    (!negated).then_some(p)
}

enum Member {
    Char(u8),
    /// `[.c.]`
    Symbol(u8),
}

/// An unterminated bracket: the `[` is an ordinary character and matching goes on after it.
fn literal_open_bracket(open: usize, c: u8) -> Option<usize> {
    (c == b'[').then_some(open + 1)
}

enum ClassSyntax<'a> {
    /// `[:name:]`; `end` is the index just past it.
    Class { name: &'a [u8], end: usize },
    /// Not a class: the `[` is an ordinary member.
    NotAClass,
    /// A name of `CLASS_NAME_MAX` letters without its `:]`: the match fails.
    TooLong,
}

/// Reads `[:name:]` with `colon` at the `:`.
fn class_at(pat: Pat<'_>, colon: usize) -> ClassSyntax<'_> {
    let start = colon + 1;
    let mut i = start;
    loop {
        if i - start == CLASS_NAME_MAX {
            return ClassSyntax::TooLong;
        }
        let b = pat.at(i);
        if b == b':' && pat.at(i + 1) == b']' {
            return ClassSyntax::Class {
                name: &pat.0[start..i],
                end: i + 2,
            };
        }
        if !is_class_name_byte(b) {
            return ClassSyntax::NotAClass;
        }
        i += 1;
    }
}

/// glibc tests `c < 'a' || c >= 'z'`, so a `z` ends a would-be class name.
fn is_class_name_byte(b: u8) -> bool {
    (b'a'..=b'y').contains(&b)
}

/// Is `c` in the named class (C locale)? `None` for an unknown name, which fails the match.
fn class_contains(name: &[u8], c: u8) -> Option<bool> {
    Some(match name {
        b"alnum" => c.is_ascii_alphanumeric(),
        b"alpha" => c.is_ascii_alphabetic(),
        b"blank" => c == b' ' || c == b'\t',
        b"cntrl" => c.is_ascii_control(),
        b"digit" => c.is_ascii_digit(),
        b"graph" => c.is_ascii_graphic(),
        b"lower" => c.is_ascii_lowercase(),
        b"print" => c == b' ' || c.is_ascii_graphic(),
        b"punct" => c.is_ascii_punctuation(),
        // isspace() includes the vertical tab, which is_ascii_whitespace() leaves out.
        b"space" => matches!(c, b' ' | b'\t'..=b'\r'),
        b"upper" => c.is_ascii_uppercase(),
        b"xdigit" => c.is_ascii_hexdigit(),
        _ => return None,
    })
}

/// Reads `[.c.]` with `dot` at the first `.`: the character and the index past the `]`.
/// An unterminated symbol, or one longer than a character (the C locale names no
/// multi-character elements), fails the whole match.
fn collating_symbol(pat: Pat, dot: usize) -> Option<(u8, usize)> {
    let mut i = dot + 1;
    loop {
        match pat.at(i) {
            b'.' if pat.at(i + 1) == b']' => break,
            0 => return None,
            _ => i += 1,
        }
    }
    (i == dot + 2).then(|| (pat.at(dot + 1), i + 2))
}

/// Reads the end of a range starting at `p` (just past the `-`): the end character and the
/// index past it. A missing end fails the whole match.
fn range_end(pat: Pat, p: usize) -> Option<(u8, usize)> {
    match pat.at(p) {
        b'[' if pat.at(p + 1) == b'.' => collating_symbol(pat, p + 1),
        b'\\' => {
            let escaped = pat.at(p + 1);
            (escaped != 0).then_some((escaped, p + 2))
        }
        0 => None,
        last => Some((last, p + 1)),
    }
}
