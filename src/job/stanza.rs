//! The stanzas of a job file: one table ([`STANZAS`]) from stanza name to parser, Upstart
//! 1.13.2's defaults, ranges and error messages (`init/parse_job.c`), and the `start on` /
//! `stop on` expression parser.
//!
//! Repeated stanzas: `env`, `export`, `emits`, `normal exit` and `cgroup` accumulate, every
//! other stanza replaces what an earlier one set, and `manual` clears the `start on` read
//! before it. The first error rejects the whole file; each error carries the line Upstart
//! reports for it (see the lexer for how lines are counted).

use super::lexer::{self, error_at, Delim, Lexer};
use super::{Cgroup, Console, EnvStanza, Expect, JobClass, Limit, ParseError, Process, Resource};
use crate::event::{EventExpr, EventMatch, MatchArg};
use crate::signal;

const UNKNOWN_STANZA: &str = "Unknown stanza";
const ILLEGAL_INTERVAL: &str = "Illegal interval, expected number of seconds";
const ILLEGAL_EXIT: &str = "Illegal exit status, expected integer";
const ILLEGAL_SIGNAL: &str = "Illegal signal status, expected integer";
const ILLEGAL_UMASK: &str = "Illegal file creation mask, expected octal integer";
const ILLEGAL_NICE: &str = "Illegal nice value, expected -20 to 19";
const ILLEGAL_OOM: &str = "Illegal oom adjustment, expected -16 to 15 or 'never'";
const ILLEGAL_OOM_SCORE: &str = "Illegal oom score adjustment, expected -999 to 1000 or 'never'";
const ILLEGAL_LIMIT: &str = "Illegal limit, expected 'unlimited' or integer";
const EXPECTED_EVENT: &str = "Expected event";
const EXPECTED_OPERATOR: &str = "Expected operator";
const EXPECTED_VARIABLE: &str = "Expected variable name before value";
const MISMATCHED_PARENS: &str = "Mismatched parentheses";
/// kindling's own limit: trees deeper than this are refused, so that nothing that walks
/// an expression recursively can run out of stack. Upstart has no such limit.
const EXPRESSION_TOO_COMPLEX: &str = "Event expression too complex (limit: 256 levels)";
pub(crate) const MAX_EXPRESSION_DEPTH: usize = 256;

type Handler = fn(&mut JobClass, &mut Lexer) -> Result<(), ParseError>;

/// Every stanza Upstart 1.13.2 knows, in the order of its `stanzas[]` table. Each parser
/// starts after the stanza name and the blanks that follow it.
const STANZAS: &[(&str, Handler)] = &[
    ("instance", stanza_instance),
    ("description", stanza_description),
    ("author", stanza_author),
    ("version", stanza_version),
    ("env", stanza_env),
    ("export", stanza_export),
    ("start", stanza_start),
    ("stop", stanza_stop),
    ("emits", stanza_emits),
    ("exec", stanza_exec),
    ("script", stanza_script),
    ("pre-start", stanza_pre_start),
    ("post-start", stanza_post_start),
    ("pre-stop", stanza_pre_stop),
    ("post-stop", stanza_post_stop),
    ("expect", stanza_expect),
    ("task", stanza_task),
    ("kill", stanza_kill),
    ("reload", stanza_reload),
    ("respawn", stanza_respawn),
    ("normal", stanza_normal),
    ("console", stanza_console),
    ("umask", stanza_umask),
    ("nice", stanza_nice),
    ("oom", stanza_oom),
    ("limit", stanza_limit),
    ("chroot", stanza_chroot),
    ("chdir", stanza_chdir),
    ("setuid", stanza_setuid),
    ("setgid", stanza_setgid),
    ("debug", stanza_debug),
    ("manual", stanza_manual),
    ("usage", stanza_usage),
    ("apparmor", stanza_apparmor),
    ("cgroup", stanza_cgroup),
];

const FROM_UNTIL: &str = "for \"from X until Y\" write \"start on X\" and \"stop on Y\"";

/// Stanzas of Upstart 0.3 and earlier that 1.x no longer knows, and what to write instead.
/// They are still `Unknown stanza` errors; the hint follows in parentheses.
const OLD_STANZAS: &[(&str, &str)] = &[
    ("on", "write \"start on EVENT\""),
    (
        "when",
        "for \"when JOB is STATE\" write \"start on STATE JOB\"",
    ),
    ("from", FROM_UNTIL),
    ("until", FROM_UNTIL),
    (
        "with",
        "for \"with JOB\" write \"start on started JOB\" and \"stop on stopping JOB\"",
    ),
    ("normalexit", "write \"normal exit\""),
    ("daemon", "write \"expect daemon\""),
    (
        "pid",
        "\"pid file\" is gone: use \"expect fork\" or \"expect daemon\"",
    ),
    (
        "service",
        "jobs are services by default: remove \"service\"",
    ),
];

/// The names of every stanza the parser knows (for tests that must cover them all).
#[cfg(test)]
pub(crate) fn stanza_names() -> Vec<&'static str> {
    STANZAS.iter().map(|(name, _)| *name).collect()
}

/// Parses a whole `.conf` file into a class named `name`.
pub fn parse_job(name: &str, text: &str) -> Result<JobClass, ParseError> {
    parse_override(JobClass::new(name), text)
}

/// Parses `text` on top of `base`, as Upstart applies a `.override` file: single-valued
/// stanzas replace the base's, accumulating ones add to them, `manual` drops its
/// `start on`. On error nothing of `text` is kept: the caller still has its own copy of
/// the base if it cloned it.
pub fn parse_override(base: JobClass, text: &str) -> Result<JobClass, ParseError> {
    let mut class = base;
    let mut lx = Lexer::new(text);
    loop {
        lx.skip_blanks();
        if lx.at_end() {
            break;
        }
        if !lx.has_token() {
            // A blank line or a comment.
            lx.next_line();
            continue;
        }
        let name = lx.next_word()?;
        match STANZAS.iter().find(|(known, _)| *known == name) {
            Some((_, handler)) => handler(&mut class, &mut lx)?,
            None => {
                let hint = OLD_STANZAS
                    .iter()
                    .find(|(old, _)| *old == name)
                    .map(|(_, hint)| hint.to_string());
                return Err(unknown_stanza(lx.line(), hint));
            }
        }
    }
    Ok(class)
}

/// `Unknown stanza`, or `Unknown stanza (0.3 syntax: HINT)` for syntax Upstart dropped.
fn unknown_stanza(line: usize, old_syntax_hint: Option<String>) -> ParseError {
    match old_syntax_hint {
        None => error_at(line, UNKNOWN_STANZA),
        Some(hint) => error_at(line, &format!("{UNKNOWN_STANZA} (0.3 syntax: {hint})")),
    }
}

/// One argument and the end of the line.
fn single_arg(lx: &mut Lexer) -> Result<String, ParseError> {
    let arg = lx.next_arg()?;
    lx.end_of_stanza()?;
    Ok(arg)
}

fn stanza_instance(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.instance = single_arg(lx)?;
    Ok(())
}

fn stanza_description(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.description = Some(single_arg(lx)?);
    Ok(())
}

fn stanza_author(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.author = Some(single_arg(lx)?);
    Ok(())
}

fn stanza_version(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.version = Some(single_arg(lx)?);
    Ok(())
}

fn stanza_usage(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.usage = Some(single_arg(lx)?);
    Ok(())
}

fn stanza_chroot(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.chroot = Some(single_arg(lx)?);
    Ok(())
}

fn stanza_chdir(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.chdir = Some(single_arg(lx)?);
    Ok(())
}

fn stanza_setuid(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.setuid = Some(single_arg(lx)?);
    Ok(())
}

fn stanza_setgid(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.setgid = Some(single_arg(lx)?);
    Ok(())
}

/// `env KEY=VALUE` or `env KEY`. A key seen before keeps its place and takes the new value.
fn stanza_env(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let arg = single_arg(lx)?;
    let stanza = match arg.split_once('=') {
        Some((key, value)) => EnvStanza {
            key: key.to_string(),
            value: Some(value.to_string()),
        },
        None => EnvStanza {
            key: arg,
            value: None,
        },
    };
    match class.env.iter_mut().find(|env| env.key == stanza.key) {
        Some(existing) => *existing = stanza,
        None => class.env.push(stanza),
    }
    Ok(())
}

/// One or more arguments up to the end of the line (`export`, `emits`).
fn one_or_more_args(lx: &mut Lexer) -> Result<Vec<String>, ParseError> {
    if !lx.has_token() {
        return Err(lx.error(lexer::EXPECTED_TOKEN));
    }
    lx.args()
}

fn stanza_export(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.export.extend(one_or_more_args(lx)?);
    Ok(())
}

fn stanza_emits(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.emits.extend(one_or_more_args(lx)?);
    Ok(())
}

fn stanza_start(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.start_on = Some(on_clause(lx, "start")?);
    Ok(())
}

fn stanza_stop(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.stop_on = Some(on_clause(lx, "stop")?);
    Ok(())
}

/// `on EXPR` after `start`/`stop`. Upstart 0.1–0.3 also had `start when JOB is STATE`,
/// and `start script`/`stop script` for what is now `pre-start`/`post-stop`.
fn on_clause(lx: &mut Lexer, stanza: &str) -> Result<EventExpr, ParseError> {
    let line = lx.line();
    let word = lx.next_word()?;
    if word == "on" {
        return parse_on(lx);
    }
    let hint = match (stanza, word.as_str()) {
        (_, "when") => Some(format!(
            "for \"{stanza} when JOB is STATE\" write \"{stanza} on STATE JOB\""
        )),
        ("start", "script" | "exec") => Some(format!("write \"pre-start {word}\"")),
        ("stop", "script" | "exec") => Some(format!("write \"post-stop {word}\"")),
        _ => None,
    };
    Err(unknown_stanza(line, hint))
}

fn stanza_exec(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.main = Some(exec_process(lx)?);
    Ok(())
}

fn stanza_script(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.main = Some(script_process(lx)?);
    Ok(())
}

fn stanza_pre_start(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.pre_start = Some(exec_or_script(lx)?);
    Ok(())
}

fn stanza_post_start(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.post_start = Some(exec_or_script(lx)?);
    Ok(())
}

fn stanza_pre_stop(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.pre_stop = Some(exec_or_script(lx)?);
    Ok(())
}

fn stanza_post_stop(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.post_stop = Some(exec_or_script(lx)?);
    Ok(())
}

/// `exec COMMAND...`: the raw rest of the line.
fn exec_process(lx: &mut Lexer) -> Result<Process, ParseError> {
    if !lx.has_token() {
        return Err(lx.error(lexer::EXPECTED_TOKEN));
    }
    Ok(Process {
        command: lx.command()?,
        script: false,
    })
}

/// `script` (nothing but a comment after it), the block, `end script`.
fn script_process(lx: &mut Lexer) -> Result<Process, ParseError> {
    lx.end_of_stanza()?;
    Ok(Process {
        command: lx.block("script")?,
        script: true,
    })
}

/// `exec …` or `script …` after `pre-start` and friends.
fn exec_or_script(lx: &mut Lexer) -> Result<Process, ParseError> {
    let line = lx.line();
    match lx.next_word()?.as_str() {
        "exec" => exec_process(lx),
        "script" => script_process(lx),
        _ => Err(unknown_stanza(line, None)),
    }
}

fn stanza_expect(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    class.expect = match lx.next_arg()?.as_str() {
        "stop" => Expect::Stop,
        "daemon" => Expect::Daemon,
        "fork" => Expect::Fork,
        "none" => Expect::None,
        _ => return Err(unknown_stanza(line, None)),
    };
    lx.end_of_stanza()
}

fn stanza_task(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    class.task = true;
    lx.end_of_stanza()
}

/// `kill timeout SECONDS` or `kill signal SIGNAL`.
fn stanza_kill(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    match lx.next_word()?.as_str() {
        "timeout" => {
            let at = lx.line();
            let arg = lx.next_arg()?;
            class.kill_timeout = seconds(&arg).ok_or_else(|| error_at(at, ILLEGAL_INTERVAL))?;
        }
        "signal" => class.kill_signal = signal_arg(lx)?,
        _ => return Err(unknown_stanza(line, None)),
    }
    lx.end_of_stanza()
}

/// `reload signal SIGNAL`.
fn stanza_reload(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    if lx.next_word()? != "signal" {
        return Err(unknown_stanza(line, None));
    }
    class.reload_signal = signal_arg(lx)?;
    lx.end_of_stanza()
}

/// A signal name (`TERM`, `SIGTERM`) or, as Upstart allows, any integer 0..=INT_MAX.
fn signal_arg(lx: &mut Lexer) -> Result<i32, ParseError> {
    let at = lx.line();
    let arg = lx.next_arg()?;
    signal::from_name(&arg)
        .or_else(|| c_strtoul(&arg, 10).and_then(|number| i32::try_from(number).ok()))
        .ok_or_else(|| error_at(at, ILLEGAL_SIGNAL))
}

/// `apparmor load PROFILE` or `apparmor switch PROFILE`.
fn stanza_apparmor(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    match lx.next_word()?.as_str() {
        "load" => class.apparmor_load = Some(lx.next_arg()?),
        "switch" => class.apparmor_switch = Some(lx.next_arg()?),
        _ => return Err(unknown_stanza(line, None)),
    }
    lx.end_of_stanza()
}

/// `respawn`, or `respawn limit COUNT INTERVAL` / `respawn limit unlimited` (which does
/// not itself turn respawning on).
fn stanza_respawn(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    if !lx.has_token() {
        class.respawn = true;
        return lx.end_of_stanza();
    }
    let line = lx.line();
    if lx.next_word()? != "limit" {
        let hint = "write \"respawn\" and \"exec COMMAND\" on separate lines";
        return Err(unknown_stanza(line, Some(hint.to_string())));
    }
    let at = lx.line();
    let count = lx.next_arg()?;
    if count == "unlimited" {
        class.respawn_limit = 0;
        class.respawn_interval = 0;
    } else {
        class.respawn_limit = c_strtol(&count, 10)
            .and_then(|count| u32::try_from(count).ok())
            .ok_or_else(|| error_at(at, ILLEGAL_LIMIT))?;
        let at = lx.line();
        let interval = lx.next_arg()?;
        class.respawn_interval =
            seconds(&interval).ok_or_else(|| error_at(at, ILLEGAL_INTERVAL))?;
    }
    lx.end_of_stanza()
}

/// `normal exit STATUS|SIGNAL...`: signals are stored as `signal << 8`.
fn stanza_normal(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    if lx.next_word()? != "exit" {
        return Err(unknown_stanza(line, None));
    }
    loop {
        let at = lx.line();
        let arg = lx.next_arg()?;
        let status = match signal::from_name(&arg) {
            Some(signal) => signal << 8,
            None => c_strtoul(&arg, 10)
                .and_then(|status| i32::try_from(status).ok())
                .ok_or_else(|| error_at(at, ILLEGAL_EXIT))?,
        };
        class.normal_exit.push(status);
        if !lx.has_token() {
            break;
        }
    }
    lx.end_of_stanza()
}

fn stanza_console(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    class.console = Some(match lx.next_arg()?.as_str() {
        "none" => Console::None,
        "output" => Console::Output,
        "owner" => Console::Owner,
        "log" => Console::Log,
        _ => return Err(unknown_stanza(line, None)),
    });
    lx.end_of_stanza()
}

fn stanza_umask(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    let arg = lx.next_arg()?;
    class.umask = c_strtoul(&arg, 8)
        .filter(|mask| mask & !0o777 == 0)
        .and_then(|mask| u32::try_from(mask).ok())
        .ok_or_else(|| error_at(line, ILLEGAL_UMASK))?;
    lx.end_of_stanza()
}

fn stanza_nice(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    let arg = lx.next_arg()?;
    let nice = c_strtol(&arg, 10)
        .filter(|nice| (-20..=19).contains(nice))
        .and_then(|nice| i32::try_from(nice).ok())
        .ok_or_else(|| error_at(line, ILLEGAL_NICE))?;
    class.nice = Some(nice);
    lx.end_of_stanza()
}

/// `oom score N|never` (−1000..=1000), or the legacy `oom N|never` (−17..=15, scaled to a
/// score as Upstart does: `N * 1000 / 17` below zero, `N * 1000 / 15` above).
fn stanza_oom(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    let arg = lx.next_arg()?;
    let score = if arg == "score" {
        let at = lx.line();
        let score = lx.next_arg()?;
        if score == "never" {
            -1000
        } else {
            c_strtol(&score, 10)
                .filter(|score| (-1000..=1000).contains(score))
                .ok_or_else(|| error_at(at, ILLEGAL_OOM_SCORE))?
        }
    } else if arg == "never" {
        -1000
    } else {
        let adjustment = c_strtol(&arg, 10)
            .filter(|adjustment| (-17..=15).contains(adjustment))
            .ok_or_else(|| error_at(line, ILLEGAL_OOM))?;
        adjustment * 1000 / if adjustment < 0 { 17 } else { 15 }
    };
    class.oom_score_adj = i32::try_from(score).ok();
    lx.end_of_stanza()
}

/// `limit RESOURCE SOFT HARD`; a resource set again replaces its earlier limit.
fn stanza_limit(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    let line = lx.line();
    let resource = resource_named(&lx.next_arg()?).ok_or_else(|| unknown_stanza(line, None))?;
    let at = lx.line();
    let soft = limit_value(&lx.next_arg()?).ok_or_else(|| error_at(at, ILLEGAL_LIMIT))?;
    let at = lx.line();
    let hard = limit_value(&lx.next_arg()?).ok_or_else(|| error_at(at, ILLEGAL_LIMIT))?;
    let limit = Limit {
        resource,
        soft,
        hard,
    };
    match class.limits.iter_mut().find(|old| old.resource == resource) {
        Some(old) => *old = limit,
        None => class.limits.push(limit),
    }
    lx.end_of_stanza()
}

fn resource_named(name: &str) -> Option<Resource> {
    Some(match name {
        "as" => Resource::As,
        "core" => Resource::Core,
        "cpu" => Resource::Cpu,
        "data" => Resource::Data,
        "fsize" => Resource::Fsize,
        "memlock" => Resource::Memlock,
        "msgqueue" => Resource::Msgqueue,
        "nice" => Resource::Nice,
        "nofile" => Resource::Nofile,
        "nproc" => Resource::Nproc,
        "rss" => Resource::Rss,
        "rtprio" => Resource::Rtprio,
        "sigpending" => Resource::Sigpending,
        "stack" => Resource::Stack,
        _ => return None,
    })
}

/// `unlimited` → `Some(None)`; a number → `Some(Some(n))`. `-1` wraps to RLIM_INFINITY in
/// C's `strtoul`, so it means unlimited too.
fn limit_value(arg: &str) -> Option<Option<u64>> {
    if arg == "unlimited" {
        return Some(None);
    }
    c_strtoul(arg, 10).map(|value| (value != u64::MAX).then_some(value))
}

/// `cgroup CONTROLLER [NAME] [KEY VALUE]`.
fn stanza_cgroup(class: &mut JobClass, lx: &mut Lexer) -> Result<(), ParseError> {
    if !lx.has_token() {
        return Err(lx.error(lexer::EXPECTED_TOKEN));
    }
    let controller = lx.next_arg()?;
    let mut rest = Vec::new();
    while rest.len() < 3 && lx.has_token() {
        rest.push(lx.next_arg()?);
    }
    // Two words after the controller are KEY VALUE; one or three start with a NAME.
    let mut rest = rest.into_iter();
    let (name, setting) = match (rest.next(), rest.next(), rest.next()) {
        (Some(key), Some(value), None) => (None, Some((key, value))),
        (name, Some(key), Some(value)) => (name, Some((key, value))),
        (name, _, _) => (name, None),
    };
    let cgroup = Cgroup {
        controller,
        name,
        setting,
    };
    add_cgroup(&mut class.cgroups, cgroup);
    lx.end_of_stanza()
}

fn stanza_debug(class: &mut JobClass, _lx: &mut Lexer) -> Result<(), ParseError> {
    // Consumes nothing: like Upstart, `debug foo` reads `foo` as the next stanza.
    class.debug = true;
    Ok(())
}

fn stanza_manual(class: &mut JobClass, _lx: &mut Lexer) -> Result<(), ParseError> {
    // Consumes nothing, and only forgets a `start on` read before it.
    class.start_on = None;
    Ok(())
}

/// Adds a `cgroup` stanza the way Upstart merges them (`cgroup_add()`): a controller and
/// name (no name = `$UPSTART_CGROUP`) already listed is not added again, and a key already
/// set for that controller and name takes the new value.
fn add_cgroup(cgroups: &mut Vec<Cgroup>, new: Cgroup) {
    fn group(cgroup: &Cgroup) -> (&str, &str) {
        let name = cgroup.name.as_deref().unwrap_or("$UPSTART_CGROUP");
        (cgroup.controller.as_str(), name)
    }
    match &new.setting {
        Some((key, value)) => {
            let same_key = cgroups.iter_mut().find(|old| {
                group(old) == group(&new)
                    && old
                        .setting
                        .as_ref()
                        .is_some_and(|(old_key, _)| old_key == key)
            });
            match same_key {
                Some(old) => old.setting = Some((key.clone(), value.clone())),
                None => cgroups.push(new),
            }
        }
        None => {
            if !cgroups.iter().any(|old| group(old) == group(&new)) {
                cgroups.push(new);
            }
        }
    }
}

/// Seconds for `kill timeout` and `respawn limit`: a non-negative integer.
fn seconds(arg: &str) -> Option<u32> {
    c_strtol(arg, 10).and_then(|value| u32::try_from(value).ok())
}

/// The sign and digits of a number as C's `strtol`/`strtoul` read it: leading white
/// space, an optional sign, then only digits of `radix` up to the end (Upstart rejects
/// anything left over).
fn c_number(arg: &str, radix: u32) -> Option<(bool, u128)> {
    let trimmed = arg.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, trimmed.get(1..)?),
        Some(b'+') => (false, trimmed.get(1..)?),
        _ => (false, trimmed),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Too many digits for u128 is an overflow either way.
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    Some((negative, magnitude))
}

/// C's `strtol` with Upstart's checks: out of range for a long is an error.
fn c_strtol(arg: &str, radix: u32) -> Option<i64> {
    let (negative, magnitude) = c_number(arg, radix)?;
    let magnitude = i128::try_from(magnitude).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// C's `strtoul` with Upstart's checks: a minus sign negates modulo 2^64, as in C.
fn c_strtoul(arg: &str, radix: u32) -> Option<u64> {
    let (negative, magnitude) = c_number(arg, radix)?;
    let magnitude = u64::try_from(magnitude).ok()?;
    Some(if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    })
}

// ---------------------------------------------------------------------------------------
// `start on` / `stop on` expressions (`parse_on()` and friends in parse_job.c).
//
// Operators and operands are read left to right onto a stack; an operator first
// collapses what is on the stack (down to the nearest open parenthesis) into its left
// operand, which makes `and` and `or` equal in precedence and left-associative. Lines
// may only continue while a parenthesis is open.

/// A subtree and its depth, so the depth limit can be checked without recursion.
struct Tree {
    expr: EventExpr,
    depth: usize,
}

/// What the expression parser keeps on its stack.
enum Pending {
    /// An open parenthesis: collecting stops here.
    Group,
    /// `and`/`or` and its left operand, waiting for its right one.
    Operator { and: bool, left: Tree },
    /// An event name and the arguments read so far.
    Event(EventMatch),
}

fn parse_on(lx: &mut Lexer) -> Result<EventExpr, ParseError> {
    let mut stack: Vec<Pending> = Vec::new();
    let mut root: Option<Tree> = None;
    let mut open_groups = 0usize;
    // Upstart reports a failure of the final collection at the last token's line.
    let mut token_line;
    loop {
        lx.skip_whitespace();
        loop {
            token_line = lx.line();
            match lx.peek() {
                Some(b'(') => {
                    if root.is_some() || matches!(stack.last(), Some(Pending::Event(_))) {
                        return Err(lx.error(EXPECTED_OPERATOR));
                    }
                    if open_groups >= MAX_EXPRESSION_DEPTH {
                        return Err(lx.error(EXPRESSION_TOO_COMPLEX));
                    }
                    open_groups += 1;
                    stack.push(Pending::Group);
                    lx.bump();
                    lx.skip_whitespace();
                }
                Some(b')') => {
                    collect(&mut stack, &mut root).map_err(|message| lx.error(message))?;
                    match stack.pop() {
                        Some(Pending::Group) => open_groups = open_groups.saturating_sub(1),
                        _ => return Err(lx.error(MISMATCHED_PARENS)),
                    }
                    lx.bump();
                    lx.skip_whitespace();
                }
                _ => operator_or_operand(lx, &mut stack, &mut root, token_line)?,
            }
            if !lx.has_token() {
                break;
            }
        }
        // Only a comment can be left on this line.
        lx.next_line();
        if open_groups == 0 || lx.at_end() {
            break;
        }
    }

    collect(&mut stack, &mut root).map_err(|message| error_at(token_line, message))?;
    if !stack.is_empty() {
        return Err(lx.error(MISMATCHED_PARENS));
    }
    root.map(|tree| tree.expr)
        .ok_or_else(|| error_at(token_line, EXPECTED_EVENT))
}

/// Reads `and`, `or`, an event name or an argument. Keywords are compared before
/// dequoting, so `"and"` is an operand.
fn operator_or_operand(
    lx: &mut Lexer,
    stack: &mut Vec<Pending>,
    root: &mut Option<Tree>,
    token_line: usize,
) -> Result<(), ParseError> {
    let mark = lx.mark();
    let and = match lx.next_token(Delim::EventWord, false)?.as_str() {
        "and" => true,
        "or" => false,
        _ => {
            lx.reset(mark);
            let operand = lx.next_token(Delim::EventWord, true)?;
            return push_operand(lx, stack, operand);
        }
    };
    collect(stack, root).map_err(|message| error_at(token_line, message))?;
    let left = root
        .take()
        .ok_or_else(|| error_at(token_line, EXPECTED_EVENT))?;
    stack.push(Pending::Operator { and, left });
    Ok(())
}

/// An operand right after an event name (or its arguments) is one more argument;
/// anywhere else it names a new event.
fn push_operand(lx: &Lexer, stack: &mut Vec<Pending>, operand: String) -> Result<(), ParseError> {
    match stack.last_mut() {
        Some(Pending::Event(event)) => {
            let arg = match_arg(operand);
            let named_seen = event
                .args
                .iter()
                .any(|arg| !matches!(arg, MatchArg::Positional(_)));
            if named_seen && matches!(arg, MatchArg::Positional(_)) {
                return Err(lx.error(EXPECTED_VARIABLE));
            }
            event.args.push(arg);
        }
        _ => stack.push(Pending::Event(EventMatch {
            name: operand,
            args: Vec::new(),
        })),
    }
    Ok(())
}

/// `KEY!=VALUE`, `KEY=VALUE` or a positional value, split as Upstart's matcher splits it:
/// at the first `!=` if there is one, else at the first `=`.
fn match_arg(arg: String) -> MatchArg {
    if let Some((key, value)) = arg.split_once("!=") {
        MatchArg::NotEqual(key.to_string(), value.to_string())
    } else if let Some((key, value)) = arg.split_once('=') {
        MatchArg::Equal(key.to_string(), value.to_string())
    } else {
        MatchArg::Positional(arg)
    }
}

/// Folds the stack down to the nearest open parenthesis into `root`
/// (`parse_on_collect()`): every operator takes `root` as its right operand; an event
/// may only start a collection. Afterwards `root` is never empty.
fn collect(stack: &mut Vec<Pending>, root: &mut Option<Tree>) -> Result<(), &'static str> {
    while let Some(pending) = stack.pop() {
        match pending {
            Pending::Group => {
                // Not ours to collect: put it back.
                stack.push(Pending::Group);
                break;
            }
            Pending::Operator { and, left } => {
                let right = root.take().ok_or(EXPECTED_EVENT)?;
                *root = Some(combine(and, left, right)?);
            }
            Pending::Event(event) => {
                if root.is_some() {
                    return Err(EXPECTED_OPERATOR);
                }
                *root = Some(Tree {
                    expr: EventExpr::Match(event),
                    depth: 1,
                });
            }
        }
    }
    if root.is_none() {
        return Err(EXPECTED_EVENT);
    }
    Ok(())
}

fn combine(and: bool, left: Tree, right: Tree) -> Result<Tree, &'static str> {
    let depth = 1 + left.depth.max(right.depth);
    if depth > MAX_EXPRESSION_DEPTH {
        return Err(EXPRESSION_TOO_COMPLEX);
    }
    let (left, right) = (Box::new(left.expr), Box::new(right.expr));
    let expr = if and {
        EventExpr::And(left, right)
    } else {
        EventExpr::Or(left, right)
    };
    Ok(Tree { expr, depth })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_numbers() {
        assert_eq!(c_strtol(" 42", 10), Some(42));
        assert_eq!(c_strtol("+7", 10), Some(7));
        assert_eq!(c_strtol("-7", 10), Some(-7));
        assert_eq!(c_strtol("-+7", 10), None);
        assert_eq!(c_strtol("99foo", 10), None);
        assert_eq!(c_strtol("10000000000000000000", 10), None);
        assert_eq!(c_strtol("", 10), None);
        assert_eq!(c_strtoul("-1", 10), Some(u64::MAX));
        assert_eq!(c_strtoul("0755", 8), Some(0o755));
        assert_eq!(c_strtoul("999", 8), None);
        assert_eq!(c_strtoul("20000000000000000000", 10), None);
    }
}
