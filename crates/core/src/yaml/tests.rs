//! Tests of the span-keeping YAML tree and its limits.

use super::*;

fn root(text: &str) -> Node<'_> {
    let (docs, errors) = parse(text);
    assert!(errors.is_empty(), "{errors:?}");
    docs.into_iter().next().and_then(|doc| doc.root).expect("one document")
}

#[test]
fn spans_are_byte_offsets() {
    let text = "name: \"é\"\nport: 443\n";
    let node = root(text);
    let port = node.get("port").unwrap();
    assert_eq!(&text[port.span.start as usize..port.span.end as usize], "443");
    let name = node.get("name").unwrap();
    assert_eq!(&text[name.span.start as usize..name.span.end as usize], "\"é\"");
}

#[test]
fn core_schema_resolves_plain_scalars_only() {
    let node = root("a: 443\nb: \"443\"\nc: true\nd: ~\ne: 1.5\nf: 0x1F\ng: yes\n");
    let value = |key: &str| node.get(key).unwrap().as_scalar().unwrap().value();
    assert_eq!(value("a"), ScalarValue::Int(443));
    assert_eq!(value("b"), ScalarValue::Str("443"));
    assert_eq!(value("c"), ScalarValue::Bool(true));
    assert_eq!(value("d"), ScalarValue::Null);
    assert_eq!(value("e"), ScalarValue::Float(1.5));
    assert_eq!(value("f"), ScalarValue::Int(31));
    assert_eq!(value("g"), ScalarValue::Str("yes"));
}

#[test]
fn huge_integers_saturate_instead_of_becoming_strings() {
    let node = root("port: 99999999999999999999999999999999999999999999\n");
    assert_eq!(node.get("port").unwrap().as_scalar().unwrap().value(), ScalarValue::Int(i128::MAX));
}

#[test]
fn multiple_documents_and_json() {
    let (docs, errors) = parse("a: 1\n---\n{\"b\": [1, 2]}\n---\n");
    assert!(errors.is_empty());
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[1].root.as_ref().unwrap().get("b").unwrap().as_seq().unwrap().len(), 2);
    assert!(docs[2].root.is_none());
}

#[test]
fn duplicate_keys_keep_the_first_value() {
    let (docs, errors) = parse("a: 1\na: 2\n");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, YamlErrorKind::DuplicateKey);
    assert_eq!(errors[0].span, Span::new(5, 6));
    let node = docs[0].root.as_ref().unwrap();
    assert_eq!(node.get("a").unwrap().as_scalar().unwrap().value(), ScalarValue::Int(1));
}

#[test]
fn documents_before_a_syntax_error_are_kept() {
    let (docs, errors) = parse("a: 1\n---\nb: [1, 2\n");
    assert_eq!(docs.len(), 1);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, YamlErrorKind::Syntax);
}

#[test]
fn deep_nesting_is_cut_off_without_recursion() {
    let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let (_docs, errors) = parse(&text);
    assert!(
        errors.iter().any(|e| matches!(e.kind, YamlErrorKind::TooDeep | YamlErrorKind::Syntax)),
        "{errors:?}"
    );
}

#[test]
fn block_nesting_is_cut_off() {
    let mut text = String::new();
    for depth in 0..1_000 {
        text.push_str(&" ".repeat(depth));
        text.push_str("a:\n");
    }
    let (_docs, errors) = parse(&text);
    assert_eq!(errors.first().map(|e| e.kind), Some(YamlErrorKind::TooDeep), "{errors:?}");
}

#[test]
fn alias_bombs_are_defused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let prev = level - 1;
        text.push_str(&format!("a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    let (_docs, errors) = parse(&text);
    assert!(errors.iter().any(|e| e.kind == YamlErrorKind::AliasBomb), "{errors:?}");
}

#[test]
fn ordinary_aliases_expand() {
    let node = root("base: &labels {app: web}\ncopy: *labels\n");
    assert_eq!(node.get("copy").unwrap().get("app").unwrap().as_str(), Some("web"));
}

#[test]
fn tabs_as_indentation_are_syntax_errors() {
    let (_docs, errors) = parse("spec:\n\thosts: [a]\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, YamlErrorKind::Syntax);
}

#[test]
fn tab_errors_point_at_the_tab() {
    let text = "a:\n  b: c\n\tresolution: DNS\n";
    let (_docs, errors) = parse(text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].span.start as usize, text.find('\t').unwrap(), "{errors:?}");
}

#[test]
fn forbidden_control_characters_are_found() {
    assert_eq!(first_forbidden_char("kind: Service\u{7}Entry\n"), Some((13, '\u{7}')));
    assert_eq!(first_forbidden_char("a:\tb\r\n"), None);
    assert_eq!(first_forbidden_char("x\u{7f}"), Some((1, '\u{7f}')));
}

#[test]
fn only_tab_messages_get_the_tab_hint() {
    assert!(mentions_tab("while scanning a plain scalar, found a tab"));
    assert!(mentions_tab("tabs disallowed within this context"));
    assert!(!mentions_tab("found unprintable character"));
}

mod differential;
