//! Table tests for host matching: one line per case, named after the rule it pins.

use super::*;

macro_rules! host_match {
    ($($name:ident: $a:literal ~ $b:literal => $expected:literal;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(matches($a, $b), $expected, "matches({:?}, {:?})", $a, $b);
            assert_eq!(matches($b, $a), $expected, "matches is symmetric: ({:?}, {:?})", $b, $a);
        }
    )*};
}

macro_rules! host_subset {
    ($($name:ident: $a:literal <= $b:literal => $expected:literal;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(subset_of($a, $b), $expected, "subset_of({:?}, {:?})", $a, $b);
        }
    )*};
}

macro_rules! most_specific {
    ($($name:ident: $needle:literal in [$($candidate:literal),*] => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            let got = most_specific_match($needle, [$($candidate),*]).map(|(host, _)| host);
            assert_eq!(got, $expected, "most specific match of {:?}", $needle);
        }
    )*};
}

macro_rules! wildcard_domain {
    ($($name:ident: $host:literal => $ok:literal;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(validate_wildcard_domain($host).is_ok(), $ok, "{:?}: {:?}", $host, validate_wildcard_domain($host));
        }
    )*};
}

host_match! {
    exact_equal_hosts_match: "api.stripe.com" ~ "api.stripe.com" => true;
    exact_different_hosts_do_not_match: "api.stripe.com" ~ "api.paypal.com" => false;
    host_matching_is_case_sensitive_in_istiod: "API.stripe.com" ~ "api.stripe.com" => false;
    wildcard_covers_one_label: "*.example.com" ~ "api.example.com" => true;
    wildcard_covers_any_depth: "*.example.com" ~ "a.b.example.com" => true;
    wildcard_does_not_cover_its_apex: "*.example.com" ~ "example.com" => false;
    star_covers_everything: "*" ~ "anything.at.all" => true;
    star_covers_wildcards: "*" ~ "*.example.com" => true;
    wildcards_overlap_when_suffixes_nest: "*.com" ~ "*.example.com" => true;
    disjoint_wildcards_do_not_overlap: "*.example.com" ~ "*.example.org" => false;
    partial_wildcard_covers_apex: "*example.com" ~ "example.com" => true;
    partial_wildcard_covers_longer_label: "*example.com" ~ "barexample.com" => true;
    suffix_must_align_on_the_string_not_labels: "*.ample.com" ~ "api.example.com" => false;
}

host_subset! {
    equal_exact_is_subset: "a.foo.com" <= "a.foo.com" => true;
    exact_is_subset_of_covering_wildcard: "a.foo.com" <= "*.foo.com" => true;
    wildcard_is_never_subset_of_exact: "*.foo.com" <= "a.foo.com" => false;
    narrower_wildcard_is_subset: "*.foo.com" <= "*.com" => true;
    broader_wildcard_is_not_subset: "*.com" <= "*.foo.com" => false;
    everything_is_subset_of_star: "*.foo.com" <= "*" => true;
    apex_is_not_subset_of_its_wildcard: "foo.com" <= "*.foo.com" => false;
}

most_specific! {
    exact_beats_wildcard: "api.example.com" in ["*.example.com", "api.example.com"] => Some("api.example.com");
    longer_wildcard_beats_shorter: "api.eu.example.com" in ["*.example.com", "*.eu.example.com", "*.com"] => Some("*.eu.example.com");
    star_is_the_last_resort: "api.example.com" in ["*", "*.org"] => Some("*");
    no_candidate_covers: "api.example.com" in ["*.org", "example.com"] => None;
    wildcard_needle_takes_identical_wildcard: "*.example.com" in ["*.com", "*.example.com"] => Some("*.example.com");
    wildcard_needle_takes_more_general_wildcard: "*.example.com" in ["*.com", "api.example.com"] => Some("*.com");
    exact_candidate_never_matches_wildcard_needle: "*.example.com" in ["api.example.com"] => None;
    first_of_equals_wins: "api.example.com" in ["*.example.com", "*.example.com"] => Some("*.example.com");
}

wildcard_domain! {
    plain_fqdn_is_valid: "api.stripe.com" => true;
    trailing_dot_is_valid: "api.stripe.com." => true;
    uppercase_is_valid: "API.Stripe.com" => true;
    leading_wildcard_label_is_valid: "*.stripe.com" => true;
    bare_star_is_valid_syntax: "*" => true;
    partial_wildcard_is_valid_syntax: "*stripe.com" => true;
    dash_partial_wildcard_is_valid_syntax: "*-api.stripe.com" => true;
    wildcard_in_second_label_is_invalid: "api.*.stripe.com" => false;
    wildcard_at_end_of_label_is_invalid: "api*.stripe.com" => false;
    underscore_is_invalid: "my_api.stripe.com" => false;
    empty_label_is_invalid: "api..stripe.com" => false;
    numeric_top_level_is_invalid: "10.0.0.1" => false;
    label_over_63_is_invalid: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com" => false;
    empty_host_is_invalid: "" => false;
    single_label_is_valid: "legacy" => true;
    absolute_ip_slips_through_like_istiod: "1.2.3.4." => true;
    single_numeric_label_is_valid_like_istiod: "1234" => true;
}

#[test]
fn short_names_expand_with_the_rule_namespace() {
    assert_eq!(
        resolve_short_name("reviews", "bookinfo", "cluster.local"),
        "reviews.bookinfo.svc.cluster.local"
    );
    assert_eq!(
        resolve_short_name("reviews.default", "bookinfo", "cluster.local"),
        "reviews.default"
    );
    assert_eq!(resolve_short_name("*", "bookinfo", "cluster.local"), "*");
    assert_eq!(resolve_short_name("api.stripe.com", "bookinfo", "cluster.local"), "api.stripe.com");
}

#[test]
fn more_specific_orders_exact_then_longer_then_lexicographic() {
    let mut hosts = vec!["*.com", "b.example.com", "*.example.com", "a.example.com", "*"];
    hosts.sort_by(|a, b| more_specific(a, b));
    assert_eq!(hosts, ["a.example.com", "b.example.com", "*.example.com", "*.com", "*"]);
}

#[test]
fn partial_wildcards_are_recognised() {
    assert!(is_partial_wildcard("*foo.com"));
    assert!(is_partial_wildcard("*-api.foo.com"));
    assert!(!is_partial_wildcard("*.foo.com"));
    assert!(!is_partial_wildcard("*"));
}
