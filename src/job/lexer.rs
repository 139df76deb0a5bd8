//! libnih's lexical rules for job files (`nih/config.c`): tokens, quotes, continuations,
//! comments, `script … end script` blocks, and the line numbers errors are reported on.
//!
//! A [`Lexer`] is a cursor over the file's bytes plus the current 1-based line. Its methods
//! mirror libnih's readers, and each moves the line counter exactly as libnih does, so an
//! error raised at "the current line" is the line Upstart would print. All delimiters are
//! ASCII, so tokens never split a UTF-8 sequence.

use super::ParseError;

pub(crate) const EXPECTED_TOKEN: &str = "Expected token";
pub(crate) const UNEXPECTED_TOKEN: &str = "Unexpected token";
pub(crate) const TRAILING_SLASH: &str = "Trailing slash in file";
pub(crate) const UNTERMINATED_QUOTE: &str = "Unterminated quoted string";
pub(crate) const UNTERMINATED_BLOCK: &str = "Unterminated block";

/// Blanks inside a line (`NIH_CONFIG_WS`). A carriage return counts, so CRLF files parse.
fn is_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r')
}

/// Where a token stops (outside quotes and not escaped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delim {
    /// Blanks, `#`, newline (`NIH_CONFIG_CNLWS`): stanza names and arguments.
    Word,
    /// As `Word`, plus `(` and `)`: operands of `start on`/`stop on`.
    EventWord,
    /// Only `#` and newline (`NIH_CONFIG_CNL`): the command of `exec`.
    Line,
}

impl Delim {
    fn stops_at(self, byte: u8) -> bool {
        match self {
            Delim::Word => is_blank(byte) || byte == b'#' || byte == b'\n',
            Delim::EventWord => is_blank(byte) || matches!(byte, b'#' | b'\n' | b'(' | b')'),
            Delim::Line => byte == b'#' || byte == b'\n',
        }
    }
}

/// A saved position, to re-read a token another way (see `start on` operators).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    pos: usize,
    line: usize,
}

pub(crate) struct Lexer<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lexer {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    pub(crate) fn line(&self) -> usize {
        self.line
    }

    /// An error at the current line.
    pub(crate) fn error(&self, message: &str) -> ParseError {
        error_at(self.line, message)
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            line: self.line,
        }
    }

    pub(crate) fn reset(&mut self, mark: Mark) {
        self.pos = mark.pos;
        self.line = mark.line;
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// Steps over the current byte, which must not be a newline (used for parentheses).
    pub(crate) fn bump(&mut self) {
        if !self.at_end() {
            self.pos += 1;
        }
    }

    /// True when a token starts here: not at the end, a comment or a newline.
    pub(crate) fn has_token(&self) -> bool {
        matches!(self.peek(), Some(byte) if byte != b'#' && byte != b'\n')
    }

    /// Skips blanks at the start of a line (no continuations), as the stanza loop does.
    pub(crate) fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(byte) if is_blank(byte)) {
            self.pos += 1;
        }
    }

    /// Skips blanks and backslash-newline continuations (`nih_config_skip_whitespace`).
    pub(crate) fn skip_whitespace(&mut self) {
        loop {
            match self.peek() {
                Some(byte) if is_blank(byte) => self.pos += 1,
                Some(b'\\') if self.text.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                _ => break,
            }
        }
    }

    /// Moves past the end of the current line, whatever is on it.
    pub(crate) fn next_line(&mut self) {
        while let Some(byte) = self.peek() {
            self.pos += 1;
            if byte == b'\n' {
                self.line += 1;
                break;
            }
        }
    }

    /// Ends a stanza: only a comment may follow (`nih_config_skip_comment`).
    pub(crate) fn end_of_stanza(&mut self) -> Result<(), ParseError> {
        if self.has_token() {
            return Err(self.error(UNEXPECTED_TOKEN));
        }
        self.next_line();
        Ok(())
    }

    /// A stanza keyword or sub-keyword: quotes are kept, so `"exec"` is not `exec`.
    pub(crate) fn next_word(&mut self) -> Result<String, ParseError> {
        self.next_token(Delim::Word, false)
    }

    /// An argument: quotes group words and are removed (`nih_config_next_arg`).
    pub(crate) fn next_arg(&mut self) -> Result<String, ParseError> {
        self.next_token(Delim::Word, true)
    }

    /// One token and the whitespace after it (`nih_config_next_token`).
    pub(crate) fn next_token(&mut self, delim: Delim, dequote: bool) -> Result<String, ParseError> {
        let token = self.scan(delim, dequote)?;
        if token.is_empty() {
            return Err(self.error(EXPECTED_TOKEN));
        }
        self.skip_whitespace();
        Ok(token)
    }

    /// Every argument up to the end of the line (`nih_config_parse_args`).
    pub(crate) fn args(&mut self) -> Result<Vec<String>, ParseError> {
        let mut args = Vec::new();
        while self.has_token() {
            args.push(self.next_arg()?);
        }
        self.next_line();
        Ok(args)
    }

    /// The raw rest of the line, for `exec` (`nih_config_parse_command`): quotes and
    /// backslashes stay as written, continuations and quoted newlines become one space,
    /// a comment and trailing blanks are dropped.
    pub(crate) fn command(&mut self) -> Result<String, ParseError> {
        let command = self.scan(Delim::Line, false)?;
        self.next_line();
        Ok(command)
    }

    /// The lines up to `end KIND` (`nih_config_parse_block`), with the blanks common to
    /// the start of every line removed. The cursor must be at the start of a line.
    ///
    /// "Common" means the same bytes as the first line's leading blanks, so a blank
    /// line inside the block keeps every line as written (libnih does the same).
    pub(crate) fn block(&mut self, kind: &str) -> Result<String, ParseError> {
        let start = self.pos;
        let mut indent = 0;
        let mut lines = 0usize;
        let end = loop {
            if let Some(end) = self.block_end(kind) {
                break end;
            }
            lines += 1;
            let line_start = self.pos;
            if lines == 1 {
                while matches!(self.peek(), Some(byte) if is_blank(byte)) {
                    self.pos += 1;
                }
                indent = self.pos - line_start;
            } else {
                let mut same = 0;
                while same < indent
                    && self.text.get(line_start + same) == self.text.get(start + same)
                {
                    same += 1;
                }
                indent = same;
            }
            self.next_line();
            if self.at_end() {
                return Err(self.error(UNTERMINATED_BLOCK));
            }
        };

        let body = self.text.get(start..end).unwrap_or_default();
        let mut out = Vec::with_capacity(body.len());
        for line in body.split_inclusive(|&byte| byte == b'\n') {
            out.extend_from_slice(line.get(indent..).unwrap_or_default());
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// At `[blanks] end [blanks] KIND [blanks] [# comment]` followed by a newline or the
    /// end of the file, steps past that line and returns where it began.
    fn block_end(&mut self, kind: &str) -> Option<usize> {
        let text = self.text;
        let mut p = self.pos;
        while matches!(text.get(p), Some(&byte) if is_blank(byte)) {
            p += 1;
        }
        // libnih wants "end" plus at least one more byte, which must be a blank.
        if !text.get(p..)?.starts_with(b"end") || !is_blank(*text.get(p + 3)?) {
            return None;
        }
        p += 3;
        while matches!(text.get(p), Some(&byte) if is_blank(byte)) {
            p += 1;
        }
        if !text.get(p..)?.starts_with(kind.as_bytes()) {
            return None;
        }
        p += kind.len();
        while matches!(text.get(p), Some(&byte) if is_blank(byte)) {
            p += 1;
        }
        if text.get(p) == Some(&b'#') {
            while matches!(text.get(p), Some(&byte) if byte != b'\n') {
                p += 1;
            }
        }
        match text.get(p) {
            None => {}
            Some(b'\n') => {
                p += 1;
                self.line += 1;
            }
            Some(_) => return None,
        }
        let begin = self.pos;
        self.pos = p;
        Some(begin)
    }

    /// Reads one token up to `delim` (`nih_config_token`). Quotes group, and with
    /// `dequote` they are removed together with the backslash of `\\` and `\ `. A
    /// backslash before any other byte is kept. A newline inside quotes or after a
    /// backslash becomes one space, dropping the blanks around it. Blanks before the
    /// stopping delimiter are not part of the token.
    fn scan(&mut self, delim: Delim, dequote: bool) -> Result<String, ParseError> {
        let mut token = TokenBuf::default();
        let mut escaped = false;
        let mut quote: Option<u8> = None;

        while let Some(byte) = self.peek() {
            if escaped {
                escaped = false;
                if byte == b'\n' {
                    token.fold_newline();
                    self.line += 1;
                } else if dequote && (byte == b'\\' || is_blank(byte)) {
                    token.push(&[byte]);
                } else {
                    token.push(&[b'\\', byte]);
                }
            } else if byte == b'\\' {
                escaped = true;
            } else if let Some(open) = quote {
                if byte == open {
                    quote = None;
                    token.push_quote(byte, dequote);
                } else if byte == b'\n' {
                    token.fold_newline();
                    self.line += 1;
                } else if is_blank(byte) {
                    token.blank(byte);
                } else {
                    token.push(&[byte]);
                }
            } else if byte == b'"' || byte == b'\'' {
                quote = Some(byte);
                token.push_quote(byte, dequote);
            } else if delim.stops_at(byte) {
                break;
            } else if is_blank(byte) {
                token.blank(byte);
            } else {
                token.push(&[byte]);
            }
            self.pos += 1;
        }

        if escaped {
            return Err(self.error(TRAILING_SLASH));
        }
        if quote.is_some() {
            return Err(self.error(UNTERMINATED_QUOTE));
        }
        Ok(String::from_utf8_lossy(&token.out).into_owned())
    }
}

/// A token being built: blanks are held back until something follows them, so blanks
/// at the end are dropped and blanks around a folded newline become one space.
#[derive(Default)]
struct TokenBuf {
    out: Vec<u8>,
    pending: Vec<u8>,
    folded_newline: bool,
}

impl TokenBuf {
    fn blank(&mut self, byte: u8) {
        self.pending.push(byte);
    }

    fn fold_newline(&mut self) {
        self.folded_newline = true;
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.folded_newline {
            self.out.push(b' ');
        } else {
            self.out.extend_from_slice(&self.pending);
        }
        self.pending.clear();
        self.folded_newline = false;
        self.out.extend_from_slice(bytes);
    }

    /// A quote still releases the blanks before it, even when it is itself removed.
    fn push_quote(&mut self, quote: u8, dequote: bool) {
        if dequote {
            self.push(&[]);
        } else {
            self.push(&[quote]);
        }
    }
}

pub(crate) fn error_at(line: usize, message: &str) -> ParseError {
    ParseError {
        line,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(text: &str) -> Result<String, ParseError> {
        Lexer::new(text).next_arg()
    }

    #[test]
    fn quotes_group_and_are_removed() {
        assert_eq!(arg("\"a test\" x").unwrap(), "a test");
        assert_eq!(arg("'it''s'").unwrap(), "its");
        assert_eq!(arg("a\"b c\"d").unwrap(), "ab cd");
    }

    #[test]
    fn backslashes() {
        assert_eq!(arg("this\\$FOO").unwrap(), "this\\$FOO");
        assert_eq!(arg("this\\\\FOO").unwrap(), "this\\FOO");
        assert_eq!(arg("a\\ b").unwrap(), "a b");
        let mut lx = Lexer::new("wibble\\");
        assert_eq!(lx.next_arg().unwrap_err().message, TRAILING_SLASH);
    }

    #[test]
    fn newline_in_quotes_is_one_space() {
        let mut lx = Lexer::new("\"test  \\\n   of\" x");
        assert_eq!(lx.next_arg().unwrap(), "test of");
        assert_eq!(lx.line(), 2);
    }

    #[test]
    fn unterminated_quote_reports_the_last_line() {
        let mut lx = Lexer::new("\"wibble\n");
        let err = lx.next_arg().unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (2, UNTERMINATED_QUOTE));
    }

    #[test]
    fn command_keeps_quotes_and_folds_continuations() {
        let mut lx = Lexer::new("\"this   is\" a \"test \\\n of\" \\\n commands\nfoo\n");
        assert_eq!(
            lx.command().unwrap(),
            "\"this   is\" a \"test of\" commands"
        );
        assert_eq!(lx.line(), 4);
        let mut lx = Lexer::new("echo a # comment\n");
        assert_eq!(lx.command().unwrap(), "echo a");
        let mut lx = Lexer::new("echo \"a # b\"  \r\n");
        assert_eq!(lx.command().unwrap(), "echo \"a # b\"");
    }

    #[test]
    fn blocks() {
        let mut lx = Lexer::new("    this is\n  \t a test\nend foo\nblah\n");
        assert_eq!(lx.block("foo").unwrap(), "  this is\n\t a test\n");
        let mut lx = Lexer::new("endfoo\nend a\nend fooish\n  end \t foo # c\ntest\n");
        assert_eq!(lx.block("foo").unwrap(), "endfoo\nend a\nend fooish\n");
        assert_eq!(lx.line(), 5);
        let mut lx = Lexer::new("this is\na test\nend foo");
        assert_eq!(lx.block("foo").unwrap(), "this is\na test\n");
        let mut lx = Lexer::new("this is\na test\n");
        let err = lx.block("foo").unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (3, UNTERMINATED_BLOCK));
    }
}
