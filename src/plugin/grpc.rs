//! The tfplugin6 `Provider` gRPC service: decodes each request into plain values, calls the
//! flow that handles it (`resource_flow`, `data_source_flow`) or the provider's traits, and
//! encodes the answer. Generated types stop here.

use std::collections::HashMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::{debug, info};

use super::codec::{self, CodecError};
use super::diagnostics::Diagnostics;
use super::framework::{DataSource, Function, OpContext, PlanRequest, Provider, Resource};
use super::logging;
use super::proto::tfplugin6 as pb;
use super::types::Type;
use super::value::Value;
use super::{data_source_flow, resource_flow};

type RpcResult<T> = Result<Response<T>, Status>;

/// Serves one provider over the tfplugin6 protocol.
pub struct ProviderService {
    provider: Arc<dyn Provider>,
    resources: HashMap<&'static str, Arc<dyn Resource>>,
    data_sources: HashMap<&'static str, Arc<dyn DataSource>>,
    functions: HashMap<&'static str, Arc<dyn Function>>,
    /// The schema answer never changes, so it is built once.
    schema_response: pb::get_provider_schema::Response,
    /// Cancelled when the plugin shuts down; ends everything.
    stop: CancellationToken,
    /// The stop that operations started from now on share: StopProvider cancels it and puts a
    /// fresh one in its place, so it ends the operations in flight and not later ones
    /// (Terraform may reuse the provider process after a stop).
    current_stop: std::sync::Mutex<CancellationToken>,
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>, stop: CancellationToken) -> ProviderService {
        let resources: HashMap<_, _> = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), r))
            .collect();
        let data_sources: HashMap<_, _> = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), d))
            .collect();
        let functions: HashMap<_, _> = provider
            .functions()
            .into_iter()
            .map(|f| (f.name(), f))
            .collect();
        let schema_response = pb::get_provider_schema::Response {
            provider: Some(provider.schema().to_proto()),
            resource_schemas: resources
                .iter()
                .map(|(n, r)| ((*n).to_owned(), r.schema().to_proto()))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(n, d)| ((*n).to_owned(), d.schema().to_proto()))
                .collect(),
            functions: functions
                .iter()
                .map(|(n, f)| ((*n).to_owned(), function_to_proto(f.as_ref())))
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        };
        ProviderService {
            provider,
            resources,
            data_sources,
            functions,
            schema_response,
            current_stop: std::sync::Mutex::new(stop.child_token()),
            stop,
        }
    }

    fn resource(&self, type_name: &str) -> Result<&Arc<dyn Resource>, Diagnostics> {
        self.resources.get(type_name).ok_or_else(|| {
            let mut d = Diagnostics::new();
            d.error(
                "Unknown resource type",
                format!("This provider has no resource type {type_name:?}."),
            );
            d
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&Arc<dyn DataSource>, Diagnostics> {
        self.data_sources.get(type_name).ok_or_else(|| {
            let mut d = Diagnostics::new();
            d.error(
                "Unknown data source type",
                format!("This provider has no data source type {type_name:?}."),
            );
            d
        })
    }

    fn context(&self) -> OpContext {
        OpContext {
            cancel: self.lock_current_stop().child_token(),
            partial: Default::default(),
        }
    }

    fn lock_current_stop(&self) -> std::sync::MutexGuard<'_, CancellationToken> {
        // The token is replaced whole; a poisoned lock still holds a usable one.
        self.current_stop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Ends the operations in flight; later ones get a fresh token.
    fn stop_in_flight(&self) {
        let fresh = self.stop.child_token();
        let in_flight = std::mem::replace(&mut *self.lock_current_stop(), fresh);
        in_flight.cancel();
    }
}

/// The schema never changes, so Terraform may use its cached copy instead of asking each
/// provider process for it again.
fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: true,
    }
}

fn function_to_proto(f: &dyn Function) -> pb::Function {
    let sig = f.signature();
    pb::Function {
        parameters: sig
            .parameters
            .iter()
            .map(|p| pb::function::Parameter {
                name: p.name.to_owned(),
                r#type: p.ty.to_json_bytes(),
                description: p.description.to_owned(),
                description_kind: pb::StringKind::Markdown as i32,
                ..Default::default()
            })
            .collect(),
        r#return: Some(pb::function::Return {
            r#type: sig.returns.to_json_bytes(),
        }),
        summary: sig.summary.to_owned(),
        description: sig.description.to_owned(),
        description_kind: pb::StringKind::Markdown as i32,
        ..Default::default()
    }
}

/// Decodes a DynamicValue (msgpack preferred, JSON accepted); an absent one is null.
fn decode(dv: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, CodecError> {
    match dv {
        Some(dv) if !dv.msgpack.is_empty() => codec::decode_msgpack(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => codec::decode_json(&dv.json, ty),
        _ => Ok(Value::Null),
    }
}

fn encode(value: &Value, ty: &Type) -> Result<pb::DynamicValue, CodecError> {
    Ok(pb::DynamicValue {
        msgpack: codec::encode_msgpack(value, ty)?,
        json: Vec::new(),
    })
}

/// Makes every value of a sensitive provider argument one that log lines never show, as the
/// credentials are: the schema says which arguments those are, so a new one is covered too.
fn register_sensitive(schema: &super::schema::Schema, config: &Value) {
    for secret in schema.sensitive_strings(config) {
        logging::register_secret(&secret);
    }
}

fn codec_diags(what: &str, e: CodecError) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error(
        format!("Invalid {what}"),
        format!("The provider could not decode the {what}: {e}."),
    );
    d
}

/// Turns a `Result<T, Diagnostics>` into the value or an early return of the response built
/// from the diagnostics.
macro_rules! try_diags {
    ($expr:expr, $resp:expr) => {
        match $expr {
            Ok(v) => v,
            Err(diags) => {
                let diags: Diagnostics = diags;
                return Ok(Response::new($resp(diags.to_proto())));
            }
        }
    };
}

fn not_offered(what: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error(
        format!("No such {what}"),
        format!("This provider offers no {what}s."),
    );
    d
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .resources
                .keys()
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: (*n).to_owned(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|n| pb::get_metadata::DataSourceMetadata {
                    type_name: (*n).to_owned(),
                })
                .collect(),
            functions: self
                .functions
                .keys()
                .map(|n| pb::get_metadata::FunctionMetadata {
                    name: (*n).to_owned(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let resp = |diagnostics| pb::validate_provider_config::Response { diagnostics };
        let schema = self.provider.schema();
        let config = try_diags!(
            decode(req.get_ref().config.as_ref(), &schema.value_type())
                .map_err(|e| codec_diags("provider configuration", e)),
            resp
        );
        register_sensitive(schema, &config);
        let mut diags = Diagnostics::new();
        schema.validate(&config, &mut diags);
        self.provider.validate(&config, &mut diags);
        Ok(Response::new(resp(diags.to_proto())))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let resp = |diagnostics| pb::validate_resource_config::Response { diagnostics };
        let req = req.into_inner();
        let resource = try_diags!(self.resource(&req.type_name), resp);
        let config = try_diags!(
            decode(req.config.as_ref(), &resource.schema().value_type())
                .map_err(|e| codec_diags("resource configuration", e)),
            resp
        );
        let diags = resource_flow::validate(resource.as_ref(), &config);
        Ok(Response::new(resp(diags.to_proto())))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let resp = |diagnostics| pb::validate_data_resource_config::Response { diagnostics };
        let req = req.into_inner();
        let data_source = try_diags!(self.data_source(&req.type_name), resp);
        let config = try_diags!(
            decode(req.config.as_ref(), &data_source.schema().value_type())
                .map_err(|e| codec_diags("data source configuration", e)),
            resp
        );
        let diags = data_source_flow::validate(data_source.as_ref(), &config);
        Ok(Response::new(resp(diags.to_proto())))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let resp = |diagnostics| pb::upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics,
        };
        let req = req.into_inner();
        let resource = try_diags!(self.resource(&req.type_name), resp);
        let ty = resource.schema().value_type();
        let raw = req.raw_state.unwrap_or_default();
        if raw.json.is_empty() {
            let mut d = Diagnostics::new();
            d.error(
                "Unsupported state format",
                "Only JSON state is supported; this state is in the legacy flatmap form.",
            );
            return Ok(Response::new(resp(d.to_proto())));
        }
        let state = try_diags!(
            codec::decode_json(&raw.json, &ty).map_err(|e| codec_diags("stored state", e)),
            resp
        );
        let state = try_diags!(
            resource_flow::upgrade(resource.as_ref(), req.version, state),
            resp
        );
        let upgraded = try_diags!(
            encode(&state, &ty).map_err(|e| codec_diags("upgraded state", e)),
            resp
        );
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: Some(upgraded),
            diagnostics: vec![],
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let resp = |diagnostics| pb::configure_provider::Response { diagnostics };
        let req = req.into_inner();
        let schema = self.provider.schema();
        let config = try_diags!(
            decode(req.config.as_ref(), &schema.value_type())
                .map_err(|e| codec_diags("provider configuration", e)),
            resp
        );
        register_sensitive(schema, &config);
        info!(terraform_version = %req.terraform_version, "configuring provider");
        let diags = self
            .provider
            .configure(&config, &req.terraform_version)
            .await;
        Ok(Response::new(resp(diags.to_proto())))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let resp = |diagnostics| pb::read_resource::Response {
            diagnostics,
            ..Default::default()
        };
        let req = req.into_inner();
        let resource = try_diags!(self.resource(&req.type_name), resp);
        let ty = resource.schema().value_type();
        let state = try_diags!(
            decode(req.current_state.as_ref(), &ty).map_err(|e| codec_diags("state", e)),
            resp
        );
        let ctx = self.context();
        let outcome = resource_flow::read(resource.as_ref(), &ctx, &state, &req.private).await;
        let new_state = try_diags!(
            encode(&outcome.state, &ty).map_err(|e| codec_diags("new state", e)),
            resp
        );
        Ok(Response::new(pb::read_resource::Response {
            new_state: Some(new_state),
            diagnostics: outcome.diags.to_proto(),
            private: outcome.private,
            deferred: None,
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let resp = |diagnostics| pb::plan_resource_change::Response {
            diagnostics,
            ..Default::default()
        };
        let req = req.into_inner();
        let resource = try_diags!(self.resource(&req.type_name), resp);
        let ty = resource.schema().value_type();
        let decode_all = || -> Result<_, CodecError> {
            Ok((
                decode(req.prior_state.as_ref(), &ty)?,
                decode(req.proposed_new_state.as_ref(), &ty)?,
                decode(req.config.as_ref(), &ty)?,
            ))
        };
        let (prior, proposed, config) = try_diags!(
            decode_all().map_err(|e| codec_diags("plan request", e)),
            resp
        );
        let plan_req = PlanRequest {
            prior: &prior,
            config: &config,
            prior_private: &req.prior_private,
        };
        let planned = resource_flow::plan(resource.as_ref(), &plan_req, &proposed);
        debug!(resource = %req.type_name, replace = planned.requires_replace.len(), "planned");
        let planned_state = try_diags!(
            encode(&planned.state, &ty).map_err(|e| codec_diags("plan", e)),
            resp
        );
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state: Some(planned_state),
            requires_replace: planned
                .requires_replace
                .iter()
                .map(|p| p.to_proto())
                .collect(),
            planned_private: planned.private,
            diagnostics: planned.diags.to_proto(),
            legacy_type_system: false,
            deferred: None,
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let resp = |diagnostics| pb::apply_resource_change::Response {
            diagnostics,
            ..Default::default()
        };
        let req = req.into_inner();
        let resource = try_diags!(self.resource(&req.type_name), resp);
        let ty = resource.schema().value_type();
        let decode_both = || -> Result<_, CodecError> {
            Ok((
                decode(req.prior_state.as_ref(), &ty)?,
                decode(req.planned_state.as_ref(), &ty)?,
            ))
        };
        let (prior, planned) = try_diags!(
            decode_both().map_err(|e| codec_diags("apply request", e)),
            resp
        );
        let ctx = self.context();
        let outcome = resource_flow::apply(
            resource.as_ref(),
            &ctx,
            &prior,
            &planned,
            &req.planned_private,
        )
        .await;
        let new_state = try_diags!(
            encode(&outcome.state, &ty).map_err(|e| codec_diags("new state", e)),
            resp
        );
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: Some(new_state),
            private: outcome.private,
            diagnostics: outcome.diags.to_proto(),
            legacy_type_system: false,
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let resp = |diagnostics| pb::import_resource_state::Response {
            diagnostics,
            ..Default::default()
        };
        let req = req.into_inner();
        let resource = try_diags!(self.resource(&req.type_name), resp);
        let ctx = self.context();
        let (state, private) = try_diags!(
            resource_flow::import(resource.as_ref(), &ctx, &req.id).await,
            resp
        );
        let state = try_diags!(
            encode(&state, &resource.schema().value_type())
                .map_err(|e| codec_diags("imported state", e)),
            resp
        );
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: req.type_name,
                state: Some(state),
                private,
            }],
            diagnostics: vec![],
            deferred: None,
        }))
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        let resp = |diagnostics| pb::move_resource_state::Response {
            diagnostics,
            ..Default::default()
        };
        let req = req.into_inner();
        let target = try_diags!(self.resource(&req.target_type_name), resp);
        // Only this provider's own types are understood: their schemas decode the source.
        let ours = req.source_provider_address == self.provider.source_address();
        let source = try_diags!(
            self.resources
                .get(req.source_type_name.as_str())
                .filter(|_| ours)
                .ok_or_else(|| resource_flow::cannot_move(
                    &req.source_type_name,
                    &req.target_type_name
                )),
            resp
        );
        let json = req.source_state.map(|r| r.json).unwrap_or_default();
        let state = try_diags!(
            codec::decode_json(&json, &source.schema().value_type())
                .map_err(|e| codec_diags("source state", e)),
            resp
        );
        let (state, private) = try_diags!(
            resource_flow::move_state(
                target.as_ref(),
                source.as_ref(),
                req.source_schema_version,
                state,
                &req.source_private,
            ),
            resp
        );
        let state = try_diags!(
            encode(&state, &target.schema().value_type())
                .map_err(|e| codec_diags("moved state", e)),
            resp
        );
        Ok(Response::new(pb::move_resource_state::Response {
            target_state: Some(state),
            diagnostics: vec![],
            target_private: private,
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let resp = |diagnostics| pb::read_data_source::Response {
            diagnostics,
            ..Default::default()
        };
        let req = req.into_inner();
        let data_source = try_diags!(self.data_source(&req.type_name), resp);
        let ty = data_source.schema().value_type();
        let config = try_diags!(
            decode(req.config.as_ref(), &ty)
                .map_err(|e| codec_diags("data source configuration", e)),
            resp
        );
        let ctx = self.context();
        let outcome = data_source_flow::read(data_source.as_ref(), &ctx, &config).await;
        let state = try_diags!(
            encode(&outcome.state, &ty).map_err(|e| codec_diags("data source state", e)),
            resp
        );
        Ok(Response::new(pb::read_data_source::Response {
            state: Some(state),
            diagnostics: outcome.diags.to_proto(),
            deferred: None,
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        Ok(Response::new(
            pb::validate_ephemeral_resource_config::Response {
                diagnostics: not_offered("ephemeral resource").to_proto(),
            },
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        _: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        Ok(Response::new(pb::open_ephemeral_resource::Response {
            diagnostics: not_offered("ephemeral resource").to_proto(),
            ..Default::default()
        }))
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        Ok(Response::new(pb::renew_ephemeral_resource::Response {
            diagnostics: not_offered("ephemeral resource").to_proto(),
            ..Default::default()
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        Ok(Response::new(pb::close_ephemeral_resource::Response {
            diagnostics: not_offered("ephemeral resource").to_proto(),
        }))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> RpcResult<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response {
            functions: self.schema_response.functions.clone(),
            diagnostics: vec![],
        }))
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        let req = req.into_inner();
        let fail = |text: String, argument: Option<i64>| {
            Ok(Response::new(pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text,
                    function_argument: argument,
                }),
            }))
        };
        let Some(function) = self.functions.get(req.name.as_str()) else {
            return fail(
                format!("This provider has no function {:?}.", req.name),
                None,
            );
        };
        let sig = function.signature();
        if req.arguments.len() != sig.parameters.len() {
            return fail(
                format!(
                    "{} takes {} arguments, got {}.",
                    req.name,
                    sig.parameters.len(),
                    req.arguments.len()
                ),
                None,
            );
        }
        let mut args = Vec::with_capacity(req.arguments.len());
        for (i, (arg, param)) in req.arguments.iter().zip(&sig.parameters).enumerate() {
            match decode(Some(arg), &param.ty) {
                Ok(v) => args.push(v),
                Err(e) => {
                    return fail(
                        format!("Invalid value for {}: {e}.", param.name),
                        Some(i as i64),
                    );
                }
            }
        }
        match function.call(&args).and_then(|v| {
            encode(&v, &sig.returns).map_err(|e| super::framework::FunctionError {
                text: e.to_string(),
                argument: None,
            })
        }) {
            Ok(result) => Ok(Response::new(pb::call_function::Response {
                result: Some(result),
                error: None,
            })),
            Err(e) => fail(e.text, e.argument),
        }
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> RpcResult<pb::stop_provider::Response> {
        info!("stop requested: cancelling in-flight work");
        self.stop_in_flight();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::proto::tfplugin6::provider_server::Provider as _;

    fn service(root: &CancellationToken) -> ProviderService {
        ProviderService::new(
            Arc::new(crate::provider::ApigwProvider::default()),
            root.clone(),
        )
    }

    #[tokio::test]
    async fn stop_ends_operations_in_flight_and_not_later_ones() {
        let root = CancellationToken::new();
        let svc = service(&root);
        let in_flight = svc.context();
        svc.stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .expect("stop answers");
        assert!(
            in_flight.cancel.is_cancelled(),
            "the operation in flight is stopped"
        );
        let later = svc.context();
        assert!(
            !later.cancel.is_cancelled(),
            "an operation after the stop runs"
        );
        svc.stop_in_flight();
        assert!(later.cancel.is_cancelled(), "a second stop ends it too");
    }

    const DATA_SOURCE: &str = "apigw_stage_access_log";

    fn data_config(
        svc: &ProviderService,
        rest_api_id: Value,
        stage_name: Value,
    ) -> pb::DynamicValue {
        let ty = svc.data_sources[DATA_SOURCE].schema().value_type();
        let config = Value::object([("rest_api_id", rest_api_id), ("stage_name", stage_name)]);
        encode(&config, &ty).expect("the configuration encodes")
    }

    #[tokio::test]
    async fn data_sources_are_listed_with_their_schemas() {
        let svc = service(&CancellationToken::new());
        let meta = svc
            .get_metadata(Request::new(pb::get_metadata::Request {}))
            .await
            .expect("metadata answers")
            .into_inner();
        let names: Vec<&str> = meta
            .data_sources
            .iter()
            .map(|d| d.type_name.as_str())
            .collect();
        assert_eq!(names, vec![DATA_SOURCE]);
        let schema = svc
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .expect("schema answers")
            .into_inner();
        let block = schema.data_source_schemas[DATA_SOURCE]
            .block
            .as_ref()
            .expect("a schema block");
        let computed: Vec<&str> = block
            .attributes
            .iter()
            .filter(|a| a.computed)
            .map(|a| a.name.as_str())
            .collect();
        assert!(computed.contains(&"managed_by"), "{computed:?}");
        assert!(!computed.contains(&"rest_api_id"), "{computed:?}");
    }

    #[tokio::test]
    async fn data_source_configurations_are_validated_with_unknowns_passing() {
        let svc = service(&CancellationToken::new());
        let validate = |config| {
            svc.validate_data_resource_config(Request::new(
                pb::validate_data_resource_config::Request {
                    type_name: DATA_SOURCE.to_owned(),
                    config: Some(config),
                },
            ))
        };
        let bad = data_config(&svc, "abc123".into(), "prod.v1".into());
        let diags = validate(bad)
            .await
            .expect("validate answers")
            .into_inner()
            .diagnostics;
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].detail.contains("stage_name"), "{diags:?}");
        assert!(diags[0].attribute.is_some(), "{diags:?}");
        let unknown = data_config(&svc, Value::unknown(), Value::unknown());
        let diags = validate(unknown)
            .await
            .expect("validate answers")
            .into_inner()
            .diagnostics;
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[tokio::test]
    async fn reading_an_unknown_data_source_type_is_an_error() {
        let svc = service(&CancellationToken::new());
        let config = data_config(&svc, "abc123".into(), "prod".into());
        let resp = svc
            .read_data_source(Request::new(pb::read_data_source::Request {
                type_name: "apigw_nothing".to_owned(),
                config: Some(config),
                ..Default::default()
            }))
            .await
            .expect("read answers")
            .into_inner();
        assert!(resp.state.is_none());
        assert_eq!(resp.diagnostics.len(), 1);
        assert!(
            resp.diagnostics[0].detail.contains("apigw_nothing"),
            "{resp:?}"
        );
    }

    #[tokio::test]
    async fn an_unknown_data_source_configuration_reads_as_unknown_without_aws() {
        // The provider is not configured, so any AWS call would fail with an error.
        let svc = service(&CancellationToken::new());
        let config = data_config(&svc, "abc123".into(), Value::unknown());
        let resp = svc
            .read_data_source(Request::new(pb::read_data_source::Request {
                type_name: DATA_SOURCE.to_owned(),
                config: Some(config),
                ..Default::default()
            }))
            .await
            .expect("read answers")
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let ty = svc.data_sources[DATA_SOURCE].schema().value_type();
        let state = decode(resp.state.as_ref(), &ty).expect("the state decodes");
        assert_eq!(state.attr("rest_api_id"), &Value::from("abc123"));
        assert!(state.attr("managed_by").is_unknown());
    }

    #[tokio::test]
    async fn shutdown_ends_every_operation() {
        let root = CancellationToken::new();
        let svc = service(&root);
        let op = svc.context();
        root.cancel();
        assert!(op.cancel.is_cancelled());
        assert!(svc.context().cancel.is_cancelled());
    }

    const RESOURCE: &str = "apigw_stage_access_log";

    #[tokio::test]
    async fn a_stored_state_of_the_current_version_upgrades_unchanged_and_a_newer_one_is_refused() {
        let svc = service(&CancellationToken::new());
        let ty = svc.resources[RESOURCE].schema().value_type();
        let stored = Value::object([
            ("id", "abc123/prod".into()),
            ("attachment_id", "a-1".into()),
            ("rest_api_id", "abc123".into()),
            ("stage_name", "prod".into()),
            (
                "destination_arn",
                "arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x".into(),
            ),
            ("format", "$context.requestId".into()),
            ("append_newline", true.into()),
        ]);
        let upgrade = |version| {
            svc.upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: RESOURCE.to_owned(),
                version,
                raw_state: Some(pb::RawState {
                    json: codec::encode_json(&stored, &ty).expect("the state encodes"),
                    ..Default::default()
                }),
            }))
        };
        let resp = upgrade(0).await.expect("upgrade answers").into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let upgraded = decode(resp.upgraded_state.as_ref(), &ty).expect("the state decodes");
        assert_eq!(upgraded, stored);
        let resp = upgrade(1).await.expect("upgrade answers").into_inner();
        assert!(resp.upgraded_state.is_none());
        assert_eq!(resp.diagnostics.len(), 1, "{:?}", resp.diagnostics);
        assert!(
            resp.diagnostics[0].detail.contains("newer provider"),
            "{resp:?}"
        );
    }
}
