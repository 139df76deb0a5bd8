//! Our fnmatch against glibc's `fnmatch(pattern, text, 0)`: an explicit table of dialect
//! points and glibc oddities, then generated patterns rich in special characters.
//!
//! Any disagreement is a bug in `kindling::event::fnmatch`. The test process never calls
//! `setlocale`, so glibc runs in the C locale, as it does in PID 1 at boot.

use kindling::event::fnmatch::fnmatch;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::Cell;
use std::ffi::CString;
use std::time::{Duration, Instant};

/// glibc's answer; both strings end at their first NUL, as in C.
fn oracle(pattern: &str, text: &str) -> bool {
    fn c_string(s: &str) -> CString {
        let end = s.find('\0').unwrap_or(s.len());
        CString::new(&s[..end]).expect("no NUL before end")
    }
    let (pattern, text) = (c_string(pattern), c_string(text));
    // SAFETY: both pointers are valid NUL-terminated strings that outlive the call.
    unsafe { libc::fnmatch(pattern.as_ptr(), text.as_ptr(), 0) == 0 }
}

fn check_posixly_correct_unset() {
    // With POSIXLY_CORRECT set, glibc stops treating `[^…]` as a negation.
    assert!(
        std::env::var_os("POSIXLY_CORRECT").is_none(),
        "unset POSIXLY_CORRECT to run the fnmatch oracle"
    );
}

/// (pattern, text, glibc's answer). Each row is checked against glibc as well, so the
/// expected column documents glibc rather than our opinion.
const TABLE: &[(&str, &str, bool)] = &[
    // rust-pid1.md §1.7
    ("tty[!2]", "tty1", true),
    ("tty[!2]", "tty2", false),
    ("tty[^2]", "tty1", true),
    ("tty[^2]", "tty2", false),
    ("*", "/dev/tty1", true),
    ("*", ".hidden", true),
    ("*", "", true),
    ("/dev/*", "/dev/pts/0", true),
    ("\\*", "*", true),
    ("\\*", "\\x", false),
    ("\\[a]", "[a]", true),
    ("a**b", "axxb", true),
    ("[", "[", true),
    ("a[b", "a[b", true),
    ("[[:digit:]]", "5", true),
    ("[]]", "]", true),
    ("[!]]", "]", false),
    ("[!]]", "a", true),
    ("[a-c]", "b", true),
    ("[a-c]", "d", false),
    ("eth[0-9]*", "eth0", true),
    ("eth[0-9]*", "eth12:1", true),
    ("eth[0-9]*", "ethx", false),
    ("TTY1", "tty1", false),
    // Upstart's own forms
    ("[2345]", "2", true),
    ("[2345]", "S", false),
    ("[0123456]", "S", false),
    ("[!2345]", "6", true),
    ("[!2345]", "S", true),
    ("[!2]", "2", false),
    ("[!2]", "3", true),
    ("b?r", "bar", true),
    ("f*", "foo", true),
    // `*` and `?`
    ("?", "", false),
    ("?", "/", true),
    ("?", ".", true),
    ("*?", "", false),
    ("*?", "a", true),
    ("*??*", "a", false),
    ("*??*", "ab", true),
    ("a*", "a", true),
    ("*a", "ba", true),
    ("*a", "ab", false),
    ("a*b*c", "abbbc", true),
    ("a*b*c", "acb", false),
    ("*.conf", "foo.conf", true),
    ("*.conf", "foo.conf.bak", false),
    // escapes
    ("\\", "\\", false),
    ("\\", "", false),
    ("a\\", "a", false),
    ("a\\", "a\\", false),
    ("\\\\", "\\", true),
    ("\\a", "a", true),
    ("*\\", "x\\", false),
    ("*\\a", "xa", true),
    ("[\\]]", "]", true),
    ("[\\!]", "!", true),
    ("[\\", "[\\", false),
    ("[a\\", "[a\\", false),
    ("[a-\\z]", "m", true),
    ("[\\a-z]", "m", true),
    // unterminated brackets are literal `[`
    ("[!", "[!", true),
    ("[^", "[^", true),
    ("[]", "[]", true),
    ("[!]", "[!]", true),
    ("[a", "[a", true),
    ("[a", "a", false),
    ("x[ab", "x[ab", true),
    ("*[ab", "xx[ab", true),
    ("[[:alpha:]", "a", false),
    // after the literal `[`, glibc reads `[:alpha:]` as a second bracket
    ("[[:alpha:]", "[[:alpha:]", false),
    ("[[:alpha:]", "[h", true),
    // bracket members
    ("[]a]", "a", true),
    ("[]-a]", "^", true),
    ("[!]-a]", "^", false),
    ("[a-]", "-", true),
    ("[-a]", "-", true),
    ("[a-c-e]", "d", false),
    ("[a-c-e]", "-", true),
    ("[z-a]", "m", false),
    ("[z-a]", "z", false),
    ("[^]", "[^]", true),
    ("[!!]", "!", false),
    ("[!^]", "^", false),
    ("[^!]", "!", false),
    ("[!-]", "-", false),
    ("[]-]", "-", true),
    ("[*]", "*", true),
    ("[?]", "x", false),
    ("[/]", "/", true),
    ("[.]", ".", true),
    // the twelve classes
    ("[[:alnum:]]", "Z", true),
    ("[[:alpha:]]", "7", false),
    ("[[:blank:]]", "\t", true),
    ("[[:blank:]]", "\n", false),
    ("[[:cntrl:]]", "\x7f", true),
    ("[[:graph:]]", " ", false),
    ("[[:lower:]]", "A", false),
    ("[[:print:]]", " ", true),
    ("[[:punct:]]", "_", true),
    ("[[:space:]]", "\x0b", true),
    ("[[:upper:]]", "A", true),
    ("[[:xdigit:]]", "f", true),
    ("[[:xdigit:]]", "g", false),
    ("[![:digit:]]", "a", true),
    ("[[:digit:][:upper:]]", "Q", true),
    ("[[:alpha:]-]", "-", true),
    ("[[:alpha:]-z]", "-", true),
    // unknown or malformed classes
    ("[[:foo:]]", "f", false),
    ("[[:foo:]]", "[[:foo:]]", false),
    ("[![:foo:]]", "x", false),
    ("[a[:foo:]]", "a", true),
    ("[![:foo:]a]", "b", false),
    ("[[:combining:]]", "a", false),
    ("[[::]]", ":", false),
    ("[[:]]", ":]", true),
    ("[[:Alpha:]]", "A", false),
    ("[[:Alpha:]]", "l]", true),
    ("[[:alpha]]", "a]", true),
    ("[[:zz:]]", "z]", true),
    ("[[:5:]]", "5]", true),
    // equivalence classes and collating symbols (C locale: single bytes only)
    ("[[=a=]]", "a", true),
    ("[[=a=]]", "b", false),
    ("[[==]]", "=]", true),
    ("[[===]]", "=", true),
    ("[[=a]", "=", true),
    ("[[.a.]]", "a", true),
    ("[[...]]", ".", true),
    ("[[.ab.]]", "a", false),
    ("[[..]]", ".", false),
    ("[[.a.]-c]", "b", true),
    ("[a-[.c.]]", "b", true),
    ("[[.a.]", "a", false),
    ("[[.a", "[[.a", false),
    // glibc oddities kept on purpose
    ("[[.a.]-]", "a", false),
    ("[[.a.]-]", "-", true),
    ("[a[=]", "a", false),
    ("[a[=]", "=", true),
    ("[a[=]", "[", true),
    ("[a-", "[a-", false),
    ("[a-", "a", false),
    ("[ba-[:alpha:]]x", "bx", true),
    ("[ba-[:alpha:]]x", "lx", false),
    ("[ba-[:alpha:]]x", "l]x", true),
    ("[a-[:alpha:]]", "l]", true),
    // bytes and code points (the C locale compares bytes)
    ("é", "é", true),
    ("?", "é", false),
    ("??", "é", true),
    ("[é]", "é", false),
    ("[é][é]", "é", true),
    ("[[:alpha:]]", "\u{e9}", false),
];

#[test]
fn table_agrees_with_glibc() {
    check_posixly_correct_unset();
    for &(pattern, text, expected) in TABLE {
        assert_eq!(
            oracle(pattern, text),
            expected,
            "glibc disagrees with the table: fnmatch({pattern:?}, {text:?})"
        );
        assert_eq!(
            fnmatch(pattern, text),
            expected,
            "fnmatch({pattern:?}, {text:?})"
        );
    }
}

#[test]
fn long_class_names_hit_glibcs_limit() {
    check_posixly_correct_unset();
    for len in [2046, 2047, 2048, 2049] {
        let name = "a".repeat(len);
        for (pattern, text) in [
            (format!("[[:{name}:]]"), "a".to_string()),
            (format!("[b[:{name}:]]"), "b".to_string()),
            (format!("[[:{name}]"), "a".to_string()),
            (format!("[b[:{name}]"), "b".to_string()),
        ] {
            assert_eq!(
                fnmatch(&pattern, &text),
                oracle(&pattern, &text),
                "class name of {len} letters: {}",
                &pattern[..8]
            );
        }
    }
}

#[test]
fn nul_ends_pattern_and_text() {
    for (pattern, text) in [("a\0b", "a"), ("a", "a\0b"), ("*\0x", "yy"), ("[\0]", "[")] {
        assert_eq!(
            fnmatch(pattern, text),
            oracle(pattern, text),
            "{pattern:?} {text:?}"
        );
    }
    assert!(fnmatch("a\0b", "a\0c"));
}

#[test]
fn stars_do_not_backtrack_exponentially() {
    let text = "a".repeat(5000);
    let pattern = format!("{}b", "a*".repeat(200));
    let started = Instant::now();
    assert!(!fnmatch(&pattern, &text));
    assert!(fnmatch(&format!("{}a", "*a".repeat(200)), &text));
    assert!(!fnmatch(&"[".repeat(300), &"[".repeat(299)));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Pieces patterns are built from: every special character alone, and the multi-character
/// forms glibc treats specially, so that well-formed and malformed brackets both occur.
const PATTERN_PIECES: &[&str] = &[
    "*",
    "*",
    "?",
    "[",
    "[",
    "[",
    "]",
    "]",
    "!",
    "^",
    "-",
    "-",
    "\\",
    "\\",
    ":",
    ".",
    "=",
    "/",
    "a",
    "b",
    "c",
    "l",
    "z",
    "A",
    "Z",
    "0",
    "5",
    "9",
    " ",
    "_",
    "é",
    "[!",
    "[^",
    "[]",
    "[:",
    ":]",
    "[=",
    "=]",
    "[.",
    ".]",
    "[:alpha:]",
    "[:digit:]",
    "[:upper:]",
    "[:lower:]",
    "[:alnum:]",
    "[:space:]",
    "[:punct:]",
    "[:xdigit:]",
    "[:blank:]",
    "[:cntrl:]",
    "[:graph:]",
    "[:print:]",
    "[:foo:]",
    "alpha",
    "[=a=]",
    "[.a.]",
    "[.-.]",
    "a-c",
    "0-9",
    "\\]",
    "\\-",
];

/// Characters texts are made of: the same specials plus ordinary letters and digits.
const TEXT_CHARS: &[&str] = &[
    "a", "b", "c", "l", "z", "A", "Z", "0", "5", "9", "*", "?", "[", "]", "!", "^", "-", "\\", ":",
    ".", "=", "/", " ", "\t", "_", "é", "\x7f",
];

fn pattern_strategy(max_pieces: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PATTERN_PIECES), 0..=max_pieces)
        .prop_map(|pieces| pieces.concat())
}

fn text_strategy(max_chars: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TEXT_CHARS), 0..=max_chars)
        .prop_map(|chars| chars.concat())
}

/// A text likely to match: the pattern itself with some bytes dropped or replaced, so
/// that literal runs line up and brackets meet their own members.
fn near_text_strategy() -> impl Strategy<Value = (String, String)> {
    pattern_strategy(10).prop_flat_map(|pattern| {
        let len = pattern.chars().count();
        let edits = prop::collection::vec(
            (0..len.max(1), prop::sample::select(TEXT_CHARS), 0..4u8),
            0..4,
        );
        (Just(pattern), edits).prop_map(|(pattern, edits)| {
            let mut chars: Vec<String> = pattern.chars().map(String::from).collect();
            for (at, replacement, kind) in edits {
                if at >= chars.len() {
                    continue;
                }
                match kind {
                    0 => {
                        chars.remove(at);
                    }
                    1 => chars[at] = replacement.to_string(),
                    2 => chars.insert(at, replacement.to_string()),
                    _ => {}
                }
            }
            (pattern, chars.concat())
        })
    })
}

/// A pattern built from well-formed atoms, with a text each atom matches (a bracket gets a
/// member or any character, so negations and misses occur as well).
fn matching_pair_strategy() -> impl Strategy<Value = (String, String)> {
    let any_char = prop::sample::select(TEXT_CHARS).prop_map(str::to_string);
    let literal = prop::sample::select(TEXT_CHARS)
        .prop_filter("not special", |c| !matches!(*c, "*" | "?" | "[" | "\\"))
        .prop_map(|c| (c.to_string(), c.to_string()));
    let question = any_char.clone().prop_map(|c| ("?".to_string(), c));
    let star = text_strategy(3).prop_map(|t| ("*".to_string(), t));
    let escaped = any_char.clone().prop_map(|c| (format!("\\{c}"), c));
    let member = prop::sample::select(
        &[
            "a",
            "b",
            "z",
            "5",
            "]",
            "-",
            "!",
            "^",
            ":",
            ".",
            "=",
            "[",
            "\\]",
            "\\\\",
            "a-c",
            "0-9",
            "]-a",
            "[:alpha:]",
            "[:digit:]",
            "[:punct:]",
            "[:space:]",
            "[=a=]",
            "[.-.]",
        ][..],
    );
    let bracket = (
        prop::sample::select(&["", "!", "^"][..]),
        prop::collection::vec(member, 1..4),
        prop_oneof![
            any_char,
            prop::sample::select(&["a", "b", "5", "-", "]"][..]).prop_map(str::to_string)
        ],
    )
        .prop_map(|(negation, members, c)| (format!("[{negation}{}]", members.concat()), c));
    let atom = prop_oneof![4 => literal, 2 => question, 2 => star, 1 => escaped, 3 => bracket];
    prop::collection::vec(atom, 0..7).prop_map(|atoms| {
        atoms.into_iter().fold(
            (String::new(), String::new()),
            |(mut p, mut t), (ap, at)| {
                p.push_str(&ap);
                t.push_str(&at);
                (p, t)
            },
        )
    })
}

/// One bracket expression of tricky members (well-formed or not), maybe unterminated, maybe
/// followed by a little more pattern, against 1–2 characters taken from the pattern or from
/// the kinds of characters it names.
fn bracket_pair_strategy() -> impl Strategy<Value = (String, String)> {
    const MEMBERS: &[&str] = &[
        "a",
        "b",
        "z",
        "5",
        "-",
        "-",
        "]",
        "!",
        "^",
        ":",
        ".",
        "=",
        "[",
        "\\",
        "\\]",
        "a-c",
        "a-",
        "5-",
        "]-a",
        "[:alpha:]",
        "[:digit:]",
        "[:zz:]",
        "[:foo:]",
        "[:alpha",
        "[:",
        ":]",
        "[=a=]",
        "[=",
        "=]",
        "[==]",
        "[.a.]",
        "[.a.]-",
        "[.-.]",
        "[.ab.]",
        "[.",
        ".]",
        "[[",
        "]]",
    ];
    const TAIL: &[&str] = &["", "", "", "]", "x", "*", "?", "]x", "[a]", "\\"];
    const TEXT: &[&str] = &[
        "a", "b", "l", "z", "5", "-", "]", "[", "!", "^", ":", ".", "=", "\\", "x",
    ];
    let pattern = (
        prop::sample::select(&["", "", "!", "^"][..]),
        prop::collection::vec(prop::sample::select(MEMBERS), 1..6),
        prop::sample::select(&["]", "]", "]", ""][..]),
        prop::sample::select(TAIL),
    )
        .prop_map(|(negation, members, close, tail)| {
            format!("[{negation}{}{close}{tail}", members.concat())
        });
    pattern.prop_flat_map(|pattern| {
        let own: Vec<char> = pattern.chars().collect();
        let text_char = prop_oneof![
            prop::sample::select(own).prop_map(String::from),
            prop::sample::select(TEXT).prop_map(str::to_string),
        ];
        let text = prop::collection::vec(text_char, 1..3).prop_map(|chars| chars.concat());
        (Just(pattern), text)
    })
}

/// Runs `cases` generated (pattern, text) pairs through both matchers and prints how many
/// ran (`cargo test -- --nocapture`) and how many of those glibc said match.
fn run_oracle<S>(label: &str, cases: u32, strategy: S)
where
    S: Strategy<Value = (String, String)>,
{
    check_posixly_correct_unset();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let ran = Cell::new(0u32);
    let matched = Cell::new(0u32);
    let result = runner.run(&strategy, |(pattern, text)| {
        ran.set(ran.get() + 1);
        let expected = oracle(&pattern, &text);
        matched.set(matched.get() + u32::from(expected));
        if fnmatch(&pattern, &text) != expected {
            return Err(TestCaseError::fail(format!(
                "fnmatch({pattern:?}, {text:?}): glibc says {expected}"
            )));
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    println!(
        "oracle cases ({label}): {}, of which glibc matched {}",
        ran.get(),
        matched.get()
    );
    assert!(ran.get() >= cases);
}

#[test]
fn random_patterns_against_random_texts() {
    let strategy = (pattern_strategy(8), text_strategy(8));
    run_oracle("random pattern, random text", 10_000, strategy);
}

#[test]
fn random_patterns_against_near_texts() {
    run_oracle("random pattern, near text", 10_000, near_text_strategy());
}

#[test]
fn bracket_expressions() {
    run_oracle("bracket expression", 8_000, bracket_pair_strategy());
}

#[test]
fn built_patterns_against_matching_texts() {
    run_oracle("built pattern, its text", 6_000, matching_pair_strategy());
}

#[test]
fn arbitrary_strings() {
    let strategy = (any::<String>(), any::<String>());
    run_oracle("arbitrary strings", 4_000, strategy);
}
