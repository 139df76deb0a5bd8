//! Conf directories: job names, several directories, `.override` files, error reports.

use kindling::job::confdir::{
    ignored_dir, is_job_file, job_name, load, override_job_name, ConfSource, LoadError, Loaded,
};
use kindling::job::JobClass;

fn source(dir: &str, files: &[(&str, &str)]) -> ConfSource {
    ConfSource {
        dir: dir.to_string(),
        files: files
            .iter()
            .map(|(path, text)| (path.to_string(), text.to_string()))
            .collect(),
    }
}

fn class<'a>(loaded: &'a Loaded, name: &str) -> &'a JobClass {
    loaded
        .classes
        .iter()
        .find(|class| class.name == name)
        .unwrap_or_else(|| panic!("no job {name} in {:?}", names(loaded)))
}

fn names(loaded: &Loaded) -> Vec<&str> {
    loaded
        .classes
        .iter()
        .map(|class| class.name.as_str())
        .collect()
}

fn errors(loaded: &Loaded) -> Vec<String> {
    loaded.errors.iter().map(ToString::to_string).collect()
}

fn description(loaded: &Loaded, name: &str) -> Option<String> {
    class(loaded, name).description.clone()
}

#[test]
fn job_names_from_relative_paths() {
    assert_eq!(job_name("apache.conf").as_deref(), Some("apache"));
    assert_eq!(job_name("net/apache.conf").as_deref(), Some("net/apache"));
    assert_eq!(job_name("a/b/c.conf").as_deref(), Some("a/b/c"));
    assert_eq!(job_name("/leading.conf").as_deref(), Some("leading"));
    assert_eq!(job_name("dotted.name.conf").as_deref(), Some("dotted.name"));
    assert_eq!(job_name(".hidden.conf").as_deref(), Some(".hidden"));
    assert_eq!(job_name("apache.override"), None);
    assert_eq!(job_name("apache"), None);
    assert_eq!(job_name("apache.conf.dpkg-old"), None);
    assert_eq!(job_name("apache.conf~"), None);
    assert_eq!(job_name("apache.CONF"), None);
    assert_eq!(job_name(".conf"), None);
    assert_eq!(job_name("net/.conf"), None);
    assert_eq!(job_name(""), None);
    // Directories Upstart's walk skips.
    assert_eq!(job_name(".git/x.conf"), None);
    assert_eq!(job_name("old~/x.conf"), None);
    assert_eq!(job_name("a//x.conf"), None);

    assert_eq!(
        override_job_name("net/apache.override").as_deref(),
        Some("net/apache")
    );
    assert_eq!(override_job_name("apache.conf"), None);
    assert!(is_job_file("x.conf") && is_job_file("x.override"));
    assert!(!is_job_file("x.conf.bak") && !is_job_file("README"));

    for dir in [
        ".svn",
        "CVS",
        "x~",
        "x.bak",
        "#x#",
        "x.dpkg-new",
        "x.rpmsave",
        "x.swp",
    ] {
        assert!(ignored_dir(dir), "{dir}");
    }
    for dir in ["net", "x.d", "conf"] {
        assert!(!ignored_dir(dir), "{dir}");
    }
}

#[test]
fn one_directory_sorted_by_name_other_files_ignored() {
    let loaded = load(&[source(
        "/etc/init",
        &[
            ("zeta.conf", "exec /bin/z\n"),
            ("net/apache.conf", "exec /usr/sbin/apache2\n"),
            ("alpha.conf", "task\n"),
            ("README", "this is not a job\n"),
            ("alpha.conf.dpkg-old", "wibble\n"),
        ],
    )]);
    assert_eq!(names(&loaded), ["alpha", "net/apache", "zeta"]);
    assert!(loaded.errors.is_empty(), "{:?}", errors(&loaded));
    assert!(class(&loaded, "alpha").task);
}

#[test]
fn a_broken_file_is_reported_and_not_loaded() {
    let loaded = load(&[source(
        "/etc/init/",
        &[
            ("bad.conf", "description x\nexec /bin/x\nwibble\n"),
            ("good.conf", "exec /bin/good\n"),
        ],
    )]);
    assert_eq!(names(&loaded), ["good"]);
    assert_eq!(errors(&loaded), ["/etc/init/bad.conf:3: Unknown stanza"]);
    assert_eq!(
        loaded.errors[0],
        LoadError {
            path: "/etc/init/bad.conf".into(),
            line: 3,
            message: "Unknown stanza".into()
        }
    );
}

#[test]
fn the_first_directory_with_a_valid_definition_wins() {
    let loaded = load(&[
        source(
            "/first",
            &[("a.conf", "description first\n"), ("b.conf", "wibble\n")],
        ),
        source(
            "/second",
            &[
                ("a.conf", "description second\n"),
                ("b.conf", "description second\n"),
                ("c.conf", "description second\n"),
            ],
        ),
    ]);
    assert_eq!(names(&loaded), ["a", "b", "c"]);
    assert_eq!(description(&loaded, "a").as_deref(), Some("first"));
    // A broken definition does not hide a valid one further down (conf_select_job()).
    assert_eq!(description(&loaded, "b").as_deref(), Some("second"));
    assert_eq!(errors(&loaded), ["/first/b.conf:1: Unknown stanza"]);
}

#[test]
fn overrides_apply_on_top_of_the_conf() {
    let loaded = load(&[source(
        "/etc/init",
        &[
            (
                "foo.conf",
                "description conf\nstart on startup\nenv A=1\nexec /bin/foo\n",
            ),
            ("foo.override", "manual\nenv B=2\ndescription override\n"),
            ("net/bar.conf", "start on net-device-up\n"),
            ("net/bar.override", "start on runlevel [2345]\n"),
            ("orphan.override", "description nobody\n"),
        ],
    )]);
    assert_eq!(
        names(&loaded),
        ["foo", "net/bar"],
        "an override alone is no job"
    );
    let foo = class(&loaded, "foo");
    assert_eq!(foo.start_on, None);
    assert_eq!(foo.description.as_deref(), Some("override"));
    assert_eq!(foo.env.len(), 2);
    assert_eq!(
        class(&loaded, "net/bar")
            .start_on
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("runlevel [2345]")
    );
    assert!(loaded.errors.is_empty());
}

#[test]
fn an_invalid_override_is_ignored_as_a_whole() {
    let loaded = load(&[source(
        "/etc/init",
        &[
            ("foo.conf", "description conf\nstart on startup\n"),
            ("foo.override", "manual\ndescription override\nwibble\n"),
        ],
    )]);
    let foo = class(&loaded, "foo");
    assert_eq!(foo.description.as_deref(), Some("conf"));
    assert!(
        foo.start_on.is_some(),
        "manual before the error is not applied"
    );
    assert_eq!(
        errors(&loaded),
        ["/etc/init/foo.override:3: Unknown stanza"]
    );
}

#[test]
fn the_first_override_in_directory_order_wins_but_not_below_the_conf() {
    let sources = [
        source("/a", &[("x.override", "description a\n")]),
        source(
            "/b",
            &[
                ("x.conf", "description conf\n"),
                ("x.override", "description b\n"),
                ("y.conf", "description conf\n"),
                ("y.override", "description b\n"),
            ],
        ),
        source(
            "/c",
            &[
                ("y.override", "description c\n"),
                ("z.conf", "description conf\n"),
            ],
        ),
        source("/d", &[("z.override", "description d\n")]),
    ];
    let loaded = load(&sources);
    assert_eq!(description(&loaded, "x").as_deref(), Some("a"));
    assert_eq!(description(&loaded, "y").as_deref(), Some("b"));
    // An override in a directory after the one holding the .conf does not count.
    assert_eq!(description(&loaded, "z").as_deref(), Some("conf"));
}

#[test]
fn an_override_shared_by_two_directories_is_reported_once() {
    let loaded = load(&[
        source(
            "/a",
            &[("x.conf", "description a\n"), ("x.override", "bad\n")],
        ),
        source("/b", &[("x.conf", "description b\n")]),
    ]);
    assert_eq!(description(&loaded, "x").as_deref(), Some("a"));
    assert_eq!(errors(&loaded), ["/a/x.override:1: Unknown stanza"]);
}

#[test]
fn errors_come_in_directory_then_path_order() {
    let loaded = load(&[
        source("/one", &[("z.conf", "bad\n"), ("a.conf", "\n\nbad\n")]),
        source("", &[("m.conf", "exec\n")]),
    ]);
    assert_eq!(
        errors(&loaded),
        [
            "/one/a.conf:3: Unknown stanza",
            "/one/z.conf:1: Unknown stanza",
            "m.conf:1: Expected token",
        ]
    );
    assert!(loaded.classes.is_empty());
}

#[test]
fn nothing_in_nothing_out() {
    assert_eq!(load(&[]), Loaded::default());
    assert_eq!(load(&[source("/etc/init", &[])]), Loaded::default());
}
