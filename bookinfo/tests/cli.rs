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
    ] {
        let output = bookinfo(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_lists_the_subcommands_and_exits_0() {
    let output = bookinfo(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = text(&output.stdout);
    for word in [
        "mesh",
        "completions",
        "--port",
        "--pooled",
        "[default: 9080]",
    ] {
        assert!(help.contains(word), "help lacks {word}: {help}");
    }
    let output = bookinfo(&["mesh", "apply", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("-f, --filename <FILE|DIR|->"));
}

#[test]
fn completions_print_a_script_for_the_shell() {
    let output = bookinfo(&["completions", "bash"]);
    assert_eq!(output.status.code(), Some(0));
    let script = text(&output.stdout);
    assert!(script.contains("complete -F _bookinfo"), "{script}");
    assert!(script.contains("--ingress-port"), "{script}");
}
