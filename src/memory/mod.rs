//! The memory folder (`BINANCE_HOME` or `~/binance`): durable, human-readable records of what
//! the agent did. Appends are one write under an exclusive lock, then fsync, so two server
//! processes writing at once lose nothing.

pub mod audit;
pub mod ledger;

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The kill switch: while this file exists in the memory folder, no order is placed.
pub const HALT_FILE: &str = "HALT";

/// Errors of the memory folder, with the path involved.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("cannot use the memory folder {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot encode a record for {path}: {source}")]
    Encode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl MemoryError {
    fn io(path: &Path, source: io::Error) -> MemoryError {
        MemoryError::Io { path: path.to_owned(), source }
    }
}

/// The memory folder.
#[derive(Clone, Debug)]
pub struct Memory {
    home: PathBuf,
}

impl Memory {
    pub fn new(home: impl Into<PathBuf>) -> Memory {
        Memory { home: home.into() }
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Creates the folder (0700) when it does not exist yet.
    pub fn ensure(&self) -> Result<(), MemoryError> {
        if self.home.is_dir() {
            return Ok(());
        }
        fs::create_dir_all(&self.home).map_err(|e| MemoryError::io(&self.home, e))?;
        restrict(&self.home, 0o700).map_err(|e| MemoryError::io(&self.home, e))
    }

    /// Appends one JSON line to `name` (created 0600) under an exclusive lock, then fsyncs.
    pub fn append_jsonl<T: serde::Serialize>(&self, name: &str, record: &T) -> Result<(), MemoryError> {
        self.ensure()?;
        let path = self.home.join(name);
        let mut line = serde_json::to_vec(record).map_err(|source| MemoryError::Encode { path: path.clone(), source })?;
        line.push(b'\n');
        append_locked(&path, &line).map_err(|e| MemoryError::io(&path, e))
    }

    /// Every parseable line of a JSONL file (a torn or hand-edited line is skipped, not fatal).
    pub fn read_jsonl<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Vec<T>, MemoryError> {
        let path = self.home.join(name);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(MemoryError::io(&path, e)),
        };
        file.lock_shared().map_err(|e| MemoryError::io(&path, e))?;
        let mut out = Vec::new();
        for line in BufReader::new(&file).lines() {
            let line = line.map_err(|e| MemoryError::io(&path, e))?;
            if let Ok(record) = serde_json::from_str(&line) {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// True while the kill switch file exists.
    pub fn is_halted(&self) -> bool {
        self.home.join(HALT_FILE).exists()
    }

    /// Creates the kill switch file with a reason the human can read.
    pub fn halt(&self, reason: &str) -> Result<PathBuf, MemoryError> {
        self.ensure()?;
        let path = self.home.join(HALT_FILE);
        let text = format!(
            "Trading halted at {} by `binance-mcp halt`.\nReason: {reason}\nWhile this file exists no order is placed; cancels and reads still work.\nRemove it (or run `binance-mcp resume`) to allow orders again.\n",
            crate::tools::utc(crate::binance::clock::local_now_ms())
        );
        fs::write(&path, text).map_err(|e| MemoryError::io(&path, e))?;
        restrict(&path, 0o600).map_err(|e| MemoryError::io(&path, e))?;
        Ok(path)
    }

    /// Removes the kill switch file; true when it existed.
    pub fn resume(&self) -> Result<bool, MemoryError> {
        let path = self.home.join(HALT_FILE);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(MemoryError::io(&path, e)),
        }
    }
}

fn append_locked(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let existed = path.exists();
    let mut file = OpenOptions::new().create(true).read(true).append(true).open(path)?;
    if !existed {
        restrict(path, 0o600)?;
    }
    file.lock()?;
    // A line torn by a crash (or a hand edit without a final newline) must not swallow this one.
    let result = ends_without_newline(&mut file)
        .and_then(|torn| if torn { file.write_all(b"\n") } else { Ok(()) })
        .and_then(|()| file.write_all(bytes))
        .and_then(|()| file.sync_data());
    let unlocked = file.unlock();
    result.and(unlocked)
}

fn ends_without_newline(file: &mut File) -> io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_survive_and_torn_lines_are_skipped() {
        let dir = tempfile::tempdir().expect("dir");
        let memory = Memory::new(dir.path().join("binance"));
        memory.append_jsonl("x.jsonl", &serde_json::json!({"a": 1})).expect("append");
        fs::OpenOptions::new()
            .append(true)
            .open(memory.home().join("x.jsonl"))
            .and_then(|mut f| f.write_all(b"{\"torn\n"))
            .expect("tear");
        memory.append_jsonl("x.jsonl", &serde_json::json!({"a": 2})).expect("append");
        let rows: Vec<serde_json::Value> = memory.read_jsonl("x.jsonl").expect("read");
        assert_eq!(rows, vec![serde_json::json!({"a": 1}), serde_json::json!({"a": 2})]);
    }

    #[cfg(unix)]
    #[test]
    fn folder_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let memory = Memory::new(dir.path().join("binance"));
        memory.append_jsonl("audit.jsonl", &serde_json::json!({})).expect("append");
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(memory.home()), 0o700);
        assert_eq!(mode(&memory.home().join("audit.jsonl")), 0o600);
    }

    #[test]
    fn halt_and_resume() {
        let dir = tempfile::tempdir().expect("dir");
        let memory = Memory::new(dir.path());
        assert!(!memory.is_halted());
        memory.halt("test").expect("halt");
        assert!(memory.is_halted());
        assert!(memory.resume().expect("resume"));
        assert!(!memory.is_halted());
    }
}
