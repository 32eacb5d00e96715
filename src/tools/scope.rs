//! Which tool call is running on this task: incidents and audit lines filed while it runs
//! name it.

use std::future::Future;

tokio::task_local! {
    static CURRENT_TOOL: String;
}

/// Runs `fut` as the call of `tool`.
pub async fn in_tool<F: Future>(tool: impl Into<String>, fut: F) -> F::Output {
    CURRENT_TOOL.scope(tool.into(), fut).await
}

/// The tool whose call is running on this task, if any.
pub fn current_tool() -> Option<String> {
    CURRENT_TOOL.try_with(|t| t.clone()).ok()
}
