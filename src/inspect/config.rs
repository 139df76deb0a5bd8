//! `show-config`, `check-config` and `usage`, computed from the loaded job classes.
//!
//! Pure functions over the classes the daemon has loaded, producing initctl's output lines in
//! Upstart's format (util/initctl.c `show_config_action()`, `job_class_parse_events()`,
//! `check_condition()`, and the expectations of util/tests/test_initctl.c). Classes are
//! listed in name order (Upstart used hash order, which nobody can rely on).

use crate::event::fnmatch::fnmatch;
use crate::event::{EventExpr, EventMatch};
use crate::job::JobClass;

/// Events init emits itself, and the job events, which `check-config` treats as known
/// (Upstart's `IS_INIT_EVENT()`; `session-end` belongs to Session Inits only).
pub const INIT_EVENTS: &[&str] = &[
    "startup",
    "debug",
    "control-alt-delete",
    "keyboard-request",
    "power-status-changed",
    "starting",
    "started",
    "stopping",
    "stopped",
];

const JOB_EVENTS: &[&str] = &["starting", "started", "stopping", "stopped"];

fn sorted<'a>(classes: impl IntoIterator<Item = &'a JobClass>) -> Vec<&'a JobClass> {
    let mut classes: Vec<&JobClass> = classes.into_iter().collect();
    classes.sort_by(|a, b| a.name.cmp(&b.name));
    classes
}

/// A leaf's arguments as initctl sees them, and the job a job event names: `JOB=NAME`
/// anywhere, or a first positional without `=` (Upstart's `GET_JOB_NAME`). Like upstream,
/// the walk stops at an empty argument.
fn split_job(leaf: &EventMatch) -> (Option<String>, Vec<String>) {
    let job_event = JOB_EVENTS.contains(&leaf.name.as_str());
    let mut job = None;
    let mut rest = Vec::new();
    for (index, arg) in leaf.args.iter().enumerate() {
        let text = arg.to_string();
        if text.is_empty() {
            break;
        }
        if job_event && job.is_none() {
            if let Some(name) = text.strip_prefix("JOB=") {
                job = Some(name.to_string());
                continue;
            }
            if index == 0 && !text.contains('=') {
                job = Some(text);
                continue;
            }
        }
        rest.push(text);
    }
    (job, rest)
}

/// `initctl show-config [-e] [JOB]`: for each class its name, `  emits X` lines, then
/// `  start on EXPR` / `  stop on EXPR` fully parenthesised; with `enumerate`, one line per
/// leaf instead: `  start on EVENT (job: JOB, env: ARGS)`. An unknown `job` is an error.
pub fn show_config<'a>(
    classes: impl IntoIterator<Item = &'a JobClass>,
    job: Option<&str>,
    enumerate: bool,
) -> Result<Vec<String>, String> {
    let classes = sorted(classes);
    let selected: Vec<&JobClass> = match job {
        Some(name) => match classes.iter().find(|class| class.name == name) {
            Some(class) => vec![*class],
            None => return Err(format!("Unknown job: {name}")),
        },
        None => classes,
    };
    let mut lines = Vec::new();
    for class in selected {
        lines.push(class.name.clone());
        for event in &class.emits {
            lines.push(format!("  emits {event}"));
        }
        for (stanza, expr) in [("start on", &class.start_on), ("stop on", &class.stop_on)] {
            let Some(expr) = expr else { continue };
            if enumerate {
                for leaf in expr.leaves() {
                    let (job, rest) = split_job(leaf);
                    let job = job.map(|name| format!(" {name}")).unwrap_or_default();
                    let env: String = rest.iter().map(|arg| format!(" {arg}")).collect();
                    lines.push(format!("  {stanza} {} (job:{job}, env:{env})", leaf.name));
                }
            } else {
                lines.push(format!("  {stanza} {expr}"));
            }
        }
    }
    Ok(lines)
}

/// `initctl usage JOB`: the job's `usage` text (empty when it has none).
pub fn usage<'a>(
    classes: impl IntoIterator<Item = &'a JobClass>,
    job: &str,
) -> Result<String, String> {
    classes
        .into_iter()
        .find(|class| class.name == job)
        .map(|class| class.usage.clone().unwrap_or_default())
        .ok_or_else(|| format!("Unknown job: {job}"))
}

/// What `check-config` knows: every job name, every `emits` pattern, the ignored events.
struct Known<'a> {
    jobs: Vec<&'a str>,
    emits: Vec<&'a str>,
    ignored: &'a [String],
}

impl Known<'_> {
    /// A job reference is fine if the job exists or is a variable (`stopped $JOB`).
    fn job(&self, job: &str) -> bool {
        job.starts_with('$') || self.jobs.contains(&job)
    }

    /// An event is fine if some job `emits` it (a glob), init emits it, or it is ignored.
    fn event(&self, event: &str) -> bool {
        self.emits.iter().any(|pattern| fnmatch(pattern, event))
            || INIT_EVENTS.contains(&event)
            || self.ignored.iter().any(|ignored| ignored == event)
    }
}

/// One leaf's problems, in the order initctl prints them (event first, then job).
fn leaf_errors(leaf: &EventMatch, known: &Known<'_>) -> Vec<String> {
    let mut errors = Vec::new();
    if !known.event(&leaf.name) {
        errors.push(format!("unknown event {}", leaf.name));
    }
    if let (Some(job), _) = split_job(leaf) {
        if !known.job(&job) {
            errors.push(format!("unknown job {job}"));
        }
    }
    errors
}

/// Whether a subtree can be satisfied; with `warn` every operator counts as `and`.
fn satisfiable(expr: &EventExpr, known: &Known<'_>, warn: bool) -> bool {
    match expr {
        EventExpr::Match(leaf) => leaf_errors(leaf, known).is_empty(),
        EventExpr::And(left, right) => {
            satisfiable(left, known, warn) && satisfiable(right, known, warn)
        }
        EventExpr::Or(left, right) => {
            let (l, r) = (
                satisfiable(left, known, warn),
                satisfiable(right, known, warn),
            );
            if warn {
                l && r
            } else {
                l || r
            }
        }
    }
}

/// The first unsatisfiable node in Upstart's walk order: the root, then operator nodes
/// pre-order, right operand before left (initctl builds its tree with the operands swapped).
fn first_failure<'e>(
    expr: &'e EventExpr,
    known: &Known<'_>,
    warn: bool,
    root: bool,
) -> Option<&'e EventExpr> {
    let operator = !matches!(expr, EventExpr::Match(_));
    if (operator || root) && !satisfiable(expr, known, warn) {
        return Some(expr);
    }
    match expr {
        EventExpr::Match(_) => None,
        EventExpr::And(left, right) | EventExpr::Or(left, right) => {
            first_failure(right, known, warn, false)
                .or_else(|| first_failure(left, known, warn, false))
        }
    }
}

/// `initctl check-config [-i EVENTS] [-w] [JOB]`: for every class with an unsatisfiable
/// `start on`/`stop on`, its name and then `  start on: unknown job X` /
/// `  stop on: unknown event Y` lines (the leaves of the first failing subtree, last leaf
/// first, as upstream prints them). Empty when all is well; the caller exits 1 otherwise.
/// A `job` that does not exist is `Invalid job class: JOB`.
pub fn check_config<'a>(
    classes: impl IntoIterator<Item = &'a JobClass>,
    job: Option<&str>,
    ignored: &[String],
    warn: bool,
) -> Result<Vec<String>, String> {
    let classes = sorted(classes);
    if let Some(name) = job {
        if !classes.iter().any(|class| class.name == name) {
            return Err(format!("Invalid job class: {name}"));
        }
    }
    let known = Known {
        jobs: classes.iter().map(|class| class.name.as_str()).collect(),
        emits: classes
            .iter()
            .flat_map(|class| class.emits.iter().map(String::as_str))
            .collect(),
        ignored,
    };
    let mut lines = Vec::new();
    for class in &classes {
        if job.is_some_and(|name| name != class.name) {
            continue;
        }
        let mut shown = false;
        for (stanza, expr) in [("start on", &class.start_on), ("stop on", &class.stop_on)] {
            let Some(expr) = expr else { continue };
            let Some(failed) = first_failure(expr, &known, warn, true) else {
                continue;
            };
            if !shown {
                lines.push(class.name.clone());
                shown = true;
            }
            for leaf in failed.leaves().into_iter().rev() {
                for error in leaf_errors(leaf, &known) {
                    lines.push(format!("  {stanza}: {error}"));
                }
            }
        }
    }
    Ok(lines)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::job::parse_job;

    fn class(name: &str, text: &str) -> JobClass {
        parse_job(name, text).expect("job parses")
    }

    #[test]
    fn show_config_without_conditions() {
        let classes = [class("foo", "author \"foo\"\ndescription \"wibble\"\n")];
        assert_eq!(show_config(&classes, Some("foo"), false).unwrap(), ["foo"]);
        assert_eq!(show_config(&classes, Some("foo"), true).unwrap(), ["foo"]);
        assert_eq!(
            show_config(&classes, Some("bar"), false),
            Err("Unknown job: bar".into())
        );
    }

    #[test]
    fn show_config_lists_emits_then_conditions() {
        let classes = [class(
            "foo",
            "emits \"bong\"\nstop on (A or stopping c=d e=f g=h JOB=\"bang\")\n\
             emits \"stime\"\nstart on (starting JOB=\"boo\" P=Q c=sea or B x=y)\n",
        )];
        assert_eq!(
            show_config(&classes, None, false).unwrap(),
            [
                "foo",
                "  emits bong",
                "  emits stime",
                "  start on (starting JOB=boo P=Q c=sea or B x=y)",
                "  stop on (A or stopping c=d e=f g=h JOB=bang)",
            ]
        );
        assert_eq!(
            show_config(&classes, None, true).unwrap(),
            [
                "foo",
                "  emits bong",
                "  emits stime",
                "  start on starting (job: boo, env: P=Q c=sea)",
                "  start on B (job:, env: x=y)",
                "  stop on A (job:, env:)",
                "  stop on stopping (job: bang, env: c=d e=f g=h)",
            ]
        );
    }

    #[test]
    fn show_config_complex_expressions() {
        let classes = [class(
            "foo",
            "emits \"bong\"\nstop on runlevel [!2345] colour=blue or starting rocket\n\
             emits \"bar\"\nemits \"stime\"\n\
             start on (starting mountall or (runlevel [016] and \
             (stopped gdm or stopped kdm or stopped xdm A=B or stopping lxdm)))\n",
        )];
        assert_eq!(
            show_config(&classes, Some("foo"), false).unwrap(),
            [
                "foo",
                "  emits bong",
                "  emits bar",
                "  emits stime",
                "  start on (starting mountall or (runlevel [016] and \
                 (((stopped gdm or stopped kdm) or stopped xdm A=B) or stopping lxdm)))",
                "  stop on (runlevel [!2345] colour=blue or starting rocket)",
            ]
        );
        assert_eq!(
            show_config(&classes, Some("foo"), true).unwrap(),
            [
                "foo",
                "  emits bong",
                "  emits bar",
                "  emits stime",
                "  start on starting (job: mountall, env:)",
                "  start on runlevel (job:, env: [016])",
                "  start on stopped (job: gdm, env:)",
                "  start on stopped (job: kdm, env:)",
                "  start on stopped (job: xdm, env: A=B)",
                "  start on stopping (job: lxdm, env:)",
                "  stop on runlevel (job:, env: [!2345] colour=blue)",
                "  stop on starting (job: rocket, env:)",
            ]
        );
    }

    #[test]
    fn show_config_lists_all_classes_by_name() {
        let classes = [class("b", "start on x\n"), class("a", "stop on y\n")];
        assert_eq!(
            show_config(&classes, None, false).unwrap(),
            ["a", "  stop on y", "b", "  start on x"]
        );
    }

    #[test]
    fn usage_text_or_empty() {
        let classes = [
            class("foo", "usage \"this is usage\"\n"),
            class("bar", "exec true\n"),
        ];
        assert_eq!(usage(&classes, "foo").unwrap(), "this is usage");
        assert_eq!(usage(&classes, "bar").unwrap(), "");
        assert_eq!(usage(&classes, "baz"), Err("Unknown job: baz".into()));
    }

    fn check(classes: &[JobClass], ignored: &[&str], warn: bool) -> Vec<String> {
        let ignored: Vec<String> = ignored.iter().map(|s| s.to_string()).collect();
        check_config(classes, None, &ignored, warn).unwrap()
    }

    #[test]
    fn check_config_satisfied_by_job_or_event() {
        let foo = class("foo", "start on (starting bar or wibble)\n");
        let bar = class("bar", "task\nexec true\n");
        let baz = class("baz", "emits wibble\n");
        assert!(check(&[foo.clone(), bar.clone(), baz.clone()], &[], false).is_empty());
        assert!(check(&[foo.clone(), bar.clone()], &[], false).is_empty());
        assert!(check(&[foo, baz], &[], false).is_empty());
    }

    #[test]
    fn check_config_unreachable_event_and_job() {
        let foo = class("foo", "start on (starting bar and wibble)\n");
        let bar = class("bar", "task\nexec true\n");
        let baz = class("baz", "emits wibble\n");
        assert_eq!(
            check(&[foo.clone(), bar.clone()], &[], false),
            ["foo", "  start on: unknown event wibble"]
        );
        assert_eq!(
            check(&[foo.clone(), baz], &[], false),
            ["foo", "  start on: unknown job bar"]
        );
        assert!(check(&[foo, bar], &["wibble"], false).is_empty());
        let fred = class("foo", "start on (fred and wilma)\n");
        assert!(check(&[fred], &["wilma", "foo", "fred"], false).is_empty());
    }

    const PLYMOUTH: &str = "start on (starting mountall\n\
        or (runlevel [016]\n\
        and (stopped gdm\n\
        or stopped kdm\n\
        or stopped xdm\n\
        or stopped lxdm)))\n";

    #[test]
    fn check_config_complex_start_on() {
        let plymouth = class("plymouth", PLYMOUTH);
        let mountall = class("mountall", "exec true\n");
        let gdm = class("gdm", "exec true\n");
        assert!(check(
            &[plymouth.clone(), mountall.clone(), gdm],
            &["runlevel"],
            false
        )
        .is_empty());
        assert_eq!(
            check(&[plymouth, mountall], &["runlevel"], false),
            [
                "plymouth",
                "  start on: unknown job lxdm",
                "  start on: unknown job xdm",
                "  start on: unknown job kdm",
                "  start on: unknown job gdm",
            ]
        );
    }

    #[test]
    fn check_config_complex_stop_on_with_start_on() {
        let plymouth = class(
            "plymouth",
            &(PLYMOUTH.replace("start on", "stop on")
                + "start on (stopping portmap\n or (runlevel [06] or starting beano))\n"),
        );
        let jobs = [
            plymouth,
            class("mountall", "exec true\n"),
            class("portmap", "exec true\n"),
            class("beano", "exec true\n"),
        ];
        assert_eq!(
            check(&jobs, &["runlevel"], false),
            [
                "plymouth",
                "  stop on: unknown job lxdm",
                "  stop on: unknown job xdm",
                "  stop on: unknown job kdm",
                "  stop on: unknown job gdm",
            ]
        );
    }

    const HELLO: &str = "start on (starting mountall\n\
        or (hello\n\
        and (stopped gdm\n\
        or stopped kdm\n\
        or stopped xdm\n\
        or stopped lxdm)))\n\
        stop on (stopping portmap\n\
        or (wibble or starting beano))\n";

    #[test]
    fn check_config_both_conditions_unsatisfiable() {
        let jobs = [
            class("plymouth", HELLO),
            class("mountall", "exec true\n"),
            class("portmap", "exec true\n"),
        ];
        assert_eq!(
            check(&jobs, &[], false),
            [
                "plymouth",
                "  start on: unknown job lxdm",
                "  start on: unknown job xdm",
                "  start on: unknown job kdm",
                "  start on: unknown job gdm",
                "  start on: unknown event hello",
                "  stop on: unknown job beano",
                "  stop on: unknown event wibble",
            ]
        );
        let jobs = [
            class("plymouth", HELLO),
            class("mountall", "exec true\n"),
            class("portmap", "exec true\nemits hello\n"),
            class("gdm", "exec true\n"),
        ];
        assert_eq!(
            check(&jobs, &[], false),
            [
                "plymouth",
                "  stop on: unknown job beano",
                "  stop on: unknown event wibble",
            ]
        );
    }

    #[test]
    fn check_config_warn_mode_treats_or_as_and() {
        let text = "start on (starting mountall\n\
            or (hello\n\
            and (stopped gdm\n\
            or (stopped kdm\n\
            or (stopped xdm\n\
            or stopped lxdm)))))\n\
            stop on (stopping portmap\n\
            or (wibble or starting beano))\n";
        let jobs = [
            class("plymouth", text),
            class("mountall", "exec true\n"),
            class("portmap", "exec true\nemits hello\n"),
            class("lxdm", "exec true\n"),
            class("wibble", "emits wibble\n"),
            class("beano", "exec true\n"),
        ];
        assert!(check(&jobs, &[], false).is_empty());
        assert_eq!(
            check(&jobs, &[], true),
            [
                "plymouth",
                "  start on: unknown job xdm",
                "  start on: unknown job kdm",
                "  start on: unknown job gdm",
            ]
        );
    }

    #[test]
    fn check_config_single_leaf_emits_globs_and_variables() {
        let jobs = [
            class("a", "start on net-device-up\n"),
            class("b", "emits net-device-*\n"),
            class("c", "start on stopped $JOB\n"),
            class("d", "start on startup or control-alt-delete\n"),
        ];
        assert!(check(&jobs, &[], false).is_empty());
        let lonely = [class("a", "start on nothing-emits-this\n")];
        assert_eq!(
            check(&lonely, &[], false),
            ["a", "  start on: unknown event nothing-emits-this"]
        );
    }

    #[test]
    fn check_config_for_one_job() {
        let jobs = [class("a", "start on x\n"), class("b", "start on y\n")];
        assert_eq!(
            check_config(&jobs, Some("b"), &[], false).unwrap(),
            ["b", "  start on: unknown event y"]
        );
        assert_eq!(
            check_config(&jobs, Some("zz"), &[], false),
            Err("Invalid job class: zz".into())
        );
    }
}
