//! The instruction program a parsed pattern compiles to, and the Pike VM that runs it.
//!
//! The VM steps every live thread over the value one code point at a time (Thompson's
//! construction as Russ Cox describes it for RE2), so a match costs at most the value's length
//! times the program's size, whatever the pattern: no backtracking, no pathological input.
//! Envoy's matchers are full matches, so threads start only at the first code point and only a
//! thread at the last one counts.

use super::parse::{Look, Node};
use super::unicode::Range;

/// Programs larger than this are refused. Envoy itself refuses RE2 programs above 100
/// instructions by default (`re2.max_program_size.error_level`), so a configuration Envoy
/// accepts never comes close; the cap only bounds what a hostile one costs us.
const MAX_INSTRUCTIONS: usize = 10_000;

#[derive(Clone, Copy, Debug)]
enum Inst {
    /// Consume a code point in `ranges[start..end]`.
    Set {
        start: u32,
        end: u32,
    },
    Split(u32, u32),
    Jump(u32),
    Look(Look),
    Match,
}

#[derive(Debug)]
pub(super) struct Program {
    insts: Vec<Inst>,
    ranges: Vec<Range>,
}

/// Compiles a tree; `Err` when the program would exceed [`MAX_INSTRUCTIONS`].
pub(super) fn compile(node: &Node) -> Result<Program, &'static str> {
    let mut program = Program { insts: Vec::new(), ranges: Vec::new() };
    program.emit(node)?;
    program.push(Inst::Match)?;
    Ok(program)
}

impl Program {
    fn pc(&self) -> u32 {
        self.insts.len() as u32
    }

    fn push(&mut self, inst: Inst) -> Result<u32, &'static str> {
        if self.insts.len() >= MAX_INSTRUCTIONS {
            return Err("expression too large");
        }
        self.insts.push(inst);
        Ok(self.pc() - 1)
    }

    fn emit(&mut self, node: &Node) -> Result<(), &'static str> {
        match node {
            Node::Empty => {}
            Node::Set(set) => {
                let start = self.ranges.len() as u32;
                self.ranges.extend_from_slice(set);
                self.push(Inst::Set { start, end: self.ranges.len() as u32 })?;
            }
            Node::Look(look) => {
                self.push(Inst::Look(*look))?;
            }
            Node::Concat(items) => {
                for item in items {
                    self.emit(item)?;
                }
            }
            Node::Alternate(branches) => {
                let mut exits = Vec::new();
                for (index, branch) in branches.iter().enumerate() {
                    if index + 1 == branches.len() {
                        self.emit(branch)?;
                        break;
                    }
                    let split = self.push(Inst::Split(0, 0))?;
                    self.emit(branch)?;
                    exits.push(self.push(Inst::Jump(0))?);
                    self.insts[split as usize] = Inst::Split(split + 1, self.pc());
                }
                let end = self.pc();
                for exit in exits {
                    self.insts[exit as usize] = Inst::Jump(end);
                }
            }
            Node::Repeat { node, min, max } => self.emit_repeat(node, *min, *max)?,
        }
        Ok(())
    }

    fn emit_repeat(&mut self, node: &Node, min: u32, max: Option<u32>) -> Result<(), &'static str> {
        match max {
            None if min == 0 => {
                // loop: split(body, exit); body; jump loop
                let split = self.push(Inst::Split(0, 0))?;
                self.emit(node)?;
                self.push(Inst::Jump(split))?;
                self.insts[split as usize] = Inst::Split(split + 1, self.pc());
            }
            None => {
                for _ in 1..min {
                    self.emit(node)?;
                }
                // The last required copy loops back to itself.
                let body = self.pc();
                self.emit(node)?;
                let split = self.push(Inst::Split(body, 0))?;
                self.insts[split as usize] = Inst::Split(body, split + 1);
            }
            Some(max) => {
                for _ in 0..min {
                    self.emit(node)?;
                }
                let mut splits = Vec::new();
                for _ in min..max {
                    splits.push(self.push(Inst::Split(0, 0))?);
                    self.emit(node)?;
                }
                let end = self.pc();
                for split in splits {
                    self.insts[split as usize] = Inst::Split(split + 1, end);
                }
            }
        }
        Ok(())
    }

    /// Whether the whole of `text` matches.
    pub(super) fn is_full_match(&self, text: &str) -> bool {
        let size = self.insts.len();
        let accept = (size - 1) as u32;
        let mut current = Threads::new(size);
        let mut next = Threads::new(size);
        let mut stack = Vec::new();
        let mut chars = text.chars();
        let mut at = chars.next();
        self.add(&mut current, &mut stack, 0, None, at);
        while let Some(ch) = at {
            if current.dense.is_empty() {
                return false;
            }
            let following = chars.next();
            next.clear();
            for &pc in &current.dense {
                if let Inst::Set { start, end } = self.insts[pc as usize] {
                    if contains(&self.ranges[start as usize..end as usize], ch) {
                        self.add(&mut next, &mut stack, pc + 1, Some(ch), following);
                    }
                }
            }
            std::mem::swap(&mut current, &mut next);
            at = following;
        }
        current.contains(accept)
    }

    /// Adds the thread at `pc` and every thread its empty-width steps reach, between the code
    /// points `before` and `after`.
    fn add(
        &self,
        threads: &mut Threads,
        stack: &mut Vec<u32>,
        pc: u32,
        before: Option<char>,
        after: Option<char>,
    ) {
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if !threads.insert(pc) {
                continue;
            }
            match self.insts[pc as usize] {
                Inst::Jump(target) => stack.push(target),
                Inst::Split(first, second) => {
                    stack.push(second);
                    stack.push(first);
                }
                Inst::Look(look) => {
                    if holds(look, before, after) {
                        stack.push(pc + 1);
                    }
                }
                Inst::Set { .. } | Inst::Match => {}
            }
        }
    }
}

fn holds(look: Look, before: Option<char>, after: Option<char>) -> bool {
    let is_word = |ch: Option<char>| ch.is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    match look {
        Look::StartText => before.is_none(),
        Look::EndText => after.is_none(),
        Look::StartLine => matches!(before, None | Some('\n')),
        Look::EndLine => matches!(after, None | Some('\n')),
        Look::WordBoundary => is_word(before) != is_word(after),
        Look::NotWordBoundary => is_word(before) == is_word(after),
    }
}

fn contains(ranges: &[Range], ch: char) -> bool {
    let code = ch as u32;
    let index = ranges.partition_point(|&(_, hi)| hi < code);
    ranges.get(index).is_some_and(|&(lo, _)| lo <= code)
}

/// A sparse set of program counters: constant-time insert, membership and clear.
struct Threads {
    dense: Vec<u32>,
    sparse: Vec<u32>,
}

impl Threads {
    fn new(size: usize) -> Self {
        Threads { dense: Vec::with_capacity(size), sparse: vec![0; size] }
    }

    fn contains(&self, pc: u32) -> bool {
        let index = self.sparse[pc as usize] as usize;
        self.dense.get(index) == Some(&pc)
    }

    fn insert(&mut self, pc: u32) -> bool {
        if self.contains(pc) {
            return false;
        }
        self.sparse[pc as usize] = self.dense.len() as u32;
        self.dense.push(pc);
        true
    }

    fn clear(&mut self) {
        self.dense.clear();
    }
}
