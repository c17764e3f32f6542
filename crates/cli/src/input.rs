//! Reads the paths named on the command line (files, directories, `-` for stdin) into memory.
//!
//! All I/O of `meshroute lint` happens here, before the pure core sees anything. Nothing here
//! stops at the first problem: an unreadable path is recorded and the other paths are still read.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use meshroute_core::load::MAX_SOURCE_BYTES;

/// The name stdin is given on the command line and in diagnostics.
pub(crate) const STDIN: &str = "-";

/// Extensions read from directories; the same set `kubectl apply -R` reads.
const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// One input read in full: its name as the user wrote it (joined for directory children).
#[derive(Debug)]
pub(crate) struct Input {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
}

/// Why a named input could not be handed to the core.
#[derive(Debug)]
pub(crate) enum Problem {
    /// The path does not exist, is not readable, or reading it failed.
    Unreadable { name: String, reason: String },
    /// The input is larger than the core reads; `size` is known for regular files only.
    TooLarge { name: String, size: Option<u64> },
}

/// Everything read from the command line's paths, in the order they were given.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    pub(crate) read: Vec<Input>,
    pub(crate) problems: Vec<Problem>,
    /// Directories in which no `.yaml`, `.yml` or `.json` file was found.
    pub(crate) empty_dirs: Vec<String>,
}

/// Reads every path in order; directories contribute their matching files sorted by path.
pub(crate) fn read_all(paths: &[PathBuf]) -> Inputs {
    let mut inputs = Inputs::default();
    for path in paths {
        if path.as_os_str() == STDIN {
            read_stream(STDIN.to_string(), io::stdin().lock(), &mut inputs);
            continue;
        }
        let name = display(path);
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => read_dir(path, &mut inputs),
            // Anything else named explicitly is read as a stream, so pipes and process
            // substitutions (`<(helm template ...)`) work; regular files are size-checked first.
            Ok(meta) if meta.is_file() && meta.len() > MAX_SOURCE_BYTES as u64 => {
                inputs.problems.push(Problem::TooLarge { name, size: Some(meta.len()) });
            }
            Ok(_) => match fs::File::open(path) {
                Ok(file) => read_stream(name, file, &mut inputs),
                Err(error) => inputs.problems.push(unreadable(name, &error)),
            },
            Err(error) => inputs.problems.push(unreadable(name, &error)),
        }
    }
    inputs
}

/// Reads a stream to its end, but never more than one byte past the core's limit, so that an
/// endless or huge input (`/dev/zero`, a multi-gigabyte log) cannot exhaust memory.
fn read_stream(name: String, reader: impl Read, inputs: &mut Inputs) {
    let mut bytes = Vec::new();
    match reader.take(MAX_SOURCE_BYTES as u64 + 1).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() > MAX_SOURCE_BYTES => {
            inputs.problems.push(Problem::TooLarge { name, size: None });
        }
        Ok(_) => inputs.read.push(Input { name, bytes }),
        Err(error) => inputs.problems.push(unreadable(name, &error)),
    }
}

/// Collects the matching files under `root`, then reads them in path order.
fn read_dir(root: &Path, inputs: &mut Inputs) {
    let mut files = Vec::new();
    // An explicit stack rather than recursion: depth is then bounded by memory, not the stack.
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                inputs.problems.push(unreadable(display(&dir), &error));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    inputs.problems.push(unreadable(display(&dir), &error));
                    continue;
                }
            };
            let path = entry.path();
            let file_type = match entry.file_type() {
                Ok(file_type) => file_type,
                Err(error) => {
                    inputs.problems.push(unreadable(display(&path), &error));
                    continue;
                }
            };
            if file_type.is_dir() {
                pending.push(path);
            } else if has_input_extension(&path) {
                // Symlinked files are followed; symlinked directories are not (see above), which
                // rules out cycles. Only regular files are read: a FIFO would block forever.
                match fs::metadata(&path) {
                    Ok(meta) if meta.is_file() => files.push((path, meta.len())),
                    Ok(_) => {}
                    Err(error) => inputs.problems.push(unreadable(display(&path), &error)),
                }
            }
        }
    }
    if files.is_empty() {
        inputs.empty_dirs.push(display(root));
        return;
    }
    files.sort();
    for (path, len) in files {
        let name = display(&path);
        if len > MAX_SOURCE_BYTES as u64 {
            inputs.problems.push(Problem::TooLarge { name, size: Some(len) });
            continue;
        }
        match fs::File::open(&path) {
            Ok(file) => read_stream(name, file, inputs),
            Err(error) => inputs.problems.push(unreadable(name, &error)),
        }
    }
}

fn has_input_extension(path: &Path) -> bool {
    path.extension().and_then(|ext| ext.to_str()).is_some_and(|ext| EXTENSIONS.contains(&ext))
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn unreadable(name: String, error: &io::Error) -> Problem {
    // Lowercase reasons without the "(os error N)" suffix read like the core's messages.
    let reason = match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    };
    Problem::Unreadable { name, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        assert!(has_input_extension(Path::new("a/b.yaml")));
        assert!(has_input_extension(Path::new("b.yml")));
        assert!(has_input_extension(Path::new("b.json")));
        assert!(!has_input_extension(Path::new("b.txt")));
        assert!(!has_input_extension(Path::new("yaml")));
        assert!(!has_input_extension(Path::new("b.yaml.bak")));
    }

    #[test]
    fn streams_past_the_limit_are_refused_without_reading_them_whole() {
        let mut inputs = Inputs::default();
        read_stream("zeros".to_string(), io::repeat(0), &mut inputs);
        assert!(inputs.read.is_empty());
        assert!(matches!(inputs.problems.as_slice(), [Problem::TooLarge { size: None, .. }]));
    }
}
