//! Memory tools: read and append the Markdown files of the memory folder, list and read snapshots.
//! No tool writes the front matter of memory.md: appends go to the end of the notes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ToolError, ToolOutput, Toolbox, normalize_symbol};
use crate::config::Environment;
use crate::memory::incidents::human_time;
use crate::memory::preferences::{append_keeps_preferences, notes_offset, parse_preferences};
use crate::memory::snapshots::SnapshotEntry;

// The Markdown files of the memory folder.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum MemoryFile {
    /// memory.md: the human's limits (front matter) and notes.
    Memory,
    /// runbooks.md: workflows that worked.
    Runbooks,
    /// incidents.md: errors and what fixed them.
    Incidents,
}

impl MemoryFile {
    pub fn file_name(self) -> &'static str {
        match self {
            MemoryFile::Memory => "memory.md",
            MemoryFile::Runbooks => "runbooks.md",
            MemoryFile::Incidents => "incidents.md",
        }
    }
}

/// Most characters a read returns.
pub const MAX_READ_CHARS: usize = 20_000;
/// Most characters one append may add.
pub const MAX_APPEND_CHARS: usize = 8_000;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemoryReadArgs {
    pub file: MemoryFile,
    /// only the last N lines
    #[serde(default)]
    pub tail: Option<u32>,
    /// only lines with this text
    #[serde(default)]
    pub search: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MemoryReadOutput {
    pub file: MemoryFile,
    pub path: String,
    pub text: String,
    pub total_lines: usize,
    /// True when the text was cut to the last 20,000 characters.
    pub truncated: bool,
}

impl ToolOutput for MemoryReadOutput {
    fn summary(&self) -> String {
        format!(
            "{} ({} lines{})",
            self.path,
            self.total_lines,
            if self.truncated { ", cut to the end" } else { "" }
        )
    }
}

pub fn memory_read(toolbox: &Toolbox, args: MemoryReadArgs) -> Result<MemoryReadOutput, ToolError> {
    let text = toolbox.memory().read_text(args.file.file_name())?;
    let total_lines = text.lines().count();
    let mut lines: Vec<&str> = text.lines().collect();
    if let Some(needle) = args.search.as_deref().map(str::to_lowercase).filter(|n| !n.is_empty()) {
        // Comment lines of memory.md's front matter also start with '#': they are not headings.
        let notes_start_line = text[..notes_offset(&text).min(text.len())].lines().count();
        let mut heading = "";
        let mut kept = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if i >= notes_start_line && line.starts_with('#') {
                heading = line;
            }
            if line.to_lowercase().contains(&needle) {
                if !heading.is_empty() && kept.last() != Some(&heading) && *line != heading {
                    kept.push(heading);
                }
                kept.push(line);
            }
        }
        lines = kept;
    }
    if let Some(n) = args.tail {
        let skip = lines.len().saturating_sub(n as usize);
        lines = lines.split_off(skip);
    }
    let mut out = lines.join("\n");
    let truncated = out.len() > MAX_READ_CHARS;
    if truncated {
        let mut cut = out.len() - MAX_READ_CHARS;
        while !out.is_char_boundary(cut) {
            cut += 1;
        }
        out = out.split_off(cut);
    }
    Ok(MemoryReadOutput {
        file: args.file,
        path: toolbox.memory().path(args.file.file_name()).display().to_string(),
        text: out,
        total_lines,
        truncated,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemoryAppendArgs {
    pub file: MemoryFile,
    /// Markdown
    pub text: String,
    /// short heading
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MemoryAppendOutput {
    pub file: MemoryFile,
    pub path: String,
    pub appended_chars: usize,
}

impl ToolOutput for MemoryAppendOutput {
    fn summary(&self) -> String {
        format!("appended {} characters to {}", self.appended_chars, self.path)
    }
}

pub fn memory_append(toolbox: &Toolbox, args: MemoryAppendArgs) -> Result<MemoryAppendOutput, ToolError> {
    let body = args.text.trim();
    if body.is_empty() {
        return Err(ToolError::invalid("text is empty"));
    }
    if body.chars().count() > MAX_APPEND_CHARS {
        return Err(ToolError::invalid(format!(
            "text is longer than {MAX_APPEND_CHARS} characters; append a summary"
        )));
    }
    if body.lines().any(|l| l.trim() == "---") {
        return Err(ToolError::invalid(
            "text may not contain a line with only '---' (it would look like front matter)",
        ));
    }
    let name = args.file.file_name();
    let title = args
        .title
        .as_deref()
        .map(|t| t.lines().next().unwrap_or("").trim().to_owned())
        .filter(|t| !t.is_empty());
    let heading = format!(
        "\n## {} · {} (written by the agent)\n\n",
        human_time(spot_client::clock::local_now_ms()),
        title.unwrap_or_else(|| "note".into())
    );
    let text = format!("{heading}{body}\n");
    if args.file == MemoryFile::Memory {
        // The limits are the human's: refuse while they are broken, and refuse any text that
        // would change how they read.
        let current = toolbox.memory().read_text(name)?;
        parse_preferences(&current).map_err(|e| ToolError::Refused(crate::guard::broken_preferences(&e)))?;
        if !append_keeps_preferences(&current, &text) {
            return Err(ToolError::invalid(
                "this text would change how the limits in memory.md read; it was not written",
            ));
        }
    }
    toolbox.memory().append_text(name, &text)?;
    Ok(MemoryAppendOutput {
        file: args.file,
        path: toolbox.memory().path(name).display().to_string(),
        appended_chars: text.len(),
    })
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotListArgs {
    /// Only this environment.
    #[serde(default)]
    pub environment: Option<Environment>,
    /// Only this symbol.
    #[serde(default)]
    pub symbol: Option<String>,
    /// default 50
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotListOutput {
    pub total: usize,
    /// Newest first.
    pub snapshots: Vec<SnapshotEntry>,
}

impl ToolOutput for SnapshotListOutput {
    fn summary(&self) -> String {
        format!("{} snapshots ({} listed)", self.total, self.snapshots.len())
    }
}

pub fn snapshot_list(toolbox: &Toolbox, args: SnapshotListArgs) -> Result<SnapshotListOutput, ToolError> {
    let symbol = args.symbol.as_deref().map(normalize_symbol).transpose()?;
    let all = toolbox.snapshots().list(args.environment, symbol.as_deref());
    let total = all.len();
    Ok(SnapshotListOutput {
        total,
        snapshots: all
            .into_iter()
            .take(args.limit.unwrap_or(50).clamp(1, 500) as usize)
            .collect(),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotReadArgs {
    pub name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotReadOutput {
    pub name: String,
    pub content: serde_json::Value,
}

impl ToolOutput for SnapshotReadOutput {
    fn summary(&self) -> String {
        format!("snapshot {}", self.name)
    }
}

pub fn snapshot_read(toolbox: &Toolbox, args: SnapshotReadArgs) -> Result<SnapshotReadOutput, ToolError> {
    let text = toolbox
        .snapshots()
        .read(&args.name)
        .map_err(|e| ToolError::invalid(e.to_string()))?;
    let content = serde_json::from_str(&text)
        .map_err(|e| ToolError::internal(format!("snapshot {} is not JSON: {e}", args.name)))?;
    Ok(SnapshotReadOutput {
        name: args.name,
        content,
    })
}
