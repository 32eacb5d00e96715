//! The memory folder as MCP resources: `binance://memory`, `binance://runbooks`,
//! `binance://incidents`, and snapshots through the template `binance://snapshots/{+name}`.

use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

use crate::tools::Toolbox;
use crate::tools::memory::MemoryFile;

const SNAPSHOT_PREFIX: &str = "binance://snapshots/";

const FILES: [(MemoryFile, &str, &str, &str); 3] = [
    (
        MemoryFile::Memory,
        "binance://memory",
        "memory.md",
        "Your limits (front matter) and notes",
    ),
    (
        MemoryFile::Runbooks,
        "binance://runbooks",
        "runbooks.md",
        "Workflows that worked in production",
    ),
    (
        MemoryFile::Incidents,
        "binance://incidents",
        "incidents.md",
        "Binance errors and failures, with fix hints",
    ),
];

/// The three Markdown files (created from the templates on first use).
pub fn list(tb: &Toolbox) -> Vec<Resource> {
    if let Err(e) = tb.memory().ensure() {
        tracing::warn!(error = %e, "memory folder unavailable");
    }
    FILES
        .iter()
        .map(|(file, uri, name, title)| {
            let size = std::fs::metadata(tb.memory().path(file.file_name()))
                .map(|m| m.len())
                .unwrap_or(0);
            Resource::new(*uri, *name)
                .with_title(*title)
                .with_mime_type("text/markdown")
                .with_size(size)
        })
        .collect()
}

pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(format!("{SNAPSHOT_PREFIX}{{+name}}"), "snapshot")
            .with_title("A filters snapshot or validation capture (names from snapshot_list)"),
    ]
}

pub fn read(tb: &Toolbox, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    if let Some((file, uri, _, _)) = FILES.iter().find(|(_, u, _, _)| *u == uri) {
        let text = tb
            .memory()
            .read_text(file.file_name())
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        return Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, *uri).with_mime_type("text/markdown"),
        ]));
    }
    if let Some(name) = uri.strip_prefix(SNAPSHOT_PREFIX) {
        // Clients may expand the template with the slashes percent-encoded.
        let name = name.replace("%2F", "/").replace("%2f", "/");
        let text = tb
            .snapshots()
            .read(&name)
            .map_err(|e| ErrorData::resource_not_found(e.to_string(), None))?;
        return Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, uri).with_mime_type("application/json"),
        ]));
    }
    Err(ErrorData::resource_not_found(
        format!(
            "unknown resource {uri}; the resources are binance://memory, binance://runbooks, binance://incidents and binance://snapshots/<name>"
        ),
        None,
    ))
}
