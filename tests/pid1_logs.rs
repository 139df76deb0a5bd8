//! `console log` from outside: job output in `LOGDIR/JOB[-INSTANCE].log`.

mod pid1;

use pid1::{Sandbox, TIMEOUT};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

fn wait_for_log_file(sandbox: &Sandbox, name: &str, needle: &str) -> String {
    let path = sandbox.logdir.join(name);
    sandbox.wait_for(
        &format!("{needle:?} in {}", path.display()),
        TIMEOUT,
        || {
            std::fs::read_to_string(&path)
                .ok()
                .filter(|t| t.contains(needle))
        },
    )
}

#[test]
fn output_lands_in_the_job_log_with_lf_endings_and_mode_0640() {
    let job = "start on startup\ntask\n\
               script\n\
               \x20 echo line one\n\
               \x20 echo line two >&2\n\
               \x20 printf 'tab\\there\\n'\n\
               \x20 printf 'last line'\n\
               end script\n";
    let sandbox = Sandbox::start(&[("chatty", job)], &[]);
    let text = wait_for_log_file(&sandbox, "chatty.log", "last line");
    assert_eq!(text, "line one\nline two\ntab\there\nlast line", "{text:?}");
    assert!(!text.contains('\r'));
    let mode = std::fs::metadata(sandbox.logdir.join("chatty.log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o640, "{mode:o}");
}

#[test]
fn log_is_appended_across_runs_and_respawns() {
    let job = "start on startup\nrespawn\nrespawn limit 2 10\n\
               script\n  echo run $$\n  exit 1\nend script\n";
    let sandbox = Sandbox::start(&[("again", job)], &[]);
    sandbox.wait_for_log("again respawning too fast, stopped", TIMEOUT);
    let path = sandbox.logdir.join("again.log");
    let text = sandbox.wait_for("three runs in again.log", TIMEOUT, || {
        std::fs::read_to_string(&path)
            .ok()
            .filter(|t| t.lines().count() >= 3)
    });
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text:?}");
    assert!(lines.iter().all(|l| l.starts_with("run ")), "{text:?}");
}

#[test]
fn instance_and_directory_names_make_the_file_name() {
    // Two jobs in a sub-directory; `tagged` runs one instance per job that stops.
    let producer = "start on startup\ntask\nexec true\n";
    let tagged = "instance $JOB\nstart on stopped JOB=producers/*\ntask\n\
                  exec echo \"instance $UPSTART_INSTANCE of $UPSTART_JOB\"\n";
    let service = "start on startup\nexec echo from a sub-directory\n";
    let sandbox = Sandbox::start(
        &[
            ("producers/one", producer),
            ("producers/two", producer),
            ("tagged", tagged),
            ("sub/service", service),
        ],
        &[],
    );
    let one = wait_for_log_file(&sandbox, "tagged-producers_one.log", "\n");
    assert_eq!(one, "instance producers/one of tagged\n");
    let two = wait_for_log_file(&sandbox, "tagged-producers_two.log", "\n");
    assert_eq!(two, "instance producers/two of tagged\n");
    let sub = wait_for_log_file(&sandbox, "sub_service.log", "\n");
    assert_eq!(sub, "from a sub-directory\n");
    // Jobs that print nothing leave no file behind.
    assert!(sandbox.stays(Duration::from_millis(200), || {
        sandbox.logdir.join("producers_one.log").exists()
    }));
}

#[test]
fn no_log_option_and_console_none_discard_output() {
    let job = "start on startup\ntask\nexec echo discarded\n";
    let sandbox = Sandbox::start(&[("quiet", job)], &["--no-log"]);
    sandbox.wait_for_log("quiet main process", TIMEOUT);
    assert!(sandbox.stays(Duration::from_millis(200), || {
        sandbox.logdir.join("quiet.log").exists()
    }));
    drop(sandbox);

    let sandbox = Sandbox::start(&[("quiet", job)], &["--default-console", "none"]);
    sandbox.wait_for_log("quiet main process", TIMEOUT);
    assert!(!sandbox.logdir.join("quiet.log").exists());
    assert!(!sandbox.console_text().contains("discarded"));
}

#[test]
fn a_large_burst_of_output_is_logged_whole() {
    // 20,000 numbered lines, faster than any pty buffer.
    let job = "start on startup\ntask\nexec seq 1 20000\n";
    let sandbox = Sandbox::start(&[("burst", job)], &[]);
    let text = wait_for_log_file(&sandbox, "burst.log", "\n20000\n");
    let expected: String = (1..=20000).map(|n| format!("{n}\n")).collect();
    assert_eq!(text.len(), expected.len());
    assert!(text == expected, "the log differs from seq's output");
}

#[test]
fn output_of_children_that_outlive_the_main_process_is_logged() {
    let job = "start on startup\ntask\n\
               script\n\
               \x20 (sleep 0.3; echo late) &\n\
               \x20 echo early\n\
               end script\n";
    let sandbox = Sandbox::start(&[("late", job)], &[]);
    let text = wait_for_log_file(&sandbox, "late.log", "late\n");
    assert_eq!(text, "early\nlate\n");
}

#[test]
fn a_full_log_disk_does_not_stop_the_job_or_init() {
    // The log directory on the sandbox's 16 MiB /var/log tmpfs: a job writes 40 MiB.
    let flood = "start on startup\ntask\n\
                 script\n\
                 \x20 head -c 41943040 /dev/zero | tr '\\0' 'x' | fold -w 1000\n\
                 \x20 echo flooded > @OUT@/flooded\n\
                 end script\n";
    let kbd = "start on keyboard-request\ntask\nexec sh -c 'echo yes > @OUT@/alive'\n";
    let sandbox = Sandbox::start(
        &[("flood", flood), ("kbd", kbd)],
        &["--logdir", "/var/log/upstart"],
    );
    sandbox.wait_for_file("flooded", Duration::from_secs(60));
    sandbox.wait_for_log("flood main process", TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_file("alive", TIMEOUT);
    // The disk did fill up.
    let df = sandbox.nsenter(&["df", "-k", "--output=avail", "/var/log"]);
    let df = String::from_utf8_lossy(&df.stdout);
    assert_eq!(df.lines().nth(1).map(str::trim), Some("0"), "{df}");
}

#[test]
fn a_chatty_service_does_not_starve_init() {
    // A service that writes as fast as it can (to a log on the sandbox's tmpfs) while init
    // must still answer signals promptly.
    let chatty = "start on startup\n\
                  script\n\
                  \x20 while :; do echo 0123456789012345678901234567890123456789; done\n\
                  end script\n";
    let kbd = "start on keyboard-request\ntask\nexec sh -c 'echo x >> @OUT@/answers'\n";
    let sandbox = Sandbox::start(
        &[("chatty", chatty), ("kbd", kbd)],
        &["--logdir", "/var/log/upstart"],
    );
    sandbox.wait_for_process("/bin/sh -e -c while :", TIMEOUT);
    std::thread::sleep(Duration::from_millis(300));
    for round in 1..=5 {
        let start = std::time::Instant::now();
        sandbox.signal(libc::SIGWINCH);
        sandbox.wait_for_lines("answers", round, TIMEOUT);
        // The task must be over before the next event, or that event finds it running.
        sandbox.wait_for_log_count("kbd main process", round, TIMEOUT);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "round {round} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn a_rotated_log_is_reopened() {
    // logrotate with `compress` (Ubuntu's upstart rules): the file is renamed, compressed,
    // and the renamed file removed. Upstream notices the unlinked file and reopens its path.
    let job = "start on startup\n\
               script\n  n=0\n  while :; do n=$((n + 1)); echo line $n; sleep 0.05; done\nend script\n";
    let sandbox = Sandbox::start(&[("rotated", job)], &[]);
    wait_for_log_file(&sandbox, "rotated.log", "line 3\n");
    let path = sandbox.logdir.join("rotated.log");
    let rotated = sandbox.logdir.join("rotated.log.1");
    std::fs::rename(&path, &rotated).unwrap();
    let old = std::fs::read_to_string(&rotated).unwrap();
    std::fs::remove_file(&rotated).unwrap();
    let fresh = sandbox.wait_for("a new rotated.log", TIMEOUT, || {
        std::fs::read_to_string(&path)
            .ok()
            .filter(|t| t.lines().count() >= 2)
    });
    assert!(fresh.starts_with("line "), "{fresh}");
    let last_old: u32 = old.lines().last().unwrap()[5..].parse().unwrap();
    let first_new: u32 = fresh.lines().next().unwrap()[5..].parse().unwrap();
    assert!(
        first_new > last_old,
        "old ends at {last_old}, new starts at {first_new}"
    );
}

#[test]
fn a_symlink_at_the_log_path_is_not_followed() {
    let job = "start on startup\ntask\nexec echo secret output\n";
    let sandbox = Sandbox::start(&[], &["--no-startup-event"]);
    let target = sandbox.dir.join("victim");
    std::fs::write(&target, "untouched\n").unwrap();
    std::os::unix::fs::symlink(&target, sandbox.logdir.join("sneaky.log")).unwrap();
    sandbox.write_job(
        "sneaky",
        &job.replace("start on startup", "start on keyboard-request"),
    );
    std::thread::sleep(Duration::from_millis(400));
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_log("sneaky main process", TIMEOUT);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched\n");
}

#[test]
fn an_existing_log_file_keeps_its_owner_and_mode() {
    let job = "start on keyboard-request\ntask\nsetuid nobody\nexec echo as nobody\n";
    let sandbox = Sandbox::start(&[("mine", job)], &[]);
    let path = sandbox.logdir.join("mine.log");
    std::fs::write(&path, "before\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    sandbox.signal(libc::SIGWINCH);
    let text = wait_for_log_file(&sandbox, "mine.log", "as nobody\n");
    assert_eq!(text, "before\nas nobody\n");
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    use std::os::unix::fs::MetadataExt;
    assert_eq!(meta.uid(), 0);
}

#[test]
fn every_process_of_a_job_logs_to_the_same_file() {
    let job = "start on startup\nstop on keyboard-request\n\
               pre-start exec echo from pre-start\n\
               post-start exec echo from post-start\n\
               exec sh -c 'echo from main; exec sleep 1000'\n\
               pre-stop exec echo from pre-stop\n\
               post-stop exec echo from post-stop\n";
    let sandbox = Sandbox::start(&[("all", job)], &[]);
    wait_for_log_file(&sandbox, "all.log", "from post-start\n");
    wait_for_log_file(&sandbox, "all.log", "from main\n");
    sandbox.signal(libc::SIGWINCH);
    let text = wait_for_log_file(&sandbox, "all.log", "from post-stop\n");
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "from pre-start", "{text}");
    assert_eq!(lines[3], "from pre-stop", "{text}");
    assert_eq!(lines[4], "from post-stop", "{text}");
    lines[1..3].sort_unstable();
    assert_eq!(lines[1..3], ["from main", "from post-start"], "{text}");
    assert_eq!(lines.len(), 5, "{text}");
}
