//! The command line's contract: text and JSON output, inputs, exit statuses and usage errors.

use crate::support::{Scratch, assert_at, service_entry};

#[test]
fn text_output_names_resource_path_and_position_and_underlines_the_span() {
    let scratch = Scratch::new("text");
    scratch.write("se.yaml", service_entry("stripe-api", "  hostz: [extra.example.com]\n"));
    let run = scratch.run(&["lint", "se.yaml"]);
    assert_eq!(run.code, 0, "a warning alone must not fail the run: {run:?}");
    let expected_header =
        "warning[MR0020] payments/stripe-api ServiceEntry spec.hostz (se.yaml:15:3): ";
    let header = run.stdout.lines().next().expect("a header line");
    assert!(header.starts_with(expected_header), "{}", run.stdout);
    assert!(header.contains("hostz"), "the message names the field: {header}");
    let excerpt: Vec<&str> = run.stdout.lines().skip(1).take(4).collect();
    assert_eq!(excerpt, ["   |", "15 |   hostz: [extra.example.com]", "   |   ^^^^^", ""]);
    assert_eq!(run.stderr, "1 warning\n");
}

#[test]
fn wrong_type_is_an_error_and_fails_the_run() {
    let scratch = Scratch::new("wrong-type");
    let yaml = service_entry("stripe-api", "").replace(
        "  ports:\n  - number: 443\n    name: https\n    protocol: TLS\n",
        "  ports: 443\n",
    );
    scratch.write("se.yaml", yaml);
    let run = scratch.run(&["lint", "se.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    let header = "error[MR0021] payments/stripe-api ServiceEntry spec.ports (se.yaml:11:10): ";
    assert!(run.stdout.starts_with(header), "{}", run.stdout);
    assert!(run.stdout.contains("\n11 |   ports: 443\n   |          ^^^\n"), "{}", run.stdout);
    assert!(run.stderr.starts_with("1 error"), "{}", run.stderr);

    let run = scratch.run(&["lint", "--format", "json", "se.yaml"]);
    assert_eq!(run.code, 1);
    assert_at(&run.only("MR0021"), "MR0021", "error", 11, 10);
}

#[test]
fn info_diagnostics_are_printed_and_do_not_fail_the_run() {
    let scratch = Scratch::new("info");
    scratch.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n");
    let run = scratch.run(&["lint", "cm.yaml"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("info[MR0013] (cm.yaml:2:7): "), "{}", run.stdout);
    assert_eq!(run.stderr, "1 info\n");
}

#[test]
fn json_output_has_exactly_the_documented_shape() {
    let scratch = Scratch::new("json");
    scratch.write("se.yaml", service_entry("stripe-api", "  hostz: [extra.example.com]\n"));
    scratch.write("list.yaml", "- a\n- b\n");
    let run = scratch.run(&["lint", "--format", "json", "se.yaml", "missing.yaml", "list.yaml"]);
    assert_eq!(run.code, 2, "an unreadable input decides the exit status: {run:?}");
    assert_eq!(run.stdout.lines().count(), 1, "one object on one line");
    let json = run.json();
    let top: Vec<&String> = json.as_object().expect("an object").keys().collect();
    assert_eq!(top, ["diagnostics", "summary"]);

    let diagnostics = run.diagnostics();
    let keys = [
        "code",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "kind",
        "namespace",
        "name",
        "path",
        "istio_code",
    ];
    for diag in &diagnostics {
        let object = diag.as_object().expect("each diagnostic is an object");
        let found: Vec<&str> = object.keys().map(String::as_str).collect();
        assert_eq!(found, keys, "every key present, in order: {diag}");
        assert!(
            diag["code"].as_str().is_some_and(|code| code.len() == 6 && code.starts_with("MR"))
        );
        assert!(matches!(diag["severity"].as_str(), Some("error" | "warning" | "info")));
        assert!(diag["message"].as_str().is_some_and(|message| !message.is_empty()));
        for key in ["file", "kind", "namespace", "name", "path", "istio_code"] {
            assert!(diag[key].is_string() || diag[key].is_null(), "{key}: {diag}");
        }
        for key in ["line", "column"] {
            assert!(diag[key].is_u64() || diag[key].is_null(), "{key}: {diag}");
        }
    }

    // Located, with a resource and a path.
    let unknown = run.only("MR0020");
    assert_at(&unknown, "MR0020", "warning", 15, 3);
    assert_eq!(unknown["file"], "se.yaml");
    assert_eq!(unknown["kind"], "ServiceEntry");
    assert_eq!(unknown["namespace"], "payments");
    assert_eq!(unknown["name"], "stripe-api");
    assert_eq!(unknown["path"], "spec.hostz");
    assert!(unknown["istio_code"].is_null());

    // Located, but about no resource.
    let not_resource = run.only("MR0011");
    assert_at(&not_resource, "MR0011", "error", 1, 1);
    assert_eq!(not_resource["file"], "list.yaml");
    for key in ["kind", "namespace", "name", "path", "istio_code"] {
        assert!(not_resource[key].is_null(), "{key}: {not_resource}");
    }

    // Not located at all: the file was never read.
    let unreadable = run.only("MR0030");
    assert_eq!(unreadable["severity"], "error");
    assert_eq!(unreadable["file"], "missing.yaml");
    assert!(unreadable["message"].as_str().is_some_and(|message| message.contains("missing.yaml")));
    for key in ["line", "column", "kind", "namespace", "name", "path", "istio_code"] {
        assert!(unreadable[key].is_null(), "{key}: {unreadable}");
    }

    let count = |severity: &str| diagnostics.iter().filter(|d| d["severity"] == severity).count();
    let summary = &json["summary"];
    let summary_keys: Vec<&String> = summary.as_object().expect("an object").keys().collect();
    assert_eq!(summary_keys, ["errors", "warnings", "infos"]);
    assert_eq!(summary["errors"].as_u64(), Some(count("error") as u64));
    assert_eq!(summary["warnings"].as_u64(), Some(count("warning") as u64));
    assert_eq!(summary["infos"].as_u64(), Some(count("info") as u64));
    assert!(run.stderr.is_empty(), "JSON runs keep stderr quiet: {}", run.stderr);
}

#[test]
fn stdin_is_read_for_a_dash() {
    let scratch = Scratch::new("stdin");
    let yaml = service_entry("stripe-api", "  hostz: [extra.example.com]\n");
    let run = scratch.run_with_stdin(&["lint", "--format", "json", "-"], yaml.as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    let diag = run.only("MR0020");
    assert_at(&diag, "MR0020", "warning", 15, 3);
    assert_eq!(diag["file"], "-");

    let run = scratch.run_with_stdin(&["lint", "-"], yaml.as_bytes());
    assert!(run.stdout.contains("(-:15:3)"), "{}", run.stdout);
}

#[test]
fn directories_are_read_recursively_in_path_order_for_yaml_yml_and_json_only() {
    let scratch = Scratch::new("dirs");
    // Each input is a list document, which is always an error, so each read file shows up.
    scratch.write("conf/z.yaml", "- a\n");
    scratch.write("conf/sub/b.yml", "- a\n");
    scratch.write("conf/sub/deeper/c.json", "[\"a\"]\n");
    scratch.write("conf/a.yaml", "- a\n");
    scratch.write("conf/notes.txt", "- a\n");
    scratch.write("conf/a.yaml.bak", "- a\n");
    scratch.write("conf/README", "- a\n");
    scratch.write("conf/empty/nothing.txt", "");
    let run = scratch.run(&["lint", "--format", "json", "conf"]);
    assert_eq!(run.code, 1, "{run:?}");
    let files: Vec<String> =
        run.diagnostics().iter().map(|d| d["file"].as_str().expect("file").to_string()).collect();
    assert_eq!(files, ["conf/a.yaml", "conf/sub/b.yml", "conf/sub/deeper/c.json", "conf/z.yaml"]);
    assert!(run.codes().iter().all(|code| code == "MR0011"), "{}", run.stdout);

    // A directory with nothing to read is not an error: there is just nothing to lint.
    let run = scratch.run(&["lint", "conf/empty"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("no .yaml, .yml or .json files in conf/empty"), "{}", run.stderr);
}

#[test]
fn an_unreadable_path_is_reported_and_the_other_inputs_still_linted() {
    let scratch = Scratch::new("unreadable");
    scratch.write("list.yaml", "- a\n");
    let run = scratch.run(&["lint", "missing.yaml", "list.yaml"]);
    assert_eq!(run.code, 2, "{run:?}");
    let first = run.stdout.lines().next().expect("a line");
    assert!(
        first.starts_with("error[MR0030] (missing.yaml): cannot read `missing.yaml`"),
        "{first}"
    );
    assert!(run.stdout.contains("error[MR0011] (list.yaml:1:1)"), "{}", run.stdout);
    assert!(run.stderr.starts_with("2 errors"), "{}", run.stderr);

    let run = scratch.run(&["lint", "--format", "json", "no/such/dir"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.only("MR0030")["file"], "no/such/dir");
}

#[test]
fn an_input_over_the_size_limit_is_refused_without_reading_it() {
    let scratch = Scratch::new("too-large");
    let path = scratch.write("huge.yaml", "");
    // Sparse: the size check must come from metadata, not from reading 65 MiB.
    let file = std::fs::OpenOptions::new().write(true).open(&path).expect("open");
    file.set_len(65 * 1024 * 1024).expect("grow sparse file");
    let run = scratch.run(&["lint", "--format", "json", "huge.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    let diag = run.only("MR0031");
    assert_eq!(diag["severity"], "error");
    assert_eq!(diag["file"], "huge.yaml");
}

#[test]
fn usage_errors_exit_2() {
    let scratch = Scratch::new("usage");
    scratch.write("ok.yaml", service_entry("ok", ""));
    let cases: [(&[&str], &str); 5] = [
        (&["lint", "--frobnicate", "ok.yaml"], "unexpected argument '--frobnicate'"),
        (&["lint", "--format", "xml", "ok.yaml"], "invalid value 'xml' for '--format <FORMAT>'"),
        (&["lint"], "Usage: meshroute lint"),
        (&[], "Usage: meshroute <COMMAND>"),
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
    ];
    for (args, needle) in cases {
        let run = scratch.run(args);
        assert_eq!(run.code, 2, "meshroute {args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "usage errors go to stderr: {run:?}");
        assert!(run.stderr.contains(needle), "meshroute {args:?}: {}", run.stderr);
    }
}

#[test]
fn help_describes_the_lint_command() {
    let scratch = Scratch::new("help");
    let run = scratch.run(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("lint"), "{}", run.stdout);

    let run = scratch.run(&["lint", "--help"]);
    assert_eq!(run.code, 0);
    for needle in ["--format", "json", "`-` for stdin", "*.yml", "Exit status", "NO_COLOR"] {
        assert!(run.stdout.contains(needle), "lint --help lacks {needle:?}:\n{}", run.stdout);
    }
}

#[test]
fn diagnostics_of_documents_before_a_syntax_error_are_kept() {
    let scratch = Scratch::new("kept");
    let yaml = format!(
        "{}---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {{name: [broken\n",
        service_entry("stripe-api", "  hostz: [extra.example.com]\n")
    );
    scratch.write("se.yaml", yaml);
    let run = scratch.run(&["lint", "--format", "json", "se.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_at(&run.only("MR0020"), "MR0020", "warning", 15, 3);
    let syntax = run.only("MR0001");
    assert_eq!(syntax["severity"], "error");
    assert!(syntax["line"].as_u64().is_some_and(|line| line >= 19), "{syntax}");
}

#[test]
fn text_output_never_passes_control_characters_to_the_terminal() {
    let scratch = Scratch::new("control");
    // A YAML escape puts a real ESC into a key, which the unknown-field warning then names.
    scratch.write("escape.yaml", service_entry("stripe-api", "  \"ho\\e[2Jst\": x\n"));
    // A raw BEL in a value: whatever the core makes of it, its excerpt shows the line.
    scratch.write("bell.yaml", "kind: Service\x07Entry\n");
    let run = scratch.run(&["lint", "escape.yaml", "bell.yaml"]);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    // Escape-free stdout is checked for every run by the harness; BEL is checked here.
    assert!(!run.stdout.contains('\x07'), "{}", run.stdout);
    assert!(run.stdout.contains("warning[MR0020]"), "{}", run.stdout);
    assert!(run.stdout.contains("(bell.yaml:1:"), "{}", run.stdout);
}
