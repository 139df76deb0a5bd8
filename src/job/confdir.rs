//! Conf directories → job classes: job names from paths, several directories in priority
//! order, `.override` files (Upstart 1.13.2 `init/conf.c`, decisions.md).
//!
//! Pure: the daemon walks the directories, reads the files and hands in their text as
//! [`ConfSource`]s; [`load`] returns the classes and every error as `PATH:LINE: MESSAGE`.
//!
//! * A job's name is its path relative to the directory minus `.conf`: `net/apache.conf`
//!   is `net/apache` ([`job_name`]).
//! * When several directories define a name, the first one (in the order given) with a
//!   definition that parses wins, as in `conf_select_job()`. Broken definitions are still
//!   reported.
//! * `NAME.override` is parsed on top of `NAME.conf`. The first override found, searching
//!   the directories in order but no further than the one holding the `.conf`, is used
//!   (`conf_get_best_override()`). An override without a `.conf` is ignored.
//! * An override that fails to parse is ignored as a whole and reported; the job keeps its
//!   `.conf` definition (decisions.md; Upstart 1.13.2 half-applied it).

use super::{parse_job, parse_override, JobClass, ParseError};
use std::collections::BTreeMap;
use std::fmt;

const CONF_EXT: &str = ".conf";
const OVERRIDE_EXT: &str = ".override";

/// One conf directory and the files read from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfSource {
    /// The directory, e.g. `/etc/init`; only used to name files in errors.
    pub dir: String,
    /// `(path relative to dir, text)`. Other files than `*.conf`/`*.override` are ignored.
    pub files: Vec<(String, String)>,
}

/// A file that was not (or, for an override, not entirely) used: `PATH:LINE: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

impl std::error::Error for LoadError {}

/// The outcome of [`load`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// One class per job name, sorted by name.
    pub classes: Vec<JobClass>,
    /// In directory order, then path order; each error once.
    pub errors: Vec<LoadError>,
}

/// The job a `.conf` file defines: `net/apache.conf` → `net/apache`. `None` for other
/// files, for a bare `.conf`, and for files under directories Upstart's walk skips
/// ([`ignored_dir`]).
pub fn job_name(relative: &str) -> Option<String> {
    name_with_extension(relative, CONF_EXT)
}

/// The job a `.override` file applies to: `net/apache.override` → `net/apache`.
pub fn override_job_name(relative: &str) -> Option<String> {
    name_with_extension(relative, OVERRIDE_EXT)
}

/// Whether the daemon should read this file at all: a `.conf` or `.override` file that
/// names a job.
pub fn is_job_file(relative: &str) -> bool {
    job_name(relative).is_some() || override_job_name(relative).is_some()
}

/// Directories Upstart's walk does not enter (libnih `nih_file_ignore()`): hidden,
/// editor backups and swap files, version-control and packaging leftovers.
pub fn ignored_dir(name: &str) -> bool {
    const VCS: &[&str] = &[
        "RCS",
        "CVS",
        "CVS.adm",
        "SCCS",
        "BitKeeper",
        "{arch}",
        "_darcs",
    ];
    const SUFFIXES: &[&str] = &["~", ".bak", ".BAK", ".swp", ".swo", ".swn", ",v"];
    const PACKAGING: &[&str] = &[".dpkg-", ".rpmsave", ".rpmorig", ".rpmnew"];
    let extension = name
        .rfind('.')
        .and_then(|dot| name.get(dot..))
        .unwrap_or("");
    name.starts_with('.')
        || (name.len() >= 2 && name.starts_with('#') && name.ends_with('#'))
        || SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
        || VCS.contains(&name)
        || PACKAGING.iter().any(|prefix| extension.starts_with(prefix))
}

fn name_with_extension(relative: &str, extension: &str) -> Option<String> {
    let stem = relative.trim_start_matches('/').strip_suffix(extension)?;
    let mut components = stem.split('/');
    let file = components.next_back()?;
    let dirs_ok = components.all(|dir| !dir.is_empty() && !ignored_dir(dir));
    (!file.is_empty() && dirs_ok).then(|| stem.to_string())
}

/// Loads every job of `sources` (highest priority first); see the module header.
pub fn load(sources: &[ConfSource]) -> Loaded {
    let overrides: Vec<BTreeMap<String, (&str, &str)>> = sources.iter().map(overrides_in).collect();
    let mut classes: BTreeMap<String, JobClass> = BTreeMap::new();
    let mut errors: Vec<LoadError> = Vec::new();

    for (index, source) in sources.iter().enumerate() {
        for (relative, text) in sorted_files(source) {
            let Some(name) = job_name(relative) else {
                continue;
            };
            let class = match parse_job(&name, text) {
                Ok(class) => class,
                Err(error) => {
                    report(&mut errors, load_error(source, relative, error));
                    continue;
                }
            };
            // The first override in directory order, looking no further than this one.
            let best = sources
                .iter()
                .zip(&overrides)
                .take(index + 1)
                .find_map(|(source, found)| Some((source, *found.get(&name)?)));
            let class = match best {
                None => class,
                Some((source, (path, text))) => match parse_override(class.clone(), text) {
                    Ok(with_override) => with_override,
                    Err(error) => {
                        report(&mut errors, load_error(source, path, error));
                        class
                    }
                },
            };
            classes.entry(name).or_insert(class);
        }
    }

    Loaded {
        classes: classes.into_values().collect(),
        errors,
    }
}

/// An override can apply to `.conf` files of several directories; say it once.
fn report(errors: &mut Vec<LoadError>, error: LoadError) {
    if !errors.contains(&error) {
        errors.push(error);
    }
}

/// A source's files in path order, so results do not depend on directory listing order.
fn sorted_files(source: &ConfSource) -> Vec<(&str, &str)> {
    let mut files: Vec<(&str, &str)> = source
        .files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    files
}

/// The override files of one source by job name: `(path, text)`.
fn overrides_in(source: &ConfSource) -> BTreeMap<String, (&str, &str)> {
    let mut found = BTreeMap::new();
    for (path, text) in sorted_files(source) {
        if let Some(name) = override_job_name(path) {
            found.entry(name).or_insert((path, text));
        }
    }
    found
}

fn load_error(source: &ConfSource, relative: &str, error: ParseError) -> LoadError {
    LoadError {
        path: join(&source.dir, relative),
        line: error.line,
        message: error.message,
    }
}

fn join(dir: &str, relative: &str) -> String {
    let relative = relative.trim_start_matches('/');
    if dir.is_empty() {
        relative.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), relative)
    }
}
