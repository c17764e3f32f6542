//! Command-line mistakes: each exits 2 with a message that names the flag, before any
//! configuration is explained, and prints nothing on stdout.

use crate::CONFIG;
use crate::support::{Run, Scratch};

fn assert_usage_error(run: &Run, mentions: &[&str]) {
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing on stdout: {run:?}");
    for mention in mentions {
        assert!(run.stderr.contains(mention), "stderr should mention {mention:?}: {}", run.stderr);
    }
}

#[test]
fn a_destination_is_required() {
    let scratch = Scratch::new("no-host");
    scratch.write("mesh.yaml", CONFIG);
    for subcommand in ["explain", "simulate"] {
        let run = scratch.run(&[subcommand, "-f", "mesh.yaml", "--from", "payments"]);
        assert_usage_error(&run, &["--host", "--dest-ip", "required"]);
    }
}

#[test]
fn malformed_headers_cookies_and_dns_answers_are_refused() {
    let scratch = Scratch::new("malformed");
    scratch.write("mesh.yaml", CONFIG);
    let cases: &[(&[&str], &[&str])] = &[
        (&["--header", "x-user alice"], &["--header", "Name: value"]),
        (&["--header", "x user: alice"], &["--header", "not a header name"]),
        (&["--cookie", "session"], &["--cookie", "name=value"]),
        (&["--cookie", "s=1", "--cookie", "s=2"], &["--cookie `s` is given twice"]),
        (&["--dns", "geo.example.com=10.0.0.300"], &["--dns", "not an IP address"]),
        (&["--query", "=x"], &["--query", "name"]),
        (&["--source-ip", "pod-7"], &["--source-ip"]),
        (&["--protocol", "udp"], &["--protocol", "udp"]),
    ];
    for (extra, mentions) in cases {
        let mut args = vec!["explain", "-f", "mesh.yaml", "--host", "geo.example.com"];
        args.extend_from_slice(extra);
        assert_usage_error(&scratch.run(&args), mentions);
    }
}

#[test]
fn ports_must_be_numbers_from_1_to_65535() {
    let scratch = Scratch::new("port");
    scratch.write("mesh.yaml", CONFIG);
    for port in ["https", "0", "65536", "-1"] {
        let run =
            scratch.run(&["explain", "-f", "mesh.yaml", "--host", "a.example.com", "--port", port]);
        assert_usage_error(&run, &["--port"]);
    }
}

#[test]
fn unreadable_configuration_is_not_explained() {
    let scratch = Scratch::new("unreadable");
    scratch.write("mesh.yaml", CONFIG);
    for subcommand in ["explain", "simulate"] {
        let args =
            [subcommand, "-f", "mesh.yaml", "-f", "missing.yaml", "--host", "api.stripe.com"];
        let run = scratch.run(&args);
        assert_usage_error(&run, &["cannot read `missing.yaml`", "no such file or directory"]);
    }
}

#[test]
fn simulate_needs_at_least_one_request() {
    let scratch = Scratch::new("simulate-n");
    scratch.write("mesh.yaml", CONFIG);
    for n in ["0", "many", "1000001"] {
        let run =
            scratch.run(&["simulate", "-f", "mesh.yaml", "--host", "geo.example.com", "-n", n]);
        assert_usage_error(&run, &["-n"]);
    }
    let run =
        scratch.run(&["simulate", "-f", "mesh.yaml", "--host", "geo.example.com", "--seed", "x"]);
    assert_usage_error(&run, &["--seed"]);
}

#[test]
fn help_lists_the_request_flags() {
    let scratch = Scratch::new("help");
    let run = scratch.run(&["explain", "--help"]);
    assert_eq!(run.code, 0, "{run:?}");
    for flag in
        ["--host", "--dest-ip", "--header", "--cookie", "--dns", "--outbound-policy", "--format"]
    {
        assert!(run.stdout.contains(flag), "{flag} in help:\n{}", run.stdout);
    }
    let run = scratch.run(&["simulate", "--help"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("--seed") && run.stdout.contains("-n <N>"), "{}", run.stdout);
}

#[test]
fn requests_the_engine_refuses_are_usage_errors() {
    let scratch = Scratch::new("refused");
    scratch.write("mesh.yaml", CONFIG);
    // Clap takes an empty --host; the engine's request check does not.
    for subcommand in ["explain", "simulate"] {
        let run = scratch.run(&[subcommand, "-f", "mesh.yaml", "--host", ""]);
        assert_usage_error(&run, &["invalid request", "host", &format!("meshroute {subcommand}")]);
    }
}
