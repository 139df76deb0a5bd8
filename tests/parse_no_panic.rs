//! The job parser never panics: whatever the bytes, `parse_job` and `parse_override` return
//! `Ok` or `Err`.
//!
//! Real job files (`shared/corpus/upstart-jobs/*.conf` beside the repository, or a few
//! built-in ones when the corpus is absent) are mutated at random — bit flips, inserted
//! tokens that matter to the lexer, truncations, deletions — and fed to the parser, lossily
//! decoded as the daemon does. Deep nesting gets its own tests: a recursive parser must not
//! blow the stack on 100,000 `(`.

use kindling::job::{parse_job, parse_override, JobClass};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Job texts used when the shared corpus is not beside the repository.
const BUILT_IN: &[&str] = &[
    "# tty1 - getty\nstart on stopped rc RUNLEVEL=[2345] and (\n            not-container or\n            \
     container CONTAINER=lxc)\nstop on runlevel [!2345]\n\nrespawn\nexec /sbin/getty -8 38400 tty1\n",
    "description \"rc\"\nstart on runlevel [0123456]\nstop on runlevel [!$RUNLEVEL]\n\nexport RUNLEVEL\n\
     export PREVLEVEL\nconsole output\nenv INIT_VERBOSE\ntask\n\nscript\nif [ \"$RUNLEVEL\" = \"0\" ]; then\n  \
     exec /etc/init.d/rc 0\nfi\nexec /etc/init.d/rc $RUNLEVEL\nend script\n",
    "start on filesystem or runlevel [2345]\nstop on runlevel [!2345]\nrespawn\nrespawn limit 10 5\numask 022\n\
     expect fork\nnormal exit 0 TERM SIGHUP\nkill timeout 30\nlimit nofile 4096 unlimited\n\
     pre-start script\n    test -x /usr/sbin/sshd || { stop; exit 0; }\n    mkdir -p -m0755 /var/run/sshd\n\
     end script\nexec /usr/sbin/sshd -D\n",
    "instance $TTY\nusage \"start tty TTY=ttyX\"\nenv TTY\nsetuid nobody\nsetgid nogroup\nchdir /tmp\n\
     oom score never\nnice -5\nstart on net-device-up IFACE!=lo or (a and b \"X=y z\")\n\
     post-start exec logger \"started $TTY\"\npre-stop exec logger 'stopping'\n\
     emits foo bar-*\napparmor switch /usr/bin/x\ncgroup memory $UPSTART_JOB limit 1\n",
];

/// The texts every case starts from: the corpus if present, else [`BUILT_IN`].
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/upstart-jobs");
        let mut texts: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "conf"))
            .filter_map(|path| std::fs::read(path).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect();
        if texts.is_empty() {
            texts = BUILT_IN.iter().map(|text| text.to_string()).collect();
        }
        texts.sort();
        texts
    })
}

/// Things worth inserting: every token the lexer or the expression parser treats specially.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "\"",
    "'",
    "\\",
    "#",
    "\n",
    " and ",
    " or ",
    "script",
    "end",
    "\nscript\n",
    "\nend script\n",
    "\\\n",
    "=",
    "!=",
    "$",
    "${",
    "}",
    "\t",
    "\r",
    "\0",
    "start on ",
    "stop on ",
    "pre-start ",
    "exec ",
    "env ",
    "limit ",
    "respawn limit ",
    "normal exit ",
    "-",
    "999999999999999999999999",
    "é",
];

/// One change to a job file's bytes; positions are taken modulo the current length.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit { at: usize, bit: u8 },
    Insert { at: usize, token: usize },
    InsertByte { at: usize, byte: u8 },
    Delete { at: usize, len: usize },
    Truncate { at: usize },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::InsertByte { at, byte }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 1usize..256).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let pos = |at: usize, len: usize| if len == 0 { 0 } else { at % (len + 1) };
    match *mutation {
        Mutation::FlipBit { at, bit } => {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] ^= 1 << bit;
            }
        }
        Mutation::Insert { at, token } => {
            let i = pos(at, bytes.len());
            bytes.splice(i..i, TOKENS[token].bytes());
        }
        Mutation::InsertByte { at, byte } => {
            let i = pos(at, bytes.len());
            bytes.insert(i, byte);
        }
        Mutation::Delete { at, len } => {
            let i = pos(at, bytes.len());
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Truncate { at } => {
            let i = pos(at, bytes.len());
            bytes.truncate(i);
        }
        Mutation::Duplicate { at, len } => {
            let i = pos(at, bytes.len());
            let end = (i + len).min(bytes.len());
            let copy = bytes[i..end].to_vec();
            bytes.splice(end..end, copy);
        }
    }
}

/// Parses `text` as a job and as an override on top of it; panicking is the only failure.
fn parse_both_ways(text: &str) {
    let base = match parse_job("fuzz", text) {
        Ok(class) => class,
        Err(error) => {
            // The error must be printable (the daemon logs it).
            let _ = error.to_string();
            JobClass::new("fuzz")
        }
    };
    let _ = parse_override(base, text);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        .. ProptestConfig::default()
    })]

    #[test]
    fn mutated_corpus_files_never_panic(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..12),
    ) {
        let files = corpus();
        let mut bytes = files[pick.index(files.len())].as_bytes().to_vec();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        parse_both_ways(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(
        tokens in prop::collection::vec(0..TOKENS.len(), 0..200),
        words in prop::collection::vec("[a-z0-9_=!$*?\\[\\]{}-]{0,8}", 0..50),
    ) {
        let mut text = String::new();
        for (i, token) in tokens.iter().enumerate() {
            text.push_str(TOKENS[*token]);
            if let Some(word) = words.get(i % words.len().max(1)) {
                text.push_str(word);
                text.push(' ');
            }
        }
        parse_both_ways(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_both_ways(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn every_corpus_file_parses_without_panicking() {
    for text in corpus() {
        parse_both_ways(text);
    }
}

#[test]
fn every_truncation_of_a_job_never_panics() {
    // Every prefix of one rich built-in job: each cut lands somewhere new in the lexer.
    let text = BUILT_IN[1].to_string() + BUILT_IN[3];
    for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
        parse_both_ways(&text[..end]);
    }
}

const DEEP: usize = 100_000;

#[test]
fn deep_opening_parentheses_never_panic() {
    for stanza in ["start on ", "stop on "] {
        parse_both_ways(&format!("{stanza}{}\n", "(".repeat(DEEP)));
        parse_both_ways(&format!("{stanza}{}a\n", "(".repeat(DEEP)));
    }
}

#[test]
fn deep_balanced_nesting_never_panics() {
    let text = format!("start on {}a{}\n", "(".repeat(DEEP), ")".repeat(DEEP));
    parse_both_ways(&text);
    parse_both_ways(&format!("start on a{}\n", ")".repeat(DEEP)));
}

/// Deep expression *trees*, not just deep parentheses: `(a or (a or (… b)))` and a
/// 100,000-operator chain. PID 1 must survive them, so neither the parser nor dropping,
/// walking or printing the tree may recurse once per level on the stack (or the parser
/// must refuse such depth with an error).
#[test]
fn deep_expression_trees_never_overflow() {
    let nested = format!("stop on {}b{}\n", "(a or ".repeat(DEEP), ")".repeat(DEEP));
    parse_both_ways(&nested);
    let chain = vec!["e"; DEEP].join(" and ");
    parse_both_ways(&format!("start on {chain}\n"));
}

#[test]
fn parentheses_spread_over_many_lines_never_panic() {
    let text = format!("start on {}\nexec x\n", "(\n".repeat(DEEP));
    parse_both_ways(&text);
}
