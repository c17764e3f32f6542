//! Re-reading an edited configuration: only the YAML documents whose text changed are read again.
//!
//! An editor (the browser playground) explains the whole configuration after every keystroke,
//! but a keystroke changes one document of many. A [`Workspace`] cuts the text at its
//! document-start lines (`---` at the start of a line) into parts and keeps, for each part, what
//! loading and validating it alone gave: its resources and findings. After an edit, every part
//! whose text is unchanged is kept, however far it moved; the others are read again. The lints
//! across resources and the index depend on every part, so they are built anew each time.
//!
//! The answer is the one [`crate::lint`] gives for the whole text as one source: the same
//! resources in the same order, the same findings at the same lines and columns (the tests
//! compare the two on the fixture corpus and on random edits of it). Only spans differ: they are
//! relative to their part, whose [`crate::SourceFile::line_offset`] places it in the text. Where cutting
//! could change the meaning, the whole text is read as one source instead:
//!
//! - a part that is not clean YAML on its own: a syntax error stops the YAML reader for the rest
//!   of the whole text, so later documents must stay unread as they would be;
//! - directives and document-end markers (lines starting with `%` or `...`), which belong to the
//!   documents around them, and byte-order marks;
//! - a text of only comments, which gets one "no resources" finding, not one per part.

use crate::engine::Mesh;
use crate::load::{self, Config, Part, Source};
use crate::text::SourceId;
use crate::validate;

/// An editor buffer's configuration, kept between edits. See the module documentation.
pub struct Workspace {
    name: String,
    /// The text [`Workspace::mesh`] was last given.
    text: String,
    /// The parts of `text`, in order; empty when it was read whole.
    parts: Vec<Kept>,
    /// The mesh built from `text`.
    mesh: Option<Mesh>,
    /// Whether `mesh` was built from `parts` and so owns their sources and resources, which go
    /// back to the parts before the next edit is read.
    lent: bool,
}

/// One part, with the number of resources it lent to the mesh.
struct Kept {
    part: Part,
    resources: usize,
}

impl Workspace {
    /// An empty workspace; `name` is the file name findings and references carry.
    pub fn new(name: &str) -> Workspace {
        Workspace {
            name: name.to_string(),
            text: String::new(),
            parts: Vec::new(),
            mesh: None,
            lent: false,
        }
    }

    /// The mesh of `text`: what `Mesh::new` over [`crate::lint`] of `text` gives, reading again
    /// only the parts that differ from the previous call's text.
    pub fn mesh(&mut self, text: &str) -> &Mesh {
        if self.mesh.is_none() || self.text != text {
            self.reclaim();
            let mesh = match cut(text) {
                Some(starts) => self.read_parts(text, &starts),
                None => None,
            };
            let mesh = mesh.unwrap_or_else(|| {
                // Read whole. The parts keep what they read (nothing was lent), so the next edit
                // that makes the text cut cleanly again reuses them.
                let sources = [Source { name: &self.name, bytes: text.as_bytes() }];
                let (config, diagnostics) = crate::lint(&sources);
                Mesh::new(config, diagnostics)
            });
            self.text.clear();
            self.text.push_str(text);
            self.mesh = Some(mesh);
        }
        self.mesh.get_or_insert_with(|| Mesh::new(Config::default(), Vec::new()))
    }

    /// Takes the previous mesh apart, giving each part back its source and resources.
    fn reclaim(&mut self) {
        let Some(mesh) = self.mesh.take() else { return };
        if !std::mem::take(&mut self.lent) {
            // Read whole: the parts lent nothing.
            return;
        }
        let config = mesh.into_config();
        let mut sources = config.sources.into_iter();
        let mut resources = config.resources.into_iter();
        for kept in &mut self.parts {
            kept.part.source = sources.next().unwrap_or_default();
            kept.part.resources = resources.by_ref().take(kept.resources).collect();
        }
    }

    /// Replaces the parts by those of `text`, cut at `starts`, keeping every unchanged one; then
    /// builds the mesh from them, or gives `None` when the text must be read whole.
    fn read_parts(&mut self, text: &str, starts: &[(usize, u32)]) -> Option<Mesh> {
        let ends = starts.iter().skip(1).map(|&(start, _)| start).chain([text.len()]);
        let pieces: Vec<&str> =
            starts.iter().zip(ends).map(|(&(start, _), end)| &text[start..end]).collect();
        let mut old = std::mem::take(&mut self.parts);
        // The unchanged parts at both ends; an edit changes the parts in between.
        let same = |kept: &Kept, piece: &str| kept.part.source.text == piece;
        let prefix = old.iter().zip(&pieces).take_while(|(kept, piece)| same(kept, piece)).count();
        let room = old.len().min(pieces.len()) - prefix;
        let suffix = old
            .iter()
            .rev()
            .zip(pieces.iter().rev())
            .take(room)
            .take_while(|(kept, piece)| same(kept, piece))
            .count();
        let tail = old.split_off(old.len() - suffix);
        old.truncate(prefix);
        let mut parts = old;
        for (piece, &(_, line_offset)) in
            pieces[prefix..pieces.len() - suffix].iter().zip(&starts[prefix..])
        {
            let mut part = load::load_part(&self.name, piece, line_offset);
            for resource in &part.resources {
                validate::validate_resource(resource, &mut part.diagnostics);
            }
            parts.push(Kept { part, resources: 0 });
        }
        parts.extend(tail);
        for (kept, &(_, line_offset)) in parts.iter_mut().zip(starts) {
            kept.part.source.line_offset = line_offset;
        }
        self.parts = parts;

        let whole = self.parts.iter().any(|kept| !kept.part.read.clean)
            || self.parts.iter().all(|kept| kept.part.read.empty);
        if whole {
            return None;
        }
        let mut config = Config::default();
        let mut diagnostics = Vec::new();
        for (index, kept) in self.parts.iter_mut().enumerate() {
            let id = SourceId(index as u32);
            config.sources.push(std::mem::take(&mut kept.part.source));
            kept.resources = kept.part.resources.len();
            for mut resource in kept.part.resources.drain(..) {
                resource.source = id;
                resource.order = config.resources.len() as u32;
                config.resources.push(resource);
            }
            diagnostics.extend(kept.part.diagnostics.iter().cloned().map(|mut diagnostic| {
                if let Some(location) = &mut diagnostic.location {
                    location.source = id;
                }
                diagnostic
            }));
        }
        validate::lint_across(&config, &mut diagnostics);
        config.locate(&mut diagnostics);
        self.lent = true;
        Some(Mesh::new(config, diagnostics))
    }
}

/// Where the parts of `text` start, as a byte offset and the number of lines before it: at 0
/// and at every document-start line after the first line; `None` when the text must be read
/// whole (see the module documentation).
fn cut(text: &str) -> Option<Vec<(usize, u32)>> {
    if text.contains('\u{feff}') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut starts = vec![(0, 0)];
    let mut line_start = 0;
    let mut line = 0;
    while line_start < bytes.len() {
        let rest = &bytes[line_start..];
        // A marker is three characters followed by a blank, a line break or the end.
        let marker = |mark: &[u8]| {
            rest.starts_with(mark) && rest.get(3).is_none_or(|next| b" \t\r\n".contains(next))
        };
        if rest.first() == Some(&b'%') || marker(b"...") {
            return None;
        }
        if line_start > 0 && marker(b"---") {
            starts.push((line_start, line));
        }
        match rest.iter().position(|&byte| byte == b'\n') {
            Some(newline) => {
                line_start += newline + 1;
                line += 1;
            }
            None => break,
        }
    }
    Some(starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_document_start_lines_only() {
        let text = "# head\n---\na: 1\n--- # c\nb: |\n  ---\n----\n---\n";
        let starts = cut(text).expect("cuttable");
        let ends = starts.iter().skip(1).map(|&(start, _)| start).chain([text.len()]);
        let pieces: Vec<&str> =
            starts.iter().zip(ends).map(|(&(start, _), end)| &text[start..end]).collect();
        assert_eq!(pieces, ["# head\n", "---\na: 1\n", "--- # c\nb: |\n  ---\n----\n", "---\n"]);
        let lines: Vec<u32> = starts.iter().map(|&(_, line)| line).collect();
        assert_eq!(lines, [0, 1, 3, 7]);
        assert_eq!(cut("---\na: 1\n"), Some(vec![(0, 0)]));
        assert_eq!(cut("a: 1\r\n---\r\nb: 2"), Some(vec![(0, 0), (6, 1)]));
        for whole in ["%YAML 1.2\n---\na: 1\n", "a: 1\n...\n---\nb: 2\n", "\u{feff}a: 1\n"] {
            assert_eq!(cut(whole), None, "{whole:?}");
        }
        // `...` only ends a document when it stands alone.
        assert!(cut("a: 1\n....\nb: ...\n").is_some());
    }
}
