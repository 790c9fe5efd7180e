//! Where outputs go: `-` is stdout, devices and FIFOs are written in place
//! (never replaced), a report set replaces the folder's old set as a whole,
//! a closed stdout is a normal end, and progress lines appear when stderr is
//! not a terminal.

use std::collections::BTreeMap;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_scaletwin");

fn scaletwin(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run scaletwin")
}

/// A fresh, empty temporary folder for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scaletwin-paths-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The JSON report of the default scenario for 60 s at `seed`, from the library.
fn default_json(seed: u64) -> String {
    let sets = ["run.duration=60s".to_owned(), format!("seed={seed}")];
    let (_, plan) = scaletwin::scenario::load(None, &sets).unwrap();
    scaletwin::simulate(&plan).to_json()
}

/// Every file of a folder (hidden ones included): name -> bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Names in `dir` other than `keep`.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_to_a_fifo_is_written_in_place_for_its_reader() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = scaletwin(&[
        "run",
        "-q",
        "--duration",
        "60s",
        "--seed",
        "3",
        "--json",
        fifo.to_str().unwrap(),
    ]);
    assert_ok(&out);
    assert_eq!(
        crate::without_provenance(&reader.join().unwrap()),
        default_json(3)
    );
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "still a FIFO, not replaced by a file");
    assert!(
        others(&dir, &["report.fifo"]).is_empty(),
        "no temporary left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_to_a_character_device_is_written_in_place() {
    let dir = temp_dir("device");
    let null = dir.join("null");
    // A copy of /dev/null (major 1, minor 3): needs root or CAP_MKNOD.
    let made = Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: mknod is not permitted here");
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }
    let out = scaletwin(&[
        "run",
        "-q",
        "--duration",
        "60s",
        "--json",
        null.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let kind = std::fs::symlink_metadata(&null).unwrap().file_type();
    assert!(kind.is_char_device(), "still a device, not a regular file");
    assert!(others(&dir, &["null"]).is_empty(), "no temporary left");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_dash_is_stdout_and_holds_the_json_alone() {
    let out = scaletwin(&["run", "--duration", "60s", "--seed", "5", "--json", "-"]);
    assert_ok(&out);
    assert_eq!(
        crate::without_provenance(&String::from_utf8(out.stdout).unwrap()),
        default_json(5)
    );
    // `--out -` is a mistake: a folder is needed.
    let out = scaletwin(&["run", "--duration", "60s", "--out", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out takes a folder"));
}

#[test]
fn a_closed_stdout_is_a_normal_end() {
    for args in [
        &["run", "--duration", "60s"][..],
        &["graph", "scenarios/stage4-services.ron"],
        &["validate", "scenarios/mm1.ron"],
    ] {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before scaletwin writes a byte.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: nothing to say: {err}");
    }
}

#[test]
fn a_missing_input_cannot_be_read() {
    for args in [
        &["check", "/nonexistent/report.json"][..],
        &["merge", "/nonexistent/part.json"],
    ] {
        let out = scaletwin(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            err.contains("/nonexistent/") && err.contains("cannot read"),
            "{err}"
        );
        assert!(!err.contains("cannot write"), "{err}");
    }
}

/// `run --out DIR` of `scenario` for 60 s at `seed`.
fn run_out(scenario: &str, seed: &str, dir: &Path) -> std::process::Output {
    scaletwin(&[
        "run",
        scenario,
        "-q",
        "--duration",
        "60s",
        "--seed",
        seed,
        "--out",
        dir.to_str().unwrap(),
    ])
}

#[test]
fn a_second_run_into_the_same_folder_leaves_no_file_of_the_first() {
    let base = temp_dir("second");
    let dir = base.join("out");
    assert_ok(&run_out("scenarios/data-cache-tiers.ron", "1", &dir));
    assert!(
        dir.join("caches.svg").exists(),
        "the first set has cache charts"
    );
    assert_ok(&run_out("scenarios/default.ron", "1", &dir));
    let reference = base.join("reference");
    assert_ok(&run_out("scenarios/default.ron", "1", &reference));
    assert!(!dir.join("caches.svg").exists(), "stale chart removed");
    assert_eq!(contents(&dir), contents(&reference), "exactly the new set");
    let manifest = std::fs::read_to_string(dir.join(".scaletwin-report-set")).unwrap();
    assert!(manifest.lines().any(|l| l == "report.html"), "{manifest}");
    assert_eq!(others(&base, &["out", "reference"]), Vec::<String>::new());
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn a_folder_with_files_scaletwin_did_not_write_is_refused_and_kept() {
    let base = temp_dir("foreign");
    let dir = base.join("out");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = run_out("scenarios/default.ron", "1", &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("notes.txt") && err.contains("did not write"),
        "{err}"
    );
    assert_eq!(others(&dir, &[]), ["notes.txt"]);
    // A file added beside an earlier set is the user's too.
    let set = base.join("set");
    assert_ok(&run_out("scenarios/default.ron", "1", &set));
    std::fs::write(set.join("notes.txt"), "mine").unwrap();
    let out = run_out("scenarios/default.ron", "2", &set);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(set.join("notes.txt")).unwrap(), b"mine");
    // An empty folder takes a set.
    let empty = base.join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_ok(&run_out("scenarios/default.ron", "1", &empty));
    assert!(empty.join("report.html").exists());
    std::fs::remove_dir_all(&base).unwrap();
}

/// A run killed (SIGKILL) while it writes its set leaves the folder with the
/// old complete set or the new one, never a mix; the next run removes what
/// the killed one left behind.
#[test]
fn a_run_killed_while_writing_its_set_leaves_the_old_set_or_the_new_one() {
    let base = temp_dir("kill");
    let dir = base.join("out");
    let reference = base.join("reference");
    assert_ok(&run_out("scenarios/default.ron", "2", &reference));
    let new = contents(&reference);
    let mut hit_the_write = 0;
    for attempt in 0..3 {
        let _ = std::fs::remove_dir_all(&dir);
        assert_ok(&run_out("scenarios/data-cache-tiers.ron", "1", &dir));
        let old = contents(&dir);
        let mut child = Command::new(BIN)
            .args(["run", "scenarios/default.ron", "-q", "--duration", "60s"])
            .args(["--seed", "2", "--out", dir.to_str().unwrap()])
            .spawn()
            .unwrap();
        // Kill it as soon as its temporary set appears beside the folder
        // (later on each attempt), or when it has ended.
        let mut seen = 0;
        loop {
            if others(&base, &["out", "reference"])
                .iter()
                .any(|n| n.contains("scaletwin-new"))
            {
                seen += 1;
                if seen > attempt {
                    hit_the_write += 1;
                    break;
                }
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let now = contents(&dir);
        assert!(
            now == old || now == new,
            "attempt {attempt}: a mix of two sets"
        );
        // The next run cleans up after the killed one.
        assert_ok(&run_out("scenarios/default.ron", "2", &dir));
        assert_eq!(contents(&dir), new);
        assert_eq!(others(&base, &["out", "reference"]), Vec::<String>::new());
    }
    eprintln!("{hit_the_write} of 3 kills landed while the set was being written");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn progress_lines_appear_when_stderr_is_not_a_terminal() {
    let run = |quiet: bool| {
        let mut args = vec!["run", "--duration", "5m", "--progress-every", "50ms"];
        if quiet {
            args.push("-q");
        }
        let out = scaletwin(&args);
        assert_ok(&out);
        String::from_utf8(out.stderr).unwrap()
    };
    let err = run(false);
    let lines: Vec<_> = err.lines().collect();
    assert!(lines.len() >= 2, "{err}");
    for l in &lines {
        assert!(
            l.starts_with("scaletwin: simulated ")
                && l.contains(" of 5m 00s (")
                && l.contains("elapsed"),
            "{l}"
        );
    }
    assert!(lines.iter().any(|l| l.contains("left")), "{err}");
    assert_eq!(run(true), "", "--quiet prints no progress");
    // Batches print runs done.
    let dir = temp_dir("progress");
    let json = dir.join("stages.json");
    let out = scaletwin(&[
        "stages",
        "scenarios/stage1-single-server.ron",
        "--set",
        "run.duration=30s",
        "--replications",
        "1",
        "--max-requests",
        "3000000",
        "--progress-every",
        "50ms",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.lines()
            .any(|l| l.starts_with("scaletwin: ") && l.contains(" of 6 runs done")),
        "{err}"
    );
    let out = scaletwin(&["run", "--progress-every", "0s"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_stderr_is_no_crash() {
    // Progress lines and an error message, both to a stderr nobody reads.
    for (args, code) in [
        (
            &["run", "--duration", "2m", "--progress-every", "1ms"][..],
            0,
        ),
        (&["run", "--set", "workload.users=-5"], 2),
    ] {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        assert_eq!(child.wait().unwrap().code(), Some(code), "{args:?}");
    }
}

/// Sends SIGINT, as Ctrl-C does, to a child.
fn interrupt(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn ctrl_c_removes_the_temporaries_and_keeps_the_old_set() {
    let base = temp_dir("sigint");
    let dir = base.join("out");
    assert_ok(&run_out("scenarios/data-cache-tiers.ron", "1", &dir));
    let old = contents(&dir);
    // During the simulation: nothing is written, the old set stays.
    let mut child = Command::new(BIN)
        .args(["run", "scenarios/default.ron", "-q", "--duration", "30m"])
        .args(["--out", dir.to_str().unwrap()])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    interrupt(&child);
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(contents(&dir), old);
    assert_eq!(others(&base, &["out"]), Vec::<String>::new());
    // While the set is written: the temporary set goes with the process,
    // and the folder holds the old set or the new one.
    for attempt in 0..3 {
        let mut child = Command::new(BIN)
            .args(["run", "scenarios/default.ron", "-q", "--duration", "60s"])
            .args(["--seed", "2", "--out", dir.to_str().unwrap()])
            .spawn()
            .unwrap();
        let mut seen = 0;
        while child.try_wait().unwrap().is_none() {
            if others(&base, &["out"])
                .iter()
                .any(|n| n.contains("scaletwin-new"))
            {
                seen += 1;
                if seen > attempt {
                    interrupt(&child);
                    break;
                }
            }
        }
        let code = child.wait().unwrap().code();
        assert!(code == Some(130) || code == Some(0), "{code:?}");
        // No later run cleaned up: the interrupted one did.
        assert_eq!(
            others(&base, &["out"]),
            Vec::<String>::new(),
            "attempt {attempt}"
        );
        let now = contents(&dir);
        assert!(now == old || now.contains_key(".scaletwin-report-set"));
        // Put the old set back for the next attempt.
        let _ = std::fs::remove_dir_all(&dir);
        assert_ok(&run_out("scenarios/data-cache-tiers.ron", "1", &dir));
    }
    std::fs::remove_dir_all(&base).unwrap();
}
