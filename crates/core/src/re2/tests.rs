//! The matcher against RE2's documented meaning, against the regex crate where both agree, and
//! the generated Unicode tables against their source.

use super::{Regex, unicode};

fn full_match(pattern: &str, value: &str) -> bool {
    Regex::new(pattern)
        .unwrap_or_else(|why| panic!("{pattern} compiles: {why}"))
        .is_full_match(value)
}

#[test]
fn matches_whole_values_with_re2_meaning() {
    for (pattern, value, matches) in [
        ("abc", "abc", true),
        ("abc", "abcd", false),
        ("abc", "xabc", false),
        ("a|b|", "", true),
        ("(a|b)*c", "ababc", true),
        ("(a|b)*c", "ababd", false),
        ("a{2,3}", "aaa", true),
        ("a{2,3}", "aaaa", false),
        ("a{2,}", "aaaaaaa", true),
        ("a{2}", "a", false),
        ("a{0}b", "b", true),
        ("x{,3}", "x{,3}", true),
        ("x{2", "x{2", true),
        ("(?:ab)+?", "abab", true),
        ("/api/v[0-9]+/.*", "/api/v12/users", true),
        ("/api/v[0-9]+/.*", "/api/vx/users", false),
        // RE2's Perl classes and \b are ASCII.
        (r"\d+", "42", true),
        (r"\d+", "\u{664}\u{662}", false),
        (r"[^\d]", "\u{663}", true),
        (r"\D", "\u{663}", true),
        (r"\w+", "a_Z9", true),
        (r"\w", "\u{e9}", false),
        (r"\W", "\u{e9}", true),
        (r"[\w.]+", "api.v1", true),
        (r"\s", "\t", true),
        (r"\s", "\u{a0}", false),
        (r"\s", "\u{b}", false),
        (r"\S", "\u{a0}", true),
        ("a\\b\u{e9}", "a\u{e9}", true),
        ("a\\B\u{e9}", "a\u{e9}", false),
        (r"\bfoo\b", "foo", true),
        // Under (?i) every class folds before it is negated, as Go's parser does.
        (r"(?i)\w", "\u{212a}", true),
        (r"(?i)\W", "\u{212a}", false),
        (r"(?i)[k]", "\u{212a}", true),
        (r"(?i)[^k]", "K", false),
        (r"(?i)\p{Lu}", "a", true),
        (r"(?i)\P{Lu}", "a", false),
        (r"(?i)[[:upper:]]", "q", true),
        ("(?i)caf\u{e9}", "CAF\u{c9}", true),
        ("(?i)stra\u{df}e", "STRASSE", false),
        // Flags last to the end of their group, across later branches.
        ("(a(?i)b|c)d", "aBd", true),
        ("(a(?i)b|c)d", "aBD", false),
        ("(a(?i)b|c)d", "Cd", true),
        ("(?i:a)b", "Ab", true),
        ("(?i:a)b", "AB", false),
        ("(?i)a(?-i)b", "Ab", true),
        ("(?i)a(?-i)b", "AB", false),
        // `.` stops at a newline unless (?s); a negated class does not.
        ("a.b", "a\nb", false),
        ("(?s)a.b", "a\nb", true),
        ("a[^x]b", "a\nb", true),
        // `^` and `$` are the value's ends unless (?m).
        ("a$\nb", "a\nb", false),
        ("(?m)a$\nb", "a\nb", true),
        ("(?m)a\n^b", "a\nb", true),
        (r"\Aab\z", "ab", true),
        // Escapes, quoting and POSIX classes.
        (r"\Qa.b*c\E+", "a.b*cc", true),
        (r"\Qa.b*c\E+", "aXbbc", false),
        (r"\x41\x{1F600}\101\0", "A\u{1f600}A\u{0}", true),
        (r"[[:alpha:][:^digit:]]+", "ab-", true),
        (r"[[:alpha:]]", "1", false),
        ("[]a]+", "]a", true),
        ("[^]a]", "b", true),
        ("[a-]+", "a-", true),
        ("[[]", "[", true),
        // Unicode classes and scripts, by short or long name.
        (r"\pL", "\u{e9}", true),
        (r"\p{Greek}+", "\u{3b1}\u{3c9}", true),
        (r"\p{greek}", "a", false),
        (r"\p{Letter}", "x", true),
        (r"\P{^Lu}", "Q", true),
        (r"\p{Any}", "\u{10ffff}", true),
        // RE2's `C` holds no unassigned code point; the regex crate's does.
        (r"\pC", "\u{378}", false),
        (r"\pC", "\u{7}", true),
        (r"\p{Cn}", "\u{378}", true),
        // Empty loops end.
        ("(a*)*", "aaa", true),
        ("(a*)+b", "aab", true),
        ("(|a)*", "aa", true),
        ("^*a", "a", true),
    ] {
        assert_eq!(full_match(pattern, value), matches, "{pattern} on {value:?}");
    }
}

#[test]
fn runs_in_linear_time_on_patterns_that_make_backtrackers_explode() {
    let value = "a".repeat(20_000);
    assert!(!full_match("(a*)*b", &value));
    assert!(!full_match("(a|aa)+b", &value));
    assert!(full_match("(a|a)*", &value));
}

#[test]
fn refuses_what_it_cannot_build() {
    assert_eq!(Regex::new("((((a{10}){10}){10}){10})").err(), Some("expression too large"));
    assert!(Regex::new(&format!("{}a{}", "(".repeat(300), ")".repeat(300))).is_err());
    assert!(Regex::new(r"\p{Klingon}").is_err());
    for broken in ["(a", "a)", "[a", "*a", r"a\", r"\8"] {
        assert!(Regex::new(broken).is_err(), "{broken}");
    }
}

/// Gives the regex crate RE2's ASCII Perl classes and word boundaries, so both answer the same
/// question (under `(?i)` the explicit classes fold as RE2 folds its Perl classes).
fn as_regex_crate(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        let Some(escaped) = chars.next() else { break };
        out.push_str(match escaped {
            'd' => "[0-9]",
            'D' => "[^0-9]",
            's' => r"[\t\n\f\r\x20]",
            'S' => r"[^\t\n\f\r\x20]",
            'w' => "[0-9A-Za-z_]",
            'W' => "[^0-9A-Za-z_]",
            'b' => r"(?-u:\b)",
            'B' => r"(?-u:\B)",
            _ => {
                out.push('\\');
                out.push(escaped);
                continue;
            }
        });
    }
    format!(r"\A(?:{out})\z")
}

/// A small deterministic generator (SplitMix64), so the comparison is the same on every run.
struct Mix(u64);

impl Mix {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % bound as u64) as usize
    }
}

fn random_pattern(mix: &mut Mix, depth: u32) -> String {
    const ATOMS: &[&str] = &[
        "a",
        "b",
        "k",
        "K",
        "\u{212a}",
        "\u{e9}",
        "\u{3b1}",
        ".",
        r"\d",
        r"\w",
        r"\s",
        r"\W",
        "[a-c]",
        "[^b]",
        "[[:upper:]]",
        r"\pL",
        r"\p{Greek}",
        r"\PL",
        "-",
        r"\.",
        "^",
        "$",
        r"\b",
        r"\B",
        "[k-m]",
        r"[\d.]",
        "1",
    ];
    let mut out = String::new();
    for _ in 0..1 + mix.next(4) {
        let mut item = if depth < 3 && mix.next(4) == 0 {
            let inner = random_pattern(mix, depth + 1);
            match mix.next(4) {
                0 => format!("({inner})"),
                1 => format!("(?i:{inner})"),
                2 => format!("(?:{inner}|{})", random_pattern(mix, depth + 1)),
                _ => format!("(?s:{inner})"),
            }
        } else {
            ATOMS[mix.next(ATOMS.len())].to_string()
        };
        match mix.next(8) {
            0 => item.push('*'),
            1 => item.push('+'),
            2 => item.push('?'),
            3 => item.push_str("{1,2}"),
            _ => {}
        }
        out.push_str(&item);
    }
    out
}

#[test]
fn agrees_with_the_regex_crate_where_both_mean_re2() {
    const VALUE_CHARS: &[char] =
        &['a', 'b', 'k', 'K', '\u{212a}', '\u{e9}', '\u{3b1}', '1', '-', '.', ' ', '\n', '_', 'C'];
    let mut mix = Mix(7);
    let mut compared = 0;
    for _ in 0..3_000 {
        let pattern = random_pattern(&mut mix, 0);
        let Ok(theirs) = regex::Regex::new(&as_regex_crate(&pattern)) else { continue };
        let ours = Regex::new(&pattern).unwrap_or_else(|why| panic!("{pattern}: {why}"));
        for _ in 0..40 {
            let value: String =
                (0..mix.next(6)).map(|_| VALUE_CHARS[mix.next(VALUE_CHARS.len())]).collect();
            assert_eq!(
                ours.is_full_match(&value),
                theirs.is_match(&value),
                "{pattern} on {value:?}"
            );
            compared += 1;
        }
    }
    assert!(compared > 100_000, "only {compared} comparisons");
}

#[test]
fn unicode_tables_are_current() {
    let generated = generate_tables();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/re2/tables.rs");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, &generated).expect("write tables.rs");
    }
    let committed = std::fs::read_to_string(path).expect("read tables.rs");
    assert!(committed == generated, "src/re2/tables.rs is stale: rerun with UPDATE_EXPECT=1");
}

#[test]
fn classes_and_folding_agree_with_regex_syntax() {
    for name in ["L", "Lu", "C", "Nd", "Greek", "Han", "Latin", "Common", "P", "Zs"] {
        let ours = unicode::class(name).expect(name);
        let theirs = syntax_class(&format!(r"\p{{{name}}}")).expect(name);
        if name == "C" {
            // regex-syntax's `C` also holds the unassigned code points; RE2's does not.
            let mut with_unassigned = ours.clone();
            with_unassigned.extend(unicode::class("Cn").expect("Cn"));
            unicode::canonicalize(&mut with_unassigned);
            assert_eq!(with_unassigned, theirs, "{name}");
        } else {
            assert_eq!(ours, theirs, "{name}");
        }
    }
    let mut ours = vec![(0x41, 0x5A), (0xC0, 0xFF), (0x391, 0x3A9), (0x10400, 0x1044F)];
    unicode::fold(&mut ours);
    let theirs =
        syntax_class(r"(?i)[A-Z\xC0-\xFF\x{391}-\x{3A9}\x{10400}-\x{1044F}]").expect("class");
    assert_eq!(ours, theirs);
}

fn syntax_class(pattern: &str) -> Option<Vec<(u32, u32)>> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => Some(
            class.ranges().iter().map(|range| (range.start() as u32, range.end() as u32)).collect(),
        ),
        // A class of one code point comes back as that code point (`\p{Zl}` is U+2028).
        HirKind::Literal(literal) => {
            let ch = std::str::from_utf8(&literal.0).ok()?.chars().next()? as u32;
            Some(vec![(ch, ch)])
        }
        _ => None,
    }
}

/// The two-letter general categories RE2 has groups for (`Cn` is derived).
const LEAF_CATEGORIES: &[&str] = &[
    "Cc", "Cf", "Co", "Cs", "Ll", "Lm", "Lo", "Lt", "Lu", "Mc", "Me", "Mn", "Nd", "Nl", "No", "Pc",
    "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "Sc", "Sk", "Sm", "So", "Zl", "Zp", "Zs",
];

fn generate_tables() -> String {
    use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};
    let mut out = String::from(
        "//! Unicode data for `re2`, generated from regex-syntax's tables by\n\
         //! `re2::tests::unicode_tables_are_current` (run it with `UPDATE_EXPECT=1`); do not edit.\n\
         //!\n\
         //! Each range list is packed as varints, per range: the gap from the previous range's end,\n\
         //! then the range's length minus one. Case orbits are packed as: the gap from the previous\n\
         //! orbit's first member, the member count minus two, then each further member's gap.\n\n",
    );
    out.push_str("pub(super) const CATEGORIES: &[(&str, &[u8])] = &[\n");
    for leaf in LEAF_CATEGORIES {
        // Surrogates cannot be `char`s, so regex-syntax has no `Cs`; they are one fixed block.
        let ranges =
            syntax_class(&format!(r"\p{{{leaf}}}")).unwrap_or_else(|| vec![(0xD800, 0xDFFF)]);
        out.push_str(&format!("    (\"{leaf}\", {}),\n", bytes_literal(&pack(&ranges))));
    }
    out.push_str("];\n\npub(super) const SCRIPTS: &[(&str, &[u8])] = &[\n");
    for script in unicode::SCRIPTS {
        if let Some(ranges) = syntax_class(&format!(r"\p{{Script={script}}}")) {
            out.push_str(&format!("    (\"{script}\", {}),\n", bytes_literal(&pack(&ranges))));
        }
    }
    out.push_str("];\n\npub(super) const CASE_ORBITS: &[u8] = ");
    // Every cased code point lies below U+20000 (checked here, so a future Unicode that adds one
    // above fails this test rather than going unnoticed); walking only those keeps the test fast.
    let cased = syntax_class(r"\p{Changes_When_Casemapped}").expect("a class");
    assert!(cased.last().is_some_and(|&(_, hi)| hi < 0x20000), "a cased code point above U+20000");
    let mut seen = std::collections::HashSet::new();
    let mut packed = Vec::new();
    let mut previous = 0;
    for ch in (0..0x20000).filter_map(char::from_u32) {
        if seen.contains(&ch) {
            continue;
        }
        let mut class = ClassUnicode::new([ClassUnicodeRange::new(ch, ch)]);
        class.case_fold_simple();
        let members: Vec<char> =
            class.iter().flat_map(|range| range.start()..=range.end()).collect();
        if members.len() < 2 {
            continue;
        }
        seen.extend(members.iter().copied());
        let first = members[0] as u32;
        put_varint(&mut packed, first - previous);
        put_varint(&mut packed, members.len() as u32 - 2);
        for pair in members.windows(2) {
            put_varint(&mut packed, pair[1] as u32 - pair[0] as u32);
        }
        previous = first;
    }
    out.push_str(&bytes_literal(&packed));
    out.push_str(";\n");
    out
}

fn pack(ranges: &[(u32, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut next = 0;
    for &(lo, hi) in ranges {
        put_varint(&mut out, lo - next);
        put_varint(&mut out, hi - lo);
        next = hi + 1;
    }
    out
}

fn put_varint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7F) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn bytes_literal(bytes: &[u8]) -> String {
    let mut out = String::from("b\"");
    for &byte in bytes {
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push('"');
    out
}
