//! The two arguments every signed tool takes: which environment the call goes to, and the
//! human's production yes. Flattened into each tool's arguments, so the schema an agent sees
//! is unchanged while the rule that joins them is written once.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{ToolError, Toolbox};
use crate::config::Environment;
use crate::guard;

/// Where a signed call goes and whether the human said yes to production; the default is
/// the human's default environment without a yes. No
/// `deny_unknown_fields` here: the tool's own argument struct refuses unknown keys (serde
/// hands a flattened struct every key the outer one did not take).
#[derive(Debug, Default, Clone, Copy, Deserialize, JsonSchema)]
pub struct SignedTarget {
    /// default testnet
    #[serde(default)]
    pub environment: Option<Environment>,
    /// only after the human's yes
    #[serde(default)]
    pub confirm_production: bool,
}

impl SignedTarget {
    /// The environment the call goes to: the given one, else the human's default (memory.md).
    pub fn environment(&self, toolbox: &Toolbox) -> Environment {
        toolbox.signed_env(self.environment)
    }

    /// Resolves the environment once and keeps it, so that what the human approves and what the
    /// tool then does cannot fall on two environments if memory.md's default changes between.
    pub fn pin(&mut self, toolbox: &Toolbox) -> Environment {
        let env = self.environment(toolbox);
        self.environment = Some(env);
        env
    }

    /// The environment, refused on production without `confirm_production: true`.
    pub fn confirmed(&self, toolbox: &Toolbox, tool: &str) -> Result<Environment, ToolError> {
        let env = self.environment(toolbox);
        guard::require_confirmation(env, self.confirm_production, tool)?;
        Ok(env)
    }

    /// Production with the human's yes given as the argument.
    pub fn confirms_production(&self, env: Environment) -> bool {
        env == Environment::Production && self.confirm_production
    }
}
