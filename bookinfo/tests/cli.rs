//! The `bookinfo` binary's command line as a shell sees it: exit codes, help, completions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn bookinfo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bookinfo"))
        .args(args)
        .output()
        .expect("bookinfo runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_bad_argument_exits_2_naming_it() {
    for (args, named) in [
        (&["--port", "x"][..], "'--port <PORT>'"),
        (&["--nope"], "'--nope'"),
        (
            &["mesh", "--ingress-port", "99999"],
            "'--ingress-port <PORT>'",
        ),
        (&["mesh", "apply"], "--filename <FILE|DIR|->"),
        (&["mesh", "stats", "reviews", "ratings"], "'ratings'"),
        (&["mesh", "get", "gtw", "-o", "json"], "'json'"),
        (
            &["traffic", "--concurrency", "0"],
            "'--concurrency <CONCURRENCY>'",
        ),
        (
            &["traffic", "--url", "https://example.com"],
            "not an http:// URL",
        ),
    ] {
        let output = bookinfo(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

/// Asserts that `args` print help with exit code 0 and that it mentions each of `words`.
fn assert_help(args: &[&str], words: &[&str]) {
    let output = bookinfo(args);
    assert_eq!(output.status.code(), Some(0), "{args:?}");
    let help = text(&output.stdout);
    for word in words {
        assert!(help.contains(word), "{args:?} help lacks {word}: {help}");
    }
}

#[test]
fn help_lists_the_subcommands_and_exits_0() {
    assert_help(
        &["--help"],
        &[
            "mesh",
            "traffic",
            "completions",
            "--port",
            "--pooled",
            "[default: 9080]",
        ],
    );
    assert_help(
        &["mesh", "apply", "--help"],
        &["-f, --filename <FILE|DIR|->"],
    );
    assert_help(
        &["traffic", "--help"],
        &[
            "--rate <RATE>",
            "--signed-in-share",
            "[default: http://localhost:9080]",
        ],
    );
}

#[test]
fn completions_print_a_script_for_the_shell() {
    let output = bookinfo(&["completions", "bash"]);
    assert_eq!(output.status.code(), Some(0));
    let script = text(&output.stdout);
    assert!(script.contains("complete -F _bookinfo"), "{script}");
    assert!(script.contains("--ingress-port"), "{script}");
}
