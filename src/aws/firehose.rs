//! Firehose delivery streams (Direct PUT to S3): find, status, wait, create, update, delete, tags.

use std::collections::BTreeMap;

use aws_sdk_firehose::types::DynamicPartitioningConfiguration;
use aws_sdk_firehose::types::{
    BufferingHints, CloudWatchLoggingOptions, CompressionFormat, DataFormatConversionConfiguration,
    DeliveryStreamEncryptionConfigurationInput, DeliveryStreamType, Deserializer,
    EncryptionConfiguration, ExtendedS3DestinationConfiguration, ExtendedS3DestinationUpdate,
    InputFormatConfiguration, KeyType, KmsEncryptionConfig, NoEncryptionConfig, OpenXJsonSerDe,
    OutputFormatConfiguration, ParquetSerDe, ProcessingConfiguration, Processor,
    ProcessorParameter, ProcessorParameterName, ProcessorType, SchemaConfiguration, Serializer,
    Tag,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::call::send;
use super::clients::AwsClients;
use super::error::{AwsError, ErrorKind};
use super::phase::Phase;
use super::policy::{POLL_FIRST_DELAY, POLL_MAX_DELAY, next_delay};
use super::retry::{WaitError, pause_until};

/// Firehose's buffering when a destination names none: 5 MiB and 300 seconds
/// (BufferingHints.SizeInMBs and IntervalInSeconds, "BufferingHints", Firehose API Reference).
pub const DEFAULT_BUFFERING_SIZE_MIB: i32 = 5;
pub const DEFAULT_BUFFERING_INTERVAL_SECONDS: i32 = 300;

/// The S3 destination of a stream, as the provider models it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct S3Destination {
    pub role_arn: String,
    pub bucket_arn: String,
    pub prefix: Option<String>,
    pub error_output_prefix: Option<String>,
    pub buffering_size_mib: i32,
    pub buffering_interval_seconds: i32,
    pub compression: String,
    pub kms_key_arn: Option<String>,
    /// Record format conversion (JSON in, Parquet out), when enabled.
    pub format_conversion: Option<FormatConversion>,
    /// Where Firehose logs the destination's delivery errors.
    pub error_logging: ErrorLogging,
    /// Dynamic partitioning, when enabled.
    pub partitioning: Option<DynamicPartitioning>,
}

/// Dynamic partitioning as the provider uses it: `DynamicPartitioningConfiguration` enabled,
/// and one `MetadataExtraction` processor whose query makes the partition keys
/// (ProcessingConfiguration, Processor; botocore data/firehose/2015-08-04/service-2.json).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DynamicPartitioning {
    /// `MetadataExtractionQuery`.
    pub query: String,
    /// `JsonParsingEngine`.
    pub engine: String,
}

fn partitioning_config(enabled: bool) -> DynamicPartitioningConfiguration {
    DynamicPartitioningConfiguration::builder()
        .enabled(enabled)
        .build()
}

fn processing(p: &DynamicPartitioning) -> Result<ProcessingConfiguration, AwsError> {
    let param = |name: ProcessorParameterName, value: &str| {
        ProcessorParameter::builder()
            .parameter_name(name)
            .parameter_value(value)
            .build()
            .map_err(|e| AwsError::fatal("firehose:request", e.to_string()))
    };
    let processor = Processor::builder()
        .r#type(ProcessorType::MetadataExtraction)
        .parameters(param(
            ProcessorParameterName::MetadataExtractionQuery,
            &p.query,
        )?)
        .parameters(param(ProcessorParameterName::JsonParsingEngine, &p.engine)?)
        .build()
        .map_err(|e| AwsError::fatal("firehose:request", e.to_string()))?;
    Ok(ProcessingConfiguration::builder()
        .enabled(true)
        .processors(processor)
        .build())
}

fn partitioning_of(
    config: Option<&DynamicPartitioningConfiguration>,
    processing: Option<&ProcessingConfiguration>,
) -> Option<DynamicPartitioning> {
    if config.and_then(|c| c.enabled()) != Some(true) {
        return None;
    }
    let extraction = processing
        .filter(|p| p.enabled() == Some(true))
        .into_iter()
        .flat_map(|p| p.processors())
        .find(|p| p.r#type() == &ProcessorType::MetadataExtraction);
    let value = |name: ProcessorParameterName| {
        extraction
            .into_iter()
            .flat_map(|p| p.parameters())
            .find(|p| p.parameter_name() == &name)
            .map(|p| p.parameter_value().to_owned())
            .unwrap_or_default()
    };
    Some(DynamicPartitioning {
        query: value(ProcessorParameterName::MetadataExtractionQuery),
        engine: value(ProcessorParameterName::JsonParsingEngine),
    })
}

/// Firehose's `DataFormatConversionConfiguration` as the provider uses it: the OpenX JSON
/// deserializer in, Parquet out, the schema read from one Glue table (latest version) of the
/// stream's own account and region (SchemaConfiguration, Firehose API Reference: CatalogId
/// defaults to the account, Region to the stream's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormatConversion {
    /// The role Firehose reads the table with.
    pub role_arn: String,
    pub database: String,
    pub table: String,
    /// Columns whose JSON key is not their name (OpenXJsonSerDe ColumnToJsonKeyMappings).
    pub key_mappings: BTreeMap<String, String>,
}

/// The request's conversion settings: `Enabled` false when there is none, so an update turns
/// off a conversion the stream has.
fn conversion(c: Option<&FormatConversion>) -> DataFormatConversionConfiguration {
    let Some(c) = c else {
        return DataFormatConversionConfiguration::builder()
            .enabled(false)
            .build();
    };
    let openx = OpenXJsonSerDe::builder()
        .case_insensitive(true)
        .set_column_to_json_key_mappings(
            (!c.key_mappings.is_empty()).then(|| c.key_mappings.clone().into_iter().collect()),
        )
        .build();
    DataFormatConversionConfiguration::builder()
        .enabled(true)
        .schema_configuration(
            SchemaConfiguration::builder()
                .role_arn(&c.role_arn)
                .database_name(&c.database)
                .table_name(&c.table)
                .version_id("LATEST")
                .build(),
        )
        .input_format_configuration(
            InputFormatConfiguration::builder()
                .deserializer(Deserializer::builder().open_x_json_ser_de(openx).build())
                .build(),
        )
        .output_format_configuration(
            OutputFormatConfiguration::builder()
                .serializer(
                    Serializer::builder()
                        .parquet_ser_de(ParquetSerDe::builder().build())
                        .build(),
                )
                .build(),
        )
        .build()
}

fn conversion_of(c: &DataFormatConversionConfiguration) -> Option<FormatConversion> {
    if c.enabled() == Some(false) {
        return None;
    }
    let schema = c.schema_configuration()?;
    let key_mappings = c
        .input_format_configuration()
        .and_then(|i| i.deserializer())
        .and_then(|d| d.open_x_json_ser_de())
        .and_then(|o| o.column_to_json_key_mappings())
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Some(FormatConversion {
        role_arn: schema.role_arn().unwrap_or_default().to_owned(),
        database: schema.database_name().unwrap_or_default().to_owned(),
        table: schema.table_name().unwrap_or_default().to_owned(),
        key_mappings,
    })
}

/// Firehose's `CloudWatchLoggingOptions` of a destination: whether delivery errors are logged,
/// and to which log group and stream (botocore data/firehose/2015-08-04/service-2.json,
/// CloudWatchLoggingOptions). Names are kept only while enabled: a disabled destination logs
/// nowhere, whatever names it still carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorLogging {
    pub enabled: bool,
    pub log_group_name: Option<String>,
    pub log_stream_name: Option<String>,
}

impl ErrorLogging {
    fn of(options: Option<&CloudWatchLoggingOptions>) -> ErrorLogging {
        match options {
            Some(o) if o.enabled() == Some(true) => ErrorLogging {
                enabled: true,
                log_group_name: o
                    .log_group_name()
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
                log_stream_name: o
                    .log_stream_name()
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
            },
            _ => ErrorLogging::default(),
        }
    }

    fn to_options(&self) -> CloudWatchLoggingOptions {
        let names = |n: &Option<String>| n.clone().filter(|_| self.enabled);
        CloudWatchLoggingOptions::builder()
            .enabled(self.enabled)
            .set_log_group_name(names(&self.log_group_name))
            .set_log_stream_name(names(&self.log_stream_name))
            .build()
    }
}

/// A delivery stream as read from Firehose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub arn: String,
    pub status: String,
    pub version_id: String,
    pub destination_id: String,
    pub s3: Option<S3Destination>,
    /// Why a create or delete failed (`CREATING_FAILED`, `DELETING_FAILED`), as Firehose says.
    pub failure: Option<StreamFailure>,
    /// Server-side encryption of the records the stream holds.
    pub encryption: StreamEncryption,
}

/// Firehose's `DeliveryStreamEncryptionConfiguration`: its `Status` (ENABLED, ENABLING,
/// ENABLING_FAILED, DISABLED, DISABLING, DISABLING_FAILED), the key type in use, and why the
/// last change failed (botocore data/firehose/2015-08-04/service-2.json).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamEncryption {
    pub status: String,
    pub key_type: Option<String>,
    pub failure: Option<StreamFailure>,
}

/// The key type of Firehose's own key, "a service-account CMK"
/// (DeliveryStreamEncryptionConfigurationInput, Firehose API Reference).
pub const AWS_OWNED_KEY: &str = "AWS_OWNED_CMK";

/// Firehose's `FailureDescription`: a type from its `DeliveryStreamFailureType` enum (such as
/// `RETIRE_KMS_GRANT_FAILED`) and free-form details
/// (`botocore data/firehose/2015-08-04/service-2.json`, FailureDescription).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFailure {
    pub kind: String,
    pub details: String,
}

impl std::fmt::Display for StreamFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.details)
    }
}

/// How a wait for a stream's deletion ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// The stream is gone.
    Gone,
    /// Firehose gave up: the stream is `DELETING_FAILED`, for this reason.
    Failed(StreamFailure),
}

/// Reads a stream; a missing one is `ErrorKind::NotFound`.
pub async fn find_stream(aws: &AwsClients, name: &str) -> Result<Stream, AwsError> {
    let out = send(
        aws,
        "firehose:DescribeDeliveryStream",
        aws.firehose
            .describe_delivery_stream()
            .delivery_stream_name(name)
            .send(),
    )
    .await?;
    let d = out.delivery_stream_description().ok_or_else(|| {
        AwsError::fatal(
            "firehose:DescribeDeliveryStream",
            "the answer has no stream description",
        )
    })?;
    let dest = d.destinations().first();
    let s3 = dest
        .and_then(|dest| dest.extended_s3_destination_description())
        .map(|s3| S3Destination {
            role_arn: s3.role_arn().to_owned(),
            bucket_arn: s3.bucket_arn().to_owned(),
            prefix: s3.prefix().filter(|p| !p.is_empty()).map(str::to_owned),
            error_output_prefix: s3
                .error_output_prefix()
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
            buffering_size_mib: s3
                .buffering_hints()
                .and_then(|b| b.size_in_mbs())
                .unwrap_or(DEFAULT_BUFFERING_SIZE_MIB),
            buffering_interval_seconds: s3
                .buffering_hints()
                .and_then(|b| b.interval_in_seconds())
                .unwrap_or(DEFAULT_BUFFERING_INTERVAL_SECONDS),
            compression: s3.compression_format().as_str().to_owned(),
            kms_key_arn: s3
                .encryption_configuration()
                .and_then(|e| e.kms_encryption_config())
                .map(|k| k.awskms_key_arn().to_owned()),
            format_conversion: s3
                .data_format_conversion_configuration()
                .and_then(conversion_of),
            error_logging: ErrorLogging::of(s3.cloud_watch_logging_options()),
            partitioning: partitioning_of(
                s3.dynamic_partitioning_configuration(),
                s3.processing_configuration(),
            ),
        });
    Ok(Stream {
        arn: d.delivery_stream_arn().to_owned(),
        status: d.delivery_stream_status().as_str().to_owned(),
        version_id: d.version_id().to_owned(),
        destination_id: dest
            .map(|d| d.destination_id().to_owned())
            .unwrap_or_default(),
        s3,
        failure: d.failure_description().map(failure_of),
        encryption: d
            .delivery_stream_encryption_configuration()
            .map(|e| StreamEncryption {
                // A description without a status says nothing of encryption: read as off.
                status: e.status().map_or("DISABLED", |s| s.as_str()).to_owned(),
                key_type: e.key_type().map(|k| k.as_str().to_owned()),
                failure: e.failure_description().map(failure_of),
            })
            .unwrap_or_else(|| StreamEncryption {
                status: "DISABLED".to_owned(),
                ..StreamEncryption::default()
            }),
    })
}

fn failure_of(f: &aws_sdk_firehose::types::FailureDescription) -> StreamFailure {
    StreamFailure {
        kind: f.r#type().as_str().to_owned(),
        details: f.details().to_owned(),
    }
}

/// Polls until the stream is ACTIVE; a failed creation or a vanished stream is an error.
/// `created` is when this provider created it, if it did: its first check then waits until
/// the stream is older than any recently seen still CREATING.
pub async fn wait_stream_active(
    aws: &AwsClients,
    name: &str,
    created: Option<Instant>,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<Stream, WaitError> {
    let doing = format!("waiting for stream {name} to become ACTIVE");
    let check = |found: Result<Stream, AwsError>| match found {
        Ok(s) if s.status == "ACTIVE" => Ok(Seen::Done(s)),
        Ok(s) if s.status.ends_with("FAILED") => {
            let why = s.failure.map(|f| format!(" ({f})")).unwrap_or_default();
            let msg = format!("stream {name} ended in status {}{why}", s.status);
            Err(AwsError::fatal("firehose:DescribeDeliveryStream", msg))
        }
        Ok(s) if s.status == "CREATING" => Ok(Seen::InPhase),
        Ok(_) => Ok(Seen::Elsewhere),
        Err(e) => Err(e),
    };
    let phase = &aws.phases.stream_creating;
    poll_stream(aws, name, phase, created, deadline, cancel, &doing, check).await
}

/// Polls until the stream is gone, or Firehose reports the deletion failed
/// (`DELETING_FAILED`, with its `FailureDescription`). `deleted` is when this provider asked
/// for its deletion.
pub async fn wait_stream_deleted(
    aws: &AwsClients,
    name: &str,
    deleted: Option<Instant>,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<Deletion, WaitError> {
    let doing = format!("waiting for stream {name} to be deleted");
    let check = |found: Result<Stream, AwsError>| match found {
        Ok(s) if s.status == "DELETING" => Ok(Seen::InPhase),
        Ok(s) if s.status == "DELETING_FAILED" => Ok(Seen::Done(Deletion::Failed(
            s.failure.unwrap_or_else(|| StreamFailure {
                kind: "UNKNOWN_ERROR".to_owned(),
                details: "Firehose gave no failure description".to_owned(),
            }),
        ))),
        Ok(_) => Ok(Seen::Elsewhere),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(Seen::Done(Deletion::Gone)),
        Err(e) => Err(e),
    };
    let phase = &aws.phases.stream_deleting;
    poll_stream(aws, name, phase, deleted, deadline, cancel, &doing, check).await
}

/// Polls while the stream is `CREATING`: Firehose deletes a stream only once it is `ACTIVE`,
/// `DELETING`, `CREATING_FAILED` or `DELETING_FAILED` (DeleteDeliveryStream, Firehose API
/// Reference). A stream already gone is deletable too.
pub async fn wait_stream_deletable(
    aws: &AwsClients,
    name: &str,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<(), WaitError> {
    let doing = format!("waiting for stream {name} to finish CREATING before deleting it");
    let check = |found: Result<Stream, AwsError>| match found {
        Ok(s) if s.status == "CREATING" => Ok(Seen::InPhase),
        Ok(_) => Ok(Seen::Done(())),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(Seen::Done(())),
        Err(e) => Err(e),
    };
    let phase = &aws.phases.stream_creating;
    poll_stream(aws, name, phase, None, deadline, cancel, &doing, check).await
}

/// What one description of a stream tells its waiter.
enum Seen<T> {
    /// What it waits for.
    Done(T),
    /// Still in the phase it waits out.
    InPhase,
    /// In some other state: polled on, but nothing learned from it.
    Elsewhere,
}

/// Describes the stream until `check` sees it done, or an error, riding out throttling and
/// transient errors. Polls back off from [`POLL_FIRST_DELAY`] to [`POLL_MAX_DELAY`]; when the
/// stream's entry into `phase` is known, no poll comes before the phase has lasted as long as
/// it was recently seen to, and each poll teaches the phase what it saw.
#[allow(clippy::too_many_arguments)]
async fn poll_stream<T>(
    aws: &AwsClients,
    name: &str,
    phase: &Phase,
    entered: Option<Instant>,
    deadline: Instant,
    cancel: &CancellationToken,
    doing: &str,
    check: impl Fn(Result<Stream, AwsError>) -> Result<Seen<T>, AwsError>,
) -> Result<T, WaitError> {
    let started = Instant::now();
    let mut delay = POLL_FIRST_DELAY;
    let mut next = started;
    loop {
        let not_before = || entered.map_or(next, |t| next.max(phase.worth_checking(t)));
        pause_until(not_before, deadline, cancel, doing).await?;
        match check(find_stream(aws, name).await) {
            Ok(Seen::Done(done)) => {
                if let Some(t) = entered {
                    phase.out_of_phase(t);
                }
                return Ok(done);
            }
            Ok(Seen::InPhase) => {
                if let Some(t) = entered {
                    phase.still_in_phase(t);
                }
            }
            Ok(Seen::Elsewhere) => {}
            Err(e) if e.is(ErrorKind::Throttling) || e.is(ErrorKind::Transient) => {}
            Err(e) => return Err(e.into()),
        }
        if Instant::now() >= deadline {
            return Err(WaitError::Timeout(started.elapsed(), doing.to_owned()));
        }
        next = Instant::now() + delay;
        delay = next_delay(delay, POLL_MAX_DELAY);
    }
}

fn buffering(d: &S3Destination) -> BufferingHints {
    BufferingHints::builder()
        .size_in_mbs(d.buffering_size_mib)
        .interval_in_seconds(d.buffering_interval_seconds)
        .build()
}

fn encryption(d: &S3Destination) -> Result<EncryptionConfiguration, AwsError> {
    Ok(match &d.kms_key_arn {
        Some(key) => EncryptionConfiguration::builder()
            .kms_encryption_config(
                KmsEncryptionConfig::builder()
                    .awskms_key_arn(key)
                    .build()
                    .map_err(|e| AwsError::fatal("firehose:request", e.to_string()))?,
            )
            .build(),
        None => EncryptionConfiguration::builder()
            .no_encryption_config(NoEncryptionConfig::NoEncryption)
            .build(),
    })
}

/// Creates a Direct PUT stream delivering to S3, its records encrypted at rest with
/// Firehose's own key when `encrypted`.
pub async fn create_stream(
    aws: &AwsClients,
    name: &str,
    dest: &S3Destination,
    encrypted: bool,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let config = ExtendedS3DestinationConfiguration::builder()
        .role_arn(&dest.role_arn)
        .bucket_arn(&dest.bucket_arn)
        .set_prefix(dest.prefix.clone())
        .set_error_output_prefix(dest.error_output_prefix.clone())
        .buffering_hints(buffering(dest))
        .compression_format(CompressionFormat::from(dest.compression.as_str()))
        .encryption_configuration(encryption(dest)?)
        .set_data_format_conversion_configuration(
            dest.format_conversion.as_ref().map(|c| conversion(Some(c))),
        )
        .cloud_watch_logging_options(dest.error_logging.to_options())
        .set_dynamic_partitioning_configuration(
            dest.partitioning
                .as_ref()
                .map(|_| partitioning_config(true)),
        )
        .set_processing_configuration(dest.partitioning.as_ref().map(processing).transpose()?)
        .build()
        .map_err(|e| AwsError::fatal("firehose:CreateDeliveryStream", e.to_string()))?;
    send(
        aws,
        "firehose:CreateDeliveryStream",
        aws.firehose
            .create_delivery_stream()
            .delivery_stream_name(name)
            .delivery_stream_type(DeliveryStreamType::DirectPut)
            .extended_s3_destination_configuration(config)
            .set_delivery_stream_encryption_configuration_input(
                encrypted.then(owned_key_encryption).transpose()?,
            )
            .set_tags(Some(to_tags(tags)?))
            .send(),
    )
    .await?;
    Ok(())
}

/// Server-side encryption with Firehose's own key: "If you set KeyType to AWS_OWNED_CMK,
/// Firehose uses a service-account CMK" (DeliveryStreamEncryptionConfigurationInput, Firehose
/// API Reference).
fn owned_key_encryption() -> Result<DeliveryStreamEncryptionConfigurationInput, AwsError> {
    DeliveryStreamEncryptionConfigurationInput::builder()
        .key_type(KeyType::AwsOwnedCmk)
        .build()
        .map_err(|e| AwsError::fatal("firehose:request", e.to_string()))
}

/// Asks Firehose to encrypt the stream's records with its own key. Asynchronous: the status
/// goes ENABLING, then ENABLED or ENABLING_FAILED (StartDeliveryStreamEncryption, Firehose
/// API Reference); [`wait_encryption`] waits for the end.
pub async fn start_encryption(aws: &AwsClients, name: &str) -> Result<(), AwsError> {
    send(
        aws,
        "firehose:StartDeliveryStreamEncryption",
        aws.firehose
            .start_delivery_stream_encryption()
            .delivery_stream_name(name)
            .delivery_stream_encryption_configuration_input(owned_key_encryption()?)
            .send(),
    )
    .await?;
    Ok(())
}

/// Asks Firehose to stop encrypting the stream's records. Asynchronous: the status goes
/// DISABLING, then DISABLED (StopDeliveryStreamEncryption, Firehose API Reference).
pub async fn stop_encryption(aws: &AwsClients, name: &str) -> Result<(), AwsError> {
    send(
        aws,
        "firehose:StopDeliveryStreamEncryption",
        aws.firehose
            .stop_delivery_stream_encryption()
            .delivery_stream_name(name)
            .send(),
    )
    .await?;
    Ok(())
}

/// Polls until the stream's encryption status is ENABLED (`enabled`) or DISABLED; an
/// ENABLING_FAILED or DISABLING_FAILED status is an error with Firehose's reason. `changed`
/// is when this provider asked for the change, if it did.
pub async fn wait_encryption(
    aws: &AwsClients,
    name: &str,
    enabled: bool,
    changed: Option<Instant>,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<Stream, WaitError> {
    let (target, passing) = if enabled {
        ("ENABLED", "ENABLING")
    } else {
        ("DISABLED", "DISABLING")
    };
    let doing = format!("waiting for the encryption of stream {name} to be {target}");
    let check = |found: Result<Stream, AwsError>| match found {
        Ok(s) if s.encryption.status == target => Ok(Seen::Done(s)),
        Ok(s) if s.encryption.status == passing => Ok(Seen::InPhase),
        Ok(s) if s.encryption.status.ends_with("FAILED") => {
            let e = &s.encryption;
            let why = e
                .failure
                .as_ref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default();
            let msg = format!(
                "the encryption of stream {name} ended in status {}{why}",
                e.status
            );
            Err(AwsError::fatal("firehose:DescribeDeliveryStream", msg))
        }
        Ok(_) => Ok(Seen::Elsewhere),
        Err(e) => Err(e),
    };
    let phase = &aws.phases.encryption_changing;
    poll_stream(aws, name, phase, changed, deadline, cancel, &doing, check).await
}

/// Changes the stream's S3 destination in place; `version_id` guards against concurrent edits.
pub async fn update_destination(
    aws: &AwsClients,
    name: &str,
    version_id: &str,
    destination_id: &str,
    dest: &S3Destination,
) -> Result<(), AwsError> {
    let update = ExtendedS3DestinationUpdate::builder()
        .role_arn(&dest.role_arn)
        .bucket_arn(&dest.bucket_arn)
        .prefix(dest.prefix.clone().unwrap_or_default())
        .error_output_prefix(dest.error_output_prefix.clone().unwrap_or_default())
        .buffering_hints(buffering(dest))
        .compression_format(CompressionFormat::from(dest.compression.as_str()))
        .encryption_configuration(encryption(dest)?)
        .data_format_conversion_configuration(conversion(dest.format_conversion.as_ref()))
        .cloud_watch_logging_options(dest.error_logging.to_options())
        // Partitioning is set only on a stream that has it: it cannot be turned on or off
        // once the stream exists (DynamicPartitioningConfiguration, botocore
        // data/firehose/2015-08-04/service-2.json).
        .set_dynamic_partitioning_configuration(
            dest.partitioning
                .as_ref()
                .map(|_| partitioning_config(true)),
        )
        .set_processing_configuration(dest.partitioning.as_ref().map(processing).transpose()?)
        .build();
    send(
        aws,
        "firehose:UpdateDestination",
        aws.firehose
            .update_destination()
            .delivery_stream_name(name)
            .current_delivery_stream_version_id(version_id)
            .destination_id(destination_id)
            .extended_s3_destination_update(update)
            .send(),
    )
    .await?;
    Ok(())
}

/// Deletes a stream; one already gone is not an error. `force` sets `AllowForceDelete`, which
/// gets past a KMS grant Firehose cannot retire (the cause of `DELETING_FAILED`; Firehose API
/// Reference, DeleteDeliveryStream and DescribeDeliveryStream).
pub async fn delete_stream(aws: &AwsClients, name: &str, force: bool) -> Result<(), AwsError> {
    match send(
        aws,
        "firehose:DeleteDeliveryStream",
        aws.firehose
            .delete_delivery_stream()
            .delivery_stream_name(name)
            .set_allow_force_delete(force.then_some(true))
            .send(),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            if e.is(ErrorKind::NotFound) {
                Ok(())
            } else {
                Err(e)
            }
        }
    }
}

/// The stream's tags.
pub async fn list_tags(aws: &AwsClients, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let mut tags = BTreeMap::new();
    let mut start: Option<String> = None;
    loop {
        let out = send(
            aws,
            "firehose:ListTagsForDeliveryStream",
            aws.firehose
                .list_tags_for_delivery_stream()
                .delivery_stream_name(name)
                .set_exclusive_start_tag_key(start.clone())
                .send(),
        )
        .await?;
        for t in out.tags() {
            tags.insert(t.key().to_owned(), t.value().unwrap_or_default().to_owned());
        }
        match (out.has_more_tags(), out.tags().last()) {
            (true, Some(last)) => start = Some(last.key().to_owned()),
            _ => return Ok(tags),
        }
    }
}

/// Makes the stream's tags equal `want`.
pub async fn sync_tags(
    aws: &AwsClients,
    name: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let super::tags::TagChange { remove, set: add } = super::tags::change(have, want);
    if !remove.is_empty() {
        send(
            aws,
            "firehose:UntagDeliveryStream",
            aws.firehose
                .untag_delivery_stream()
                .delivery_stream_name(name)
                .set_tag_keys(Some(remove))
                .send(),
        )
        .await?;
    }
    if !add.is_empty() {
        send(
            aws,
            "firehose:TagDeliveryStream",
            aws.firehose
                .tag_delivery_stream()
                .delivery_stream_name(name)
                .set_tags(Some(to_tags(&add)?))
                .send(),
        )
        .await?;
    }
    Ok(())
}

fn to_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError::fatal("firehose:request", e.to_string()))
        })
        .collect()
}
