//! Unicode classes and case folding for RE2 regexes: names, range sets and their tables.
//!
//! RE2 knows general categories (one and two letters), scripts and `Any`; Go, which istiod
//! validates with, also accepts long category aliases (`Letter`) and `Assigned`/`ASCII`. Both
//! spellings resolve here. The range data lives in [`super::tables`], generated from the
//! `regex-syntax` crate's Unicode tables (see `tests.rs`), packed as varints to keep the browser
//! module and the Envoy filter small.

use std::sync::OnceLock;

use super::tables;

/// An inclusive range of code points.
pub(crate) type Range = (u32, u32);

/// The largest code point.
pub(crate) const MAX: u32 = 0x10FFFF;

/// Long category names (canonicalized as Go does) and the category each stands for.
const CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Casedletter", "Lc"),
    ("Closepunctuation", "Pe"),
    ("Combiningmark", "M"),
    ("Connectorpunctuation", "Pc"),
    ("Control", "Cc"),
    ("Currencysymbol", "Sc"),
    ("Dashpunctuation", "Pd"),
    ("Decimalnumber", "Nd"),
    ("Enclosingmark", "Me"),
    ("Finalpunctuation", "Pf"),
    ("Format", "Cf"),
    ("Initialpunctuation", "Pi"),
    ("Letter", "L"),
    ("Letternumber", "Nl"),
    ("Lineseparator", "Zl"),
    ("Lowercaseletter", "Ll"),
    ("Mark", "M"),
    ("Mathsymbol", "Sm"),
    ("Modifierletter", "Lm"),
    ("Modifiersymbol", "Sk"),
    ("Nonspacingmark", "Mn"),
    ("Number", "N"),
    ("Openpunctuation", "Ps"),
    ("Other", "C"),
    ("Otherletter", "Lo"),
    ("Othernumber", "No"),
    ("Otherpunctuation", "Po"),
    ("Othersymbol", "So"),
    ("Paragraphseparator", "Zp"),
    ("Privateuse", "Co"),
    ("Punctuation", "P"),
    ("Separator", "Z"),
    ("Spaceseparator", "Zs"),
    ("Spacingmark", "Mc"),
    ("Surrogate", "Cs"),
    ("Symbol", "S"),
    ("Titlecaseletter", "Lt"),
    ("Unassigned", "Cn"),
    ("Uppercaseletter", "Lu"),
    ("Cntrl", "Cc"),
    ("Digit", "Nd"),
    ("Punct", "P"),
];

/// Whether Go's parser accepts `name` in `\p{name}`. Scripts are matched loosely (any case), so
/// a script newer than our tables never makes a valid regex look invalid.
pub(crate) fn is_class_name(name: &str) -> bool {
    let canonical = canonical_name(name);
    let canonical = alias_target(&canonical).unwrap_or(&canonical);
    matches!(canonical, "Any" | "Assigned" | "Ascii" | "Cn" | "Lc")
        || (canonical.len() == 1
            && tables::CATEGORIES.iter().any(|(leaf, _)| leaf.starts_with(canonical)))
        || tables::CATEGORIES.iter().any(|(leaf, _)| *leaf == canonical)
        || SCRIPTS
            .iter()
            .any(|script| script.eq_ignore_ascii_case(name) || canonical_name(script) == canonical)
}

fn alias_target(canonical: &str) -> Option<&'static str> {
    CATEGORY_ALIASES.iter().find(|(alias, _)| *alias == canonical).map(|(_, short)| *short)
}

/// The code points of `\p{name}`, or `None` for a name our tables do not have.
///
/// The one-letter categories are unions of their two-letter ones, and `C` leaves out `Cn` as
/// RE2's generated groups do (unassigned code points are in no group); `Cn` is reachable by its
/// own name, as the complement of every assigned code point.
pub(crate) fn class(name: &str) -> Option<Vec<Range>> {
    let canonical = canonical_name(name);
    let canonical = alias_target(&canonical).unwrap_or(&canonical);
    let union = |pick: &dyn Fn(&str) -> bool| {
        let mut ranges = Vec::new();
        for (leaf, packed) in tables::CATEGORIES {
            if pick(leaf) {
                ranges.extend(unpack(packed));
            }
        }
        canonicalize(&mut ranges);
        ranges
    };
    let ranges = match canonical {
        "Any" => vec![(0, MAX)],
        "Ascii" => vec![(0, 0x7F)],
        "Assigned" => union(&|_| true),
        "Cn" => negate(&union(&|_| true)),
        "Lc" => union(&|leaf| matches!(leaf, "Lu" | "Ll" | "Lt")),
        one if one.len() == 1 => union(&|leaf| leaf.starts_with(one)),
        _ => {
            if let Some((_, packed)) =
                tables::CATEGORIES.iter().find(|(leaf, _)| *leaf == canonical)
            {
                unpack(packed)
            } else {
                let (_, packed) = tables::SCRIPTS.iter().find(|(script, _)| {
                    script.eq_ignore_ascii_case(name) || canonical_name(script) == canonical
                })?;
                unpack(packed)
            }
        }
    };
    (!ranges.is_empty()).then_some(ranges)
}

/// Go's `canonicalName`: first letter upper case, the rest lower case, `_`, `-` and space dropped.
pub(crate) fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.chars().filter(|ch| !matches!(ch, '_' | '-' | ' ')) {
        if out.is_empty() {
            out.push(ch.to_ascii_uppercase());
        } else {
            out.push(ch.to_ascii_lowercase());
        }
    }
    out
}

/// Adds every simple case variant of the set's members (RE2's `(?i)`): `k` brings `K` and the
/// Kelvin sign. The set must be canonical; so is the result.
pub(crate) fn fold(ranges: &mut Vec<Range>) {
    let members = case_members();
    let mut added = Vec::new();
    for &(lo, hi) in ranges.iter() {
        let first = members.partition_point(|&(member, _)| member < lo);
        for &(member, orbit) in &members[first..] {
            if member > hi {
                break;
            }
            added.extend(case_orbits()[orbit as usize].iter().map(|&variant| (variant, variant)));
        }
    }
    if !added.is_empty() {
        ranges.extend(added);
        canonicalize(ranges);
    }
}

/// Each case orbit (a code point and all its simple case variants), decoded once.
fn case_orbits() -> &'static [Vec<u32>] {
    static ORBITS: OnceLock<Vec<Vec<u32>>> = OnceLock::new();
    ORBITS.get_or_init(|| {
        let mut orbits = Vec::new();
        let mut bytes = tables::CASE_ORBITS;
        let mut first = 0;
        while !bytes.is_empty() {
            first += varint(&mut bytes);
            let count = varint(&mut bytes) + 2;
            let mut orbit = vec![first];
            let mut member = first;
            for _ in 1..count {
                member += varint(&mut bytes);
                orbit.push(member);
            }
            orbits.push(orbit);
        }
        orbits
    })
}

/// Every code point that has case variants, sorted, with the index of its orbit.
fn case_members() -> &'static [(u32, u32)] {
    static MEMBERS: OnceLock<Vec<(u32, u32)>> = OnceLock::new();
    MEMBERS.get_or_init(|| {
        let mut members: Vec<(u32, u32)> = Vec::new();
        for (index, orbit) in case_orbits().iter().enumerate() {
            members.extend(orbit.iter().map(|&member| (member, index as u32)));
        }
        crate::sort::sort(&mut members);
        members
    })
}

/// Decodes a packed range list: per range, the gap from the previous range's end and the
/// range's length minus one, both as LEB128 varints.
fn unpack(mut bytes: &[u8]) -> Vec<Range> {
    let mut ranges = Vec::new();
    let mut next = 0;
    while !bytes.is_empty() {
        let lo = next + varint(&mut bytes);
        let hi = lo + varint(&mut bytes);
        ranges.push((lo, hi));
        next = hi + 1;
    }
    ranges
}

fn varint(bytes: &mut &[u8]) -> u32 {
    let mut value = 0;
    let mut shift = 0;
    while let Some((&byte, rest)) = bytes.split_first() {
        *bytes = rest;
        value |= u32::from(byte & 0x7F) << shift;
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    value
}

/// Sorts and merges overlapping or adjacent ranges.
pub(crate) fn canonicalize(ranges: &mut Vec<Range>) {
    crate::sort::sort(ranges);
    let mut merged: Vec<Range> = Vec::with_capacity(ranges.len());
    for &(lo, hi) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    *ranges = merged;
}

/// The complement of a canonical set within `0..=MAX`.
pub(crate) fn negate(ranges: &[Range]) -> Vec<Range> {
    let mut out = Vec::with_capacity(ranges.len() + 1);
    let mut next = 0;
    for &(lo, hi) in ranges {
        if lo > next {
            out.push((next, lo - 1));
        }
        next = hi + 1;
    }
    if next <= MAX {
        out.push((next, MAX));
    }
    out
}

/// Unicode script names as Go's `unicode.Scripts` spells them (Unicode 15 to 17).
pub(crate) const SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Beria_Erfe",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chisoi",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Garay",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Gurung_Khema",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Kirat_Rai",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Ol_Onal",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "Sidetic",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Sunuwar",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Tai_Yo",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Todhri",
    "Tolong_Siki",
    "Toto",
    "Tulu_Tigalari",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];
