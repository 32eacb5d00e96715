//! The memory folder as MCP resources: `binance://memory`, `binance://runbooks`,
//! `binance://incidents`, the audit log and the desk's orders read back (`binance://audit`,
//! `binance://orders`, the newest 200 of each, one line each), and snapshots through the
//! template `binance://snapshots/{+name}`.

use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

use crate::tools::Toolbox;
use crate::tools::memory::MemoryFile;

const SNAPSHOT_PREFIX: &str = "binance://snapshots/";

/// The read-back views: (uri, name, title).
const REVIEWS: [(&str, &str, &str); 2] = [
    (
        "binance://audit",
        "audit",
        "Signed requests, confirmations, gate refusals and halts (newest 200)",
    ),
    (
        "binance://orders",
        "orders",
        "Orders and lists the desk reserved, with their outcomes (newest 200)",
    ),
];

/// How many lines a read-back resource shows.
const REVIEW_LINES: usize = 200;

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
pub fn list(toolbox: &Toolbox) -> Vec<Resource> {
    if let Err(e) = toolbox.memory().ensure() {
        tracing::warn!(error = %e, "memory folder unavailable");
    }
    FILES
        .iter()
        .map(|(file, uri, name, title)| {
            let size = std::fs::metadata(toolbox.memory().path(file.file_name()))
                .map(|m| m.len())
                .unwrap_or(0);
            Resource::new(*uri, *name)
                .with_title(*title)
                .with_mime_type("text/markdown")
                .with_size(size)
        })
        .chain(REVIEWS.iter().map(|(uri, name, title)| {
            Resource::new(*uri, *name)
                .with_title(*title)
                .with_mime_type("text/plain")
        }))
        .collect()
}

pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(format!("{SNAPSHOT_PREFIX}{{+name}}"), "snapshot")
            .with_title("A filters snapshot or validation capture (names from snapshot_list)"),
    ]
}

pub fn read(toolbox: &Toolbox, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    if let Some((file, uri, _, _)) = FILES.iter().find(|(_, u, _, _)| *u == uri) {
        let text = toolbox
            .memory()
            .read_text(file.file_name())
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        return Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, *uri).with_mime_type("text/markdown"),
        ]));
    }
    if REVIEWS.iter().any(|(u, _, _)| *u == uri) {
        let filter = crate::review::ReviewFilter {
            limit: REVIEW_LINES,
            ..Default::default()
        };
        let lines = if uri == "binance://audit" {
            crate::review::audit_lines(toolbox.memory(), &filter)
        } else {
            toolbox
                .store()
                .and_then(|store| crate::review::order_lines(store, &filter))
        }
        .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        return Ok(ReadResourceResult::new(vec![
            ResourceContents::text(lines.join("\n"), uri).with_mime_type("text/plain"),
        ]));
    }
    if let Some(name) = uri.strip_prefix(SNAPSHOT_PREFIX) {
        // Clients may expand the template with the slashes percent-encoded.
        let name = name.replace("%2F", "/").replace("%2f", "/");
        let text = toolbox
            .snapshots()
            .read(&name)
            .map_err(|e| ErrorData::resource_not_found(e.to_string(), None))?;
        return Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, uri).with_mime_type("application/json"),
        ]));
    }
    Err(ErrorData::resource_not_found(
        format!(
            "unknown resource {uri}; the resources are binance://memory, binance://runbooks, binance://incidents, binance://audit, binance://orders and binance://snapshots/<name>"
        ),
        None,
    ))
}
