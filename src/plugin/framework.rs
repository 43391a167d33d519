//! The interfaces a provider implements: one small trait per concern, with opt-in hooks that
//! have sensible defaults. The flows in `resource_flow.rs` and `data_source_flow.rs` drive them;
//! the gRPC service in `grpc.rs` only translates around the flows.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diagnostics::Diagnostics;
use super::schema::Schema;
use super::types::Type;
use super::value::Value;

/// What every provider operation gets besides its values.
#[derive(Clone, Default)]
pub struct OpContext {
    /// Cancelled when Terraform asks the provider to stop (Ctrl-C): long waits end promptly.
    pub cancel: CancellationToken,
    /// What a create has made so far, should it panic before it returns.
    pub partial: PartialState,
}

/// The state (and private state) a create records as it makes things, so that a panic part-way
/// still reports what exists instead of orphaning it.
#[derive(Clone, Default)]
pub struct PartialState(Arc<std::sync::Mutex<Option<Recorded>>>);

/// A recorded state and private state.
type Recorded = (Value, Vec<u8>);

impl PartialState {
    /// Records what exists now, replacing what was recorded before.
    pub fn record(&self, state: Value, private: Vec<u8>) {
        *self.lock() = Some((state, private));
    }

    /// What was last recorded, if anything.
    pub fn take(&self) -> Option<Recorded> {
        self.lock().take()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Recorded>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The provider: its configuration block, and what it offers.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Where Terraform finds the provider, such as `registry.terraform.io/acme/thing`: a moved
    /// block takes state over only from types of this very provider.
    fn source_address(&self) -> &str;

    /// The provider block's schema.
    fn schema(&self) -> &Schema;

    /// Checks across attributes of the provider block, beyond each attribute's validators.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Applies the provider block (which may still hold unknown values during plan).
    async fn configure(&self, config: &Value, terraform_version: &str) -> Diagnostics;

    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }
}

/// What a plan hook sees.
pub struct PlanRequest<'a> {
    /// Null when the resource is being created.
    pub prior: &'a Value,
    pub config: &'a Value,
    pub prior_private: &'a [u8],
}

/// The result of a create or update: the state to record (also on failure, so Terraform
/// keeps what was made), the private state, and diagnostics.
pub struct ApplyOutcome {
    pub state: Value,
    pub private: Vec<u8>,
    pub diags: Diagnostics,
}

/// The result of a read: `state` is null when the remote object is gone.
pub struct ReadOutcome {
    pub state: Value,
    pub private: Vec<u8>,
    pub diags: Diagnostics,
}

impl ReadOutcome {
    /// What a read returns: the state it read, or, when it failed, the prior state kept with
    /// the error, so that Terraform forgets nothing.
    pub fn from_result(
        read: Result<(Value, Vec<u8>, Diagnostics), Diagnostics>,
        prior: &Value,
        prior_private: &[u8],
    ) -> ReadOutcome {
        match read {
            Ok((state, private, diags)) => ReadOutcome {
                state,
                private,
                diags,
            },
            Err(diags) => ReadOutcome {
                state: prior.clone(),
                private: prior_private.to_vec(),
                diags,
            },
        }
    }
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> &Schema;

    /// Checks across attributes, beyond each attribute's validators. Unknown values must pass.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts the plan after defaults are applied and before replace paths are found; returns
    /// the planned private state.
    fn modify_plan(
        &self,
        req: &PlanRequest<'_>,
        _planned: &mut Value,
        _diags: &mut Diagnostics,
    ) -> Vec<u8> {
        req.prior_private.to_vec()
    }

    async fn create(&self, ctx: &OpContext, planned: &Value, private: &[u8]) -> ApplyOutcome;

    async fn read(&self, ctx: &OpContext, state: &Value, private: &[u8]) -> ReadOutcome;

    async fn update(
        &self,
        ctx: &OpContext,
        prior: &Value,
        planned: &Value,
        private: &[u8],
    ) -> ApplyOutcome;

    /// Deletes the remote objects; an error keeps the resource in state.
    async fn delete(&self, ctx: &OpContext, prior: &Value, private: &[u8]) -> Diagnostics;

    /// Takes over the state of another type of this provider (a `moved` block): the source's
    /// state, decoded with its schema, and its private state become this type's, with no call
    /// to AWS. None when this type cannot take that one over.
    fn move_from(
        &self,
        _source_type: &str,
        _source: &Value,
        _source_private: &[u8],
    ) -> Option<Result<(Value, Vec<u8>), Diagnostics>> {
        None
    }

    /// Brings a stored state written at schema `version` (decoded with the current schema's
    /// type) to the current schema. The default takes a state of the current version as it is
    /// and refuses any other: a type that raises its schema version overrides this.
    fn upgrade_state(&self, version: i64, state: Value) -> Result<Value, Diagnostics> {
        let (name, current) = (self.type_name(), self.schema().version);
        if version == current {
            return Ok(state);
        }
        let mut diags = Diagnostics::new();
        if version > current {
            diags.error(
                "State from a newer provider",
                format!(
                    "The state of this {name} was written by a newer provider (schema version {version}; \
                     this one knows {current}). Upgrade the provider."
                ),
            );
        } else {
            diags.error(
                "State too old to upgrade",
                format!(
                    "The state of this {name} has schema version {version}, which this provider cannot \
                     upgrade to {current}."
                ),
            );
        }
        Err(diags)
    }

    /// Turns an import id into a state that the following read completes.
    async fn import(&self, _ctx: &OpContext, _id: &str) -> Result<(Value, Vec<u8>), Diagnostics> {
        let mut diags = Diagnostics::new();
        diags.error(
            "Import not supported",
            format!("{} cannot be imported.", self.type_name()),
        );
        Err(diags)
    }
}

/// The result of a data source's read: its state (what the read found, in the schema's
/// computed attributes) and diagnostics. With errors, the state is ignored.
pub struct DataReadOutcome {
    pub state: Value,
    pub diags: Diagnostics,
}

impl DataReadOutcome {
    /// A read that failed with `diags`.
    pub fn failed(diags: Diagnostics) -> DataReadOutcome {
        DataReadOutcome {
            state: Value::Null,
            diags,
        }
    }
}

/// A data source type: reads something that exists and describes it in computed attributes.
#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> &Schema;

    /// Checks across attributes, beyond each attribute's validators. Unknown values must pass.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Reads with a wholly known configuration. The configured arguments are echoed back by the
    /// flow whatever the state returned holds for them; computed attributes come from here.
    async fn read(&self, ctx: &OpContext, config: &Value) -> DataReadOutcome;
}

/// A parameter of a provider function.
pub struct Parameter {
    pub name: &'static str,
    pub ty: Type,
    pub description: &'static str,
}

/// A provider function's signature and documentation.
pub struct Signature {
    pub parameters: Vec<Parameter>,
    pub returns: Type,
    pub summary: &'static str,
    pub description: &'static str,
}

/// Why a function call failed; `argument` is the 0-based index of the argument at fault.
/// `text` never quotes an argument's value: Terraform does not tell a provider which
/// arguments are sensitive, so any of them may be.
#[derive(Debug)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<i64>,
}

/// A provider-defined function, such as `provider::apigw::log_format`.
pub trait Function: Send + Sync {
    fn name(&self) -> &'static str;
    fn signature(&self) -> Signature;
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}
