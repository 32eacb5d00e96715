//! The memory folder (`BINANCE_HOME` or `~/binance`): durable, human-readable records of what
//! the agent did. Appends are one write under an exclusive lock, then fsync, so two server
//! processes writing at once lose nothing.

pub mod audit;
pub mod incidents;
pub mod journal;
pub mod ledger;
pub mod preferences;
pub mod snapshots;

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
    #[error("{0}")]
    Invalid(String),
}

impl MemoryError {
    pub(crate) fn io(path: &Path, source: io::Error) -> MemoryError {
        MemoryError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// JSONL files are rotated (renamed with a timestamp, never truncated) past this size.
pub const ROTATE_BYTES: u64 = 16 * 1024 * 1024;

/// The memory folder.
#[derive(Clone, Debug)]
pub struct Memory {
    home: PathBuf,
    /// Bumped on every write, so the server can tell clients that resources changed.
    generation: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl Memory {
    pub fn new(home: impl Into<PathBuf>) -> Memory {
        Memory {
            home: home.into(),
            generation: std::sync::Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// A counter that changes whenever this process writes to the folder.
    pub fn generation(&self) -> u64 {
        *self.generation.borrow()
    }

    /// Wakes on every write of this process to the folder (for resource-list subscriptions).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.generation.subscribe()
    }

    pub(crate) fn touched(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Creates the folder (0700) and the template files the human does not have yet; a file
    /// that exists is never touched.
    pub fn ensure(&self) -> Result<(), MemoryError> {
        if !self.home.is_dir() {
            fs::create_dir_all(&self.home).map_err(|e| MemoryError::io(&self.home, e))?;
            restrict(&self.home, 0o700).map_err(|e| MemoryError::io(&self.home, e))?;
        }
        for (name, text) in TEMPLATES {
            let path = self.home.join(name);
            // create_new: never overwrite, even if another process created it a moment ago.
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    restrict(&path, 0o600).map_err(|e| MemoryError::io(&path, e))?;
                    f.write_all(text.as_bytes())
                        .and_then(|()| f.sync_all())
                        .map_err(|e| MemoryError::io(&path, e))?;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(MemoryError::io(&path, e)),
            }
        }
        let snapshots = self.home.join(snapshots::SNAPSHOT_DIR);
        if !snapshots.is_dir() {
            fs::create_dir_all(&snapshots).map_err(|e| MemoryError::io(&snapshots, e))?;
            restrict(&snapshots, 0o700).map_err(|e| MemoryError::io(&snapshots, e))?;
        }
        Ok(())
    }

    /// The path of a file in the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.home.join(name)
    }

    /// Reads a text file of the folder (after creating the templates).
    pub fn read_text(&self, name: &str) -> Result<String, MemoryError> {
        self.ensure()?;
        let path = self.home.join(name);
        fs::read_to_string(&path).map_err(|e| MemoryError::io(&path, e))
    }

    /// Appends text to a Markdown file of the folder, under the lock, then fsyncs.
    pub fn append_text(&self, name: &str, text: &str) -> Result<(), MemoryError> {
        self.ensure()?;
        let path = self.home.join(name);
        append_locked(&path, text.as_bytes()).map_err(|e| MemoryError::io(&path, e))?;
        self.touched();
        Ok(())
    }

    /// Runs `edit` on a file's text under an exclusive lock and replaces the file atomically
    /// with the result (temp file, fsync, rename, folder fsync). `edit` returning `None` leaves it.
    pub fn rewrite_text(&self, name: &str, edit: impl FnOnce(&str) -> Option<String>) -> Result<(), MemoryError> {
        self.ensure()?;
        let lock_path = self.home.join(".lock");
        let lock_existed = lock_path.exists();
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| MemoryError::io(&lock_path, e))?;
        if !lock_existed {
            restrict(&lock_path, 0o600).map_err(|e| MemoryError::io(&lock_path, e))?;
        }
        lock.lock().map_err(|e| MemoryError::io(&lock_path, e))?;
        let path = self.home.join(name);
        let current = fs::read_to_string(&path).map_err(|e| MemoryError::io(&path, e))?;
        if let Some(new) = edit(&current) {
            write_atomic(self, &self.home, name, new.as_bytes())?;
        }
        let _ = lock.unlock();
        Ok(())
    }

    /// Appends one JSON line to `name` (created 0600) under an exclusive lock, then fsyncs.
    pub fn append_jsonl<T: serde::Serialize>(&self, name: &str, record: &T) -> Result<(), MemoryError> {
        self.ensure()?;
        let path = self.home.join(name);
        let mut line = serde_json::to_vec(record).map_err(|source| MemoryError::Encode {
            path: path.clone(),
            source,
        })?;
        line.push(b'\n');
        rotate_if_large(&path).map_err(|e| MemoryError::io(&path, e))?;
        append_locked(&path, &line).map_err(|e| MemoryError::io(&path, e))?;
        self.touched();
        Ok(())
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
            spot_types::time::utc(spot_client::clock::local_now_ms())
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

/// The files created from `memory-template/` on first use.
const TEMPLATES: [(&str, &str); 3] = [
    ("memory.md", preferences::TEMPLATE_MEMORY_MD),
    ("runbooks.md", preferences::TEMPLATE_RUNBOOKS_MD),
    ("incidents.md", preferences::TEMPLATE_INCIDENTS_MD),
];

/// Renames a JSONL file that grew past [`ROTATE_BYTES`] to `<name>.<UTC stamp>.jsonl`.
fn rotate_if_large(path: &Path) -> io::Result<()> {
    let Ok(meta) = fs::metadata(path) else { return Ok(()) };
    if meta.len() < ROTATE_BYTES {
        return Ok(());
    }
    let file = OpenOptions::new().append(true).open(path)?;
    file.lock()?;
    // Another process may have rotated it while we waited for the lock.
    if fs::metadata(path).map(|m| m.len()).unwrap_or(0) >= ROTATE_BYTES {
        let stamp = spot_types::time::utc(spot_client::clock::local_now_ms()).replace(':', "-");
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("log");
        fs::rename(path, path.with_file_name(format!("{stem}.{stamp}.jsonl")))?;
    }
    file.unlock()
}

/// Writes `bytes` to `dir/name` atomically: temp file, fsync, rename, then fsync of the folder.
pub(crate) fn write_atomic(memory: &Memory, dir: &Path, name: &str, bytes: &[u8]) -> Result<(), MemoryError> {
    memory.ensure()?;
    fs::create_dir_all(dir).map_err(|e| MemoryError::io(dir, e))?;
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
        restrict(&tmp, 0o600)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, &target)?;
        File::open(dir)?.sync_all()
    };
    let result = write().map_err(|e| MemoryError::io(&target, e));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    memory.touched();
    result
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
        memory
            .append_jsonl("x.jsonl", &serde_json::json!({"a": 1}))
            .expect("append");
        fs::OpenOptions::new()
            .append(true)
            .open(memory.home().join("x.jsonl"))
            .and_then(|mut f| f.write_all(b"{\"torn\n"))
            .expect("tear");
        memory
            .append_jsonl("x.jsonl", &serde_json::json!({"a": 2}))
            .expect("append");
        let rows: Vec<serde_json::Value> = memory.read_jsonl("x.jsonl").expect("read");
        assert_eq!(rows, vec![serde_json::json!({"a": 1}), serde_json::json!({"a": 2})]);
    }

    #[cfg(unix)]
    #[test]
    fn folder_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let memory = Memory::new(dir.path().join("binance"));
        memory
            .append_jsonl("audit.jsonl", &serde_json::json!({}))
            .expect("append");
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
