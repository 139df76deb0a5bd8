//! `$` expansion: the cases of Upstart's `init/tests/test_environ.c` (`test_expand`), then
//! the corners of `environ_expand_until()` those tests leave out.

use kindling::environ::{expand, Env, ExpandError};

/// The environment `test_expand` uses.
fn env() -> Env {
    [
        ("FOO", "frodo"),
        ("BAR", "bilbo"),
        ("BAZ", "xx"),
        ("HOBBIT", "FOO"),
        ("NULL", ""),
        ("DOH", "oops"),
    ]
    .into_iter()
    .collect()
}

fn ok(text: &str, expected: &str) {
    assert_eq!(expand(text, &env()).as_deref(), Ok(expected), "{text:?}");
}

fn err(text: &str, expected: ExpandError) {
    assert_eq!(expand(text, &env()), Err(expected), "{text:?}");
}

fn unknown(name: &str) -> ExpandError {
    ExpandError::UnknownParameter(name.to_string())
}

#[test]
fn upstart_test_expand() {
    ok("this is a test", "this is a test");
    ok("this is a $FOO test", "this is a frodo test");
    ok("this is a $BAZ test", "this is a xx test");
    ok("this is a $DOH test", "this is a oops test");
    ok("test $FOO $BAR$BAZ", "test frodo bilboxx");
    ok("${BAR}test", "bilbotest");
    ok("${BAR}${FOO}test${BAZ}", "bilbofrodotestxx");
    ok("${$HOBBIT} baggins", "frodo baggins");
    ok("${${HOBBIT}} baggins", "frodo baggins");
    ok("${MEEP-a }test", "a test");
    ok("${BAZ-a }test", "xxtest");
    ok("${NULL-a }test", "test");
    ok("${MEEP:-a }test", "a test");
    ok("${BAZ:-a }test", "xxtest");
    ok("${NULL:-a }test", "a test");
    ok("${MEEP+good }test", "test");
    ok("${BAZ+good }test", "good test");
    ok("${NULL+good }test", "good test");
    ok("${MEEP:+good }test", "test");
    ok("${BAZ:+good }test", "good test");
    ok("${NULL:+good }test", "test");
    ok("${$BAZ:-${$HOBBIT}}test", "frodotest");
    ok("this is a $ test", "this is a $ test");
    ok("${}test", "$test");
    err("this is a $WIBBLE test", unknown("WIBBLE"));
    err("this is a ${WIBBLE} test", unknown("WIBBLE"));
    err("this is a ${$WIBBLE:-$FOO} test", unknown("WIBBLE"));
    err("this is a ${$FOO:-$WIBBLE} test", unknown("WIBBLE"));
    err("this is a ${$FOO:!$BAR test", ExpandError::ExpectedOperator);
    err("this is a ${$FOO:-$BAR test", ExpandError::MismatchedBraces);
}

#[test]
fn error_messages_are_upstarts() {
    assert_eq!(unknown("WIBBLE").to_string(), "Unknown parameter: WIBBLE");
    assert_eq!(
        ExpandError::ExpectedOperator.to_string(),
        "Expected operator"
    );
    assert_eq!(
        ExpandError::MismatchedBraces.to_string(),
        "Mismatched braces"
    );
}

#[test]
fn simple_names() {
    ok("$FOO", "frodo");
    ok("$FOO-x", "frodo-x");
    ok("$FOO.conf", "frodo.conf");
    ok("a$FOO", "afrodo");
    let env: Env = [("_X1", "v"), ("X", "w")].into_iter().collect();
    assert_eq!(expand("$_X1/$X_", &env), Err(unknown("X_")));
    assert_eq!(expand("$_X1/${X}_", &env).as_deref(), Ok("v/w_"));
}

#[test]
fn dollars_that_start_no_reference() {
    ok("$", "$");
    ok("cost $", "cost $");
    ok("$$", "$$");
    ok("$$FOO", "$frodo");
    ok("$1", "$1");
    ok("$-", "$-");
    ok("$}", "$}");
    ok("${}}", "$}");
    ok("${}${}", "$$");
    ok("${FOO:-$}", "frodo");
    ok("${MEEP:-$}", "$");
    ok("${MEEP:-a$}", "a$");
}

#[test]
fn every_operator_on_set_empty_and_unset() {
    // (operator, FOO set to "v", FOO empty, FOO unset)
    let table = [
        ("", Some("v"), Some(""), None),
        ("-w", Some("v"), Some(""), Some("w")),
        (":-w", Some("v"), Some("w"), Some("w")),
        ("+w", Some("w"), Some("w"), Some("")),
        (":+w", Some("w"), Some(""), Some("")),
    ];
    for (op, set, empty, unset) in table {
        let text = format!("<${{FOO{op}}}>");
        for (value, expected) in [(Some("v"), set), (Some(""), empty), (None, unset)] {
            let mut env = Env::new();
            if let Some(value) = value {
                env.set("FOO", value);
            }
            let got = expand(&text, &env);
            match expected {
                Some(expected) => assert_eq!(got, Ok(format!("<{expected}>")), "{text} {value:?}"),
                None => assert_eq!(got, Err(unknown("FOO")), "{text} {value:?}"),
            }
        }
    }
}

#[test]
fn words_are_expanded_even_when_unused() {
    ok("${FOO-$BAR}", "frodo");
    ok("${MEEP-$BAR}", "bilbo");
    ok("${MEEP:-${BAZ}${DOH}}", "xxoops");
    ok("${MEEP:-${NOPE:-${NULL:+x}y}}", "y");
    err("${FOO-$WIBBLE}", unknown("WIBBLE"));
    err("${FOO+${WIBBLE}}", unknown("WIBBLE"));
}

#[test]
fn words_may_hold_operator_characters() {
    ok("${MEEP-a:-b+c-d}", "a:-b+c-d");
    ok("${MEEP:-x}y}", "xy}");
    ok("${MEEP-}", "");
    ok("${MEEP:-}", "");
    ok("${FOO:+}", "");
}

#[test]
fn names_are_expanded_then_looked_up() {
    ok("${$HOBBIT}", "frodo");
    ok("${${HOBBIT}:-x}", "frodo");
    ok("${F${HOBBIT:+OO}}", "frodo");
    // Whatever the name expands to is looked up, spaces and all.
    err("${FOO BAR}", unknown("FOO BAR"));
    err("${$FOO}", unknown("frodo"));
    err("${$}", unknown("$"));
    // An empty name is never set.
    ok("${-x}", "x");
    ok("${:-x}", "x");
    ok("${+x}", "");
    err("${$NULL}", unknown(""));
}

#[test]
fn substituted_values_are_not_rescanned() {
    let env: Env = [("A", "$B"), ("B", "bad"), ("C", "x}y"), ("D", "C")]
        .into_iter()
        .collect();
    assert_eq!(expand("$A", &env).as_deref(), Ok("$B"));
    assert_eq!(expand("${A}${A:-z}", &env).as_deref(), Ok("$B$B"));
    assert_eq!(expand("${$D}", &env).as_deref(), Ok("x}y"));
    assert_eq!(expand("${MEEP-$C}}", &env).as_deref(), Ok("x}y}"));
}

#[test]
fn a_name_with_an_equals_sign_matches_upstarts_lookup() {
    // environ_getn() compares "NAME=" with the front of each KEY=VALUE string.
    let env: Env = [("A", "b=c"), ("B", "bc")].into_iter().collect();
    assert_eq!(expand("${A=b}", &env).as_deref(), Ok("b=c"));
    assert_eq!(expand("${A=b=c}", &env), Err(unknown("A=b=c")));
    assert_eq!(expand("${B=b}", &env), Err(unknown("B=b")));
    assert_eq!(expand("${B=b-no}", &env).as_deref(), Ok("no"));
}

#[test]
fn syntax_errors() {
    err("${FOO", ExpandError::MismatchedBraces);
    err("${", ExpandError::MismatchedBraces);
    err("${FOO-x", ExpandError::MismatchedBraces);
    err("${FOO:-${BAR}", ExpandError::MismatchedBraces);
    err("${FOO:x}", ExpandError::ExpectedOperator);
    err("${FOO:}", ExpandError::ExpectedOperator);
    err("${FOO:", ExpandError::ExpectedOperator);
    err("${FOO:=x}", ExpandError::ExpectedOperator);
    // The first error met, left to right, wins.
    err("${WIBBLE:x}", ExpandError::ExpectedOperator);
    err("$WIBBLE ${FOO", unknown("WIBBLE"));
    err("${FOO $WIBBLE", unknown("WIBBLE"));
}

#[test]
fn non_ascii_text_passes_through() {
    let env: Env = [("NAME", "wörld")].into_iter().collect();
    assert_eq!(
        expand("héllo $NAME ${NAME}é ${X:-ü}", &env).as_deref(),
        Ok("héllo wörld wörldé ü")
    );
}

#[test]
fn deep_nesting_neither_recurses_nor_panics() {
    let depth = 200_000;
    let env: Env = [("A", "A")].into_iter().collect();
    let nested = format!("{}A{}", "${".repeat(depth), "}".repeat(depth));
    assert_eq!(expand(&nested, &env).as_deref(), Ok("A"));
    assert_eq!(
        expand(&"${".repeat(depth), &env),
        Err(ExpandError::MismatchedBraces)
    );
    assert_eq!(
        expand(&"${:-".repeat(depth), &env),
        Err(ExpandError::MismatchedBraces)
    );
}
