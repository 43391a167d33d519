//! The Glue Data Catalog table that describes what a pipeline delivers (the `catalog`
//! attribute): derived, as a pure function, from the access-log format, the S3 prefix and the
//! bucket, so that plan can refuse what no table can describe and apply makes exactly it.
//!
//! The table is partitioned by projected columns, so that Athena needs neither a crawler nor
//! `MSCK REPAIR TABLE`: the date column `dt`, and on a partitioned stream one column per
//! `!{partitionKeyFromQuery:<key>}` of the prefix (`api_id`, `stage`), of projection type
//! `injected` (Athena User Guide, "Use dynamic ID partitioning": Athena takes such a
//! column's values from the query itself; "Supported types for partition projection",
//! injected type: `projection.<col>.type` = `injected` and nothing else; "How to use custom
//! prefixes and dynamic partitioning": a Firehose key in `storage.location.template` as
//! `${<col>}`). Sources for the projection: Athena User Guide, "Partition
//! projection with Amazon Athena" (`projection.enabled`, `storage.location.template` with
//! `${column}` placeholders) and "Supported types for partition projection", date type
//! (`projection.<col>.type` = `date`; `.format`, "a date format string based on the Java date
//! format DateTimeFormatter"; `.range`, two comma-separated dates in that format or
//! `NOW`-relative expressions; `.interval` and `.interval.unit`, one of YEARS, MONTHS, WEEKS,
//! DAYS, HOURS, MINUTES, SECONDS, MILLISECONDS). Where Firehose puts objects: Firehose
//! Developer Guide, "Understand custom prefixes for Amazon S3 objects" (`!{timestamp:...}`
//! takes a Java DateTimeFormatter pattern, evaluated in UTC at the time the object is
//! written) and "Configure Amazon S3 object name format" (without expressions Firehose adds
//! `YYYY/MM/dd/HH/` in UTC after the prefix).

use std::collections::BTreeMap;
use std::fmt;

use crate::aws::arn::bucket_name_of;
use crate::firehose_prefix;

use super::fields as names;
use super::owner::OwnerKind;
use super::partitioning;
use crate::resources::fields;

/// The date partition column.
pub const PARTITION_COLUMN: &str = "dt";

/// The namespace of a dynamic partitioning key in a prefix.
const KEY_NAMESPACE: &str = "partitionKeyFromQuery";

/// The table parameter holding the projected range, whose start is kept from the table found.
pub const RANGE_PARAMETER: &str = "projection.dt.range";

/// Glue's table type for data kept outside the catalog.
pub const TABLE_TYPE: &str = "EXTERNAL_TABLE";

/// Longest Glue column comment (botocore glue CommentString: max 255).
const MAX_COMMENT_CHARS: usize = 255;

/// Longest Glue or Athena table name (botocore glue NameString: max 255; Athena User Guide,
/// "Name databases, tables, and columns": "names ... must be 255 characters or fewer").
pub const MAX_NAME_CHARS: usize = 255;

const TEXT_INPUT: &str = "org.apache.hadoop.mapred.TextInputFormat";
const TEXT_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
const JSON_SERDE: &str = "org.openx.data.jsonserde.JsonSerDe";
const PARQUET_SERDE: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
const PARQUET_INPUT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
const PARQUET_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
const DELIMITED_SERDE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
const REGEX_SERDE: &str = "org.apache.hadoop.hive.serde2.RegexSerDe";

/// One column: its name and the `$context` variable (or JSON value) it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub comment: String,
}

/// How delivered records are read: which SerDe, and what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Json,
    Parquet,
    Delimited,
    Regex,
}

/// The finest unit of a date pattern, as Athena names it in `projection.<col>.interval.unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    Years,
    Months,
    Days,
    Hours,
    Minutes,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Years => "YEARS",
            Unit::Months => "MONTHS",
            Unit::Days => "DAYS",
            Unit::Hours => "HOURS",
            Unit::Minutes => "MINUTES",
        }
    }
}

/// The partition projection: the date pattern of `dt`, its unit, the injected columns, and
/// where a set of values' objects are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    pub pattern: String,
    pub unit: Unit,
    pub template: String,
    /// The columns of the prefix's partition keys, in the order of the prefix.
    pub injected: Vec<String>,
}

impl Projection {
    /// The partition columns, in the order the template places them.
    pub fn columns(&self) -> Vec<&str> {
        let mut at: Vec<(usize, &str)> = self
            .injected
            .iter()
            .map(String::as_str)
            .chain([PARTITION_COLUMN])
            .filter_map(|c| self.template.find(&placeholder(c)).map(|i| (i, c)))
            .collect();
        at.sort();
        at.into_iter().map(|(_, c)| c).collect()
    }
}

/// `${column}`, a column in `storage.location.template`.
fn placeholder(column: &str) -> String {
    format!("${{{column}}}")
}

/// The table a pipeline's catalog should hold, but for the two values that vary: the owner
/// and the start of the projected range (see [`Table::parameters`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub layout: Layout,
    pub columns: Vec<Column>,
    pub location: String,
    pub input_format: String,
    pub output_format: String,
    pub serde_library: String,
    pub serde_parameters: BTreeMap<String, String>,
    pub projection: Projection,
    /// Columns whose JSON key is not the column's name (for Firehose's OpenX deserializer).
    pub key_mappings: BTreeMap<String, String>,
}

/// A value that no table can describe, with the attribute to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    /// The attribute, as its path's names (such as `["s3", "prefix"]`).
    pub attribute: Vec<&'static str>,
    pub detail: String,
}

impl CatalogError {
    fn at(attribute: &[&'static str], detail: impl Into<String>) -> CatalogError {
        CatalogError {
            attribute: attribute.to_vec(),
            detail: detail.into(),
        }
    }

    /// The attribute's path as written in messages, such as `s3.prefix`.
    pub fn path(&self) -> String {
        self.attribute.join(".")
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path(), self.detail)
    }
}

const FORMAT: &[&str] = &[fields::FORMAT];
const PREFIX: &[&str] = &[names::S3, names::s3::PREFIX];
const TABLE: &[&str] = &[names::CATALOG, names::catalog::TABLE];
const DATABASE: &[&str] = &[names::CATALOG, names::catalog::DATABASE];
const PARQUET: &[&str] = &[names::CATALOG, names::catalog::PARQUET];

/// What the derivation reads.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub format: &'a str,
    pub prefix: Option<&'a str>,
    pub bucket_arn: &'a str,
    pub table: &'a str,
    pub parquet: bool,
}

/// Checks a Glue table or database name: what Athena can query without quoting. Athena User
/// Guide, "Name databases, tables, and columns": "use only lowercase letters, numbers, and the
/// underscore character", at most 255 characters; Glue stores names in lowercase anyway
/// (AWS Glue Developer Guide, "Table": names "are converted to lowercase"), so an uppercase
/// name would differ from what Glue reads back.
pub fn check_name(name: &str, database: bool) -> Result<(), CatalogError> {
    let attribute = if database { DATABASE } else { TABLE };
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(CatalogError::at(
            attribute,
            format!("must be 1 to {MAX_NAME_CHARS} characters; got {n}"),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(CatalogError::at(
            attribute,
            format!(
                "{name:?} has {c:?}; Athena takes only lowercase letters, digits and '_' in names \
                 (Athena User Guide, \"Name databases, tables, and columns\"), and Glue stores \
                 names in lowercase"
            ),
        ));
    }
    Ok(())
}

/// Derives the table, or the first reason there can be none.
pub fn derive(inputs: Inputs<'_>) -> Result<Table, CatalogError> {
    check_name(inputs.table, false)?;
    let bucket = bucket_name_of(inputs.bucket_arn).unwrap_or_else(|| inputs.bucket_arn.to_owned());
    let projection = projection(inputs.prefix, &bucket)?;
    // The folder the partitions are in, with its trailing slash ("Table location in Amazon
    // S3", Athena User Guide: "Use a trailing slash for your folder or bucket"); a prefix of
    // `apigw` puts its objects in the bucket's top folder, as keys `apigw2026/...`.
    let before_values = projection.template.split("${").next().unwrap_or_default();
    let location = before_values[..before_values
        .rfind('/')
        .map_or(before_values.len(), |i| i + 1)]
        .to_owned();
    // API Gateway allows one newline, at the end (log_format::line_break_before_end); the
    // records' lines are what the table reads.
    let format = inputs.format.strip_suffix('\n').unwrap_or(inputs.format);
    let pieces = pieces(format);
    let json = json_columns(format, &pieces)?
        .map(|keyed| without_partition_sources(keyed, &projection.injected));
    if inputs.parquet && json.is_none() {
        // Firehose Developer Guide, "Convert input data format in Amazon Data Firehose": the
        // conversion reads JSON only ("Amazon Data Firehose can convert the format of your
        // input data from JSON to Apache Parquet").
        return Err(CatalogError::at(
            PARQUET,
            "Firehose converts only JSON records to Parquet, and format is not a flat JSON object",
        ));
    }
    let mut serde_parameters = BTreeMap::new();
    let mut key_mappings = BTreeMap::new();
    let (layout, columns) = match json {
        Some(keyed) => {
            // Both readers match keys without case: Firehose's deserializer "converts JSON
            // keys to lowercase before deserializing them" (OpenXJsonSerDe.CaseInsensitive,
            // Firehose API Reference; the provider sets it), and the OpenX SerDe's
            // `case.insensitive` is on by default (Athena User Guide, "OpenX JSON SerDe"). So
            // only keys with other characters than their column's need a mapping, to the
            // lowercased key.
            for (column, key) in &keyed {
                let lower = key.to_lowercase();
                if column.name != lower {
                    key_mappings.insert(column.name.clone(), lower);
                }
            }
            let columns = keyed.into_iter().map(|(c, _)| c).collect();
            if inputs.parquet {
                (Layout::Parquet, columns)
            } else {
                for (column, key) in &key_mappings {
                    serde_parameters.insert(format!("mapping.{column}"), key.clone());
                }
                // API Gateway fills in values without JSON escaping them (a quote in a user
                // agent, `-` for a number it lacks), and with the SerDe's default one such
                // record fails every query of its partition ("OpenX JSON SerDe",
                // `ignore.malformed.json`, default FALSE); a malformed line reads as nulls.
                serde_parameters.insert("ignore.malformed.json".to_owned(), "TRUE".to_owned());
                (Layout::Json, columns)
            }
        }
        None => {
            match delimiter(&pieces).filter(|d| d.is_ascii() && !any_may_contain(&pieces, *d)) {
                Some(d) => {
                    serde_parameters.insert("field.delim".to_owned(), d.to_string());
                    serde_parameters.insert("serialization.format".to_owned(), d.to_string());
                    (Layout::Delimited, variable_columns(&pieces))
                }
                None => {
                    separable(&pieces)?;
                    serde_parameters.insert("input.regex".to_owned(), regex(&pieces)?);
                    (Layout::Regex, variable_columns(&pieces))
                }
            }
        }
    };
    if columns.is_empty() {
        return Err(CatalogError::at(
            FORMAT,
            "has no $context variables, so the table would have no columns",
        ));
    }
    let partition_columns = projection.columns();
    if let Some(c) = columns
        .iter()
        .find(|c| partition_columns.contains(&c.name.as_str()))
    {
        return Err(CatalogError::at(
            FORMAT,
            format!(
                "gives a column named {:?}, the name of one of the table's partition columns \
                 (Athena refuses a table whose partition column is also a column); rename that key",
                c.name
            ),
        ));
    }
    let (serde_library, input_format, output_format) = match layout {
        Layout::Json => (JSON_SERDE, TEXT_INPUT, TEXT_OUTPUT),
        Layout::Parquet => (PARQUET_SERDE, PARQUET_INPUT, PARQUET_OUTPUT),
        Layout::Delimited => (DELIMITED_SERDE, TEXT_INPUT, TEXT_OUTPUT),
        Layout::Regex => (REGEX_SERDE, TEXT_INPUT, TEXT_OUTPUT),
    };
    Ok(Table {
        name: inputs.table.to_owned(),
        layout,
        columns,
        location,
        input_format: input_format.to_owned(),
        output_format: output_format.to_owned(),
        serde_library: serde_library.to_owned(),
        serde_parameters,
        projection,
        key_mappings,
    })
}

impl Table {
    /// Glue's `classification` for the table's data.
    pub fn classification(&self) -> &'static str {
        match self.layout {
            Layout::Json => "json",
            Layout::Parquet => "parquet",
            Layout::Delimited => "csv",
            Layout::Regex => "text",
        }
    }

    /// The table's parameters: classification, projection, range, and the owner (instance
    /// `owner` of `kind`, under its kind's tag key: Glue tables take no tags).
    pub fn parameters(
        &self,
        kind: OwnerKind,
        owner: &str,
        range_start: &str,
    ) -> BTreeMap<String, String> {
        let p = &self.projection;
        let injected = p
            .injected
            .iter()
            .map(|c| (format!("projection.{c}.type"), "injected".to_owned()));
        [
            ("classification", self.classification().to_owned()),
            ("projection.enabled", "true".to_owned()),
            ("projection.dt.type", "date".to_owned()),
            ("projection.dt.format", p.pattern.clone()),
            (RANGE_PARAMETER, format!("{range_start},NOW")),
            ("projection.dt.interval", "1".to_owned()),
            ("projection.dt.interval.unit", p.unit.as_str().to_owned()),
            ("storage.location.template", p.template.clone()),
            (kind.tag(), owner.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .chain(injected)
        .collect()
    }

    /// The start of the projected range for a table made at `unix_seconds`: that time in UTC,
    /// written with the pattern (which drops every field finer than its unit).
    pub fn range_start(&self, unix_seconds: i64) -> String {
        let pieces = parse_pattern(&self.projection.pattern)
            .expect("a derived pattern parses, as derive checked it");
        format_time(&pieces, unix_seconds)
    }

    /// The start of the range a table's `projection.dt.range` holds, if it holds one of ours.
    pub fn kept_range_start(found: &BTreeMap<String, String>) -> Option<&str> {
        found.get(RANGE_PARAMETER)?.strip_suffix(",NOW")
    }
}

/// The prefix's partition projection. See the module's documentation for the sources.
fn projection(prefix: Option<&str>, bucket: &str) -> Result<Projection, CatalogError> {
    let prefix = prefix.unwrap_or("");
    let expressions = firehose_prefix::expressions(prefix)
        .map_err(|e| CatalogError::at(PREFIX, e.to_string()))?;
    let mut spans = Vec::new();
    let mut keys = Vec::new();
    for e in &expressions {
        let start = e.text.as_ptr() as usize - prefix.as_ptr() as usize;
        let is_key =
            e.namespace == KEY_NAMESPACE && partitioning::KEYS.iter().any(|(k, _)| *k == e.value);
        if e.namespace == "timestamp" {
            spans.push((start, start + e.text.len(), e.value));
        } else if is_key {
            keys.push((start, e));
        } else {
            return Err(CatalogError::at(
                PREFIX,
                format!(
                    "{} cannot be projected: Athena's partition projection enumerates the \
                     !{{timestamp:...}} parts of a key as dates and takes the partition keys \
                     (!{{partitionKeyFromQuery:api_id}}, !{{partitionKeyFromQuery:stage}}) from \
                     the query, so a table needs a prefix without it",
                    e.text
                ),
            ));
        }
    }
    let mut injected: Vec<String> = Vec::new();
    for (_, e) in &keys {
        if !injected.iter().any(|k| k == e.value) {
            injected.push(e.value.to_owned());
        }
    }
    // A key's expression becomes its column's placeholder ("How to use custom prefixes and
    // dynamic partitioning", Athena User Guide).
    let with_keys = |text: &str| {
        keys.iter().fold(text.to_owned(), |t, (_, e)| {
            t.replace(e.text, &placeholder(e.value))
        })
    };
    // With dynamic partitioning Firehose writes an object right under its evaluated prefix and
    // adds no `yyyy/MM/dd/HH/` of its own: "Use Amazon S3 bucket prefix to deliver data"
    // (Firehose Developer Guide) delivers a prefix of partition keys alone to
    // `.../hour=20/my-delivery-stream-2019-08-09-...`. The table's date column then has
    // nothing to read, so such a prefix needs a timestamp of its own.
    if spans.is_empty() && !keys.is_empty() {
        return Err(CatalogError::at(
            PREFIX,
            "has no !{timestamp:...} expression. With dynamic partitioning Firehose adds no \
             yyyy/MM/dd/HH of its own, and the table's date column dt needs one: end the prefix \
             with !{timestamp:yyyy/MM/dd/HH}/"
                .to_owned(),
        ));
    }
    if spans.is_empty() {
        return Ok(Projection {
            pattern: "yyyy/MM/dd/HH".to_owned(),
            unit: Unit::Hours,
            template: format!("s3://{bucket}/{}${{dt}}/", with_keys(prefix)),
            injected,
        });
    }
    let first = spans[0].0;
    let last = spans[spans.len() - 1].1;
    // The partition value spans whole key segments: from the segment of the first expression
    // to the end of the segment of the last one. That end may be the last expression's own
    // '/', as in `!{timestamp:yyyy/MM/dd/HH/}`, the form of Firehose's default layout ("Understand
    // custom prefixes for Amazon S3 objects").
    let begin = prefix[..first].rfind('/').map_or(0, |i| i + 1);
    let closes_segment = spans[spans.len() - 1].2.ends_with('/');
    if closes_segment {
        let value = spans[spans.len() - 1].2;
        spans.last_mut().expect("one span at least").2 = &value[..value.len() - 1];
    }
    let found_end = match closes_segment {
        true => Some(last),
        false => prefix[last..].find('/').map(|i| last + i),
    };
    let Some(end) = found_end else {
        return Err(CatalogError::at(
            PREFIX,
            "must have a '/' after its last !{timestamp:...} expression, so that each date's \
             objects are in a folder of their own that Athena can read as a partition",
        ));
    };
    let mut pattern = quoted(&prefix[begin..first]);
    for (i, (_, stop, value)) in spans.iter().enumerate() {
        pattern.push_str(value);
        let until = spans.get(i + 1).map_or(end, |s| s.0);
        pattern.push_str(&quoted(&prefix[*stop..until]));
    }
    if let Some((_, e)) = keys.iter().find(|(at, _)| (begin..end).contains(at)) {
        return Err(CatalogError::at(
            PREFIX,
            format!(
                "{} is in the key segments of the !{{timestamp:...}} expressions, which make one \
                 date partition value; give it a segment of its own, before or after them",
                e.text
            ),
        ));
    }
    let pieces = parse_pattern(&pattern).map_err(|why| CatalogError::at(PREFIX, why))?;
    let unit = finest_unit(&pieces)?;
    Ok(Projection {
        pattern,
        unit,
        template: format!(
            "s3://{bucket}/{}${{dt}}{}{}",
            with_keys(&prefix[..begin]),
            if closes_segment { "/" } else { "" },
            with_keys(&prefix[end..])
        ),
        injected,
    })
}

/// Literal text in a Java DateTimeFormatter pattern: in single quotes, a quote doubled.
fn quoted(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// One part of a date pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternPiece {
    Field(char, usize),
    Literal(String),
}

/// Parses a Java DateTimeFormatter pattern (java.time.format.DateTimeFormatter, "Patterns for
/// Formatting and Parsing"): letters are fields, text in single quotes is literal (`''` a
/// quote), `[ ] { } #` are reserved, anything else is literal. Only the fields a partition's
/// date needs are taken: `y`, `M`, `d`, `H` and `m`, as numbers.
fn parse_pattern(pattern: &str) -> Result<Vec<PatternPiece>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(format!(
                            "the date pattern {pattern:?} has an unclosed quote"
                        ));
                    }
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        text.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        text.push(*other);
                        i += 1;
                    }
                }
            }
            if text.is_empty() {
                text.push('\'');
            }
            out.push(PatternPiece::Literal(text));
        } else if c.is_ascii_alphabetic() {
            let mut n = 1;
            while chars.get(i + n) == Some(&c) {
                n += 1;
            }
            let fits = match c {
                'y' => true,
                'M' | 'd' | 'H' | 'm' => n <= 2,
                _ => false,
            };
            if !fits {
                let run: String = std::iter::repeat_n(c, n).collect();
                return Err(format!(
                    "the date pattern {pattern:?} uses {run:?}; a projected partition takes only \
                     the numeric fields y (year), M or MM (month), d or dd (day), H or HH (hour) \
                     and m or mm (minute)"
                ));
            }
            out.push(PatternPiece::Field(c, n));
            i += n;
        } else if "[]{}#".contains(c) {
            return Err(format!(
                "the date pattern {pattern:?} uses {c:?}, which Java's DateTimeFormatter reserves"
            ));
        } else {
            out.push(PatternPiece::Literal(c.to_string()));
            i += 1;
        }
    }
    Ok(out)
}

/// The finest unit of a pattern, which must name every coarser one too (a date with a day but
/// no month cannot be read back).
fn finest_unit(pieces: &[PatternPiece]) -> Result<Unit, CatalogError> {
    let units: Vec<Unit> = pieces
        .iter()
        .filter_map(|p| match p {
            PatternPiece::Field('y', _) => Some(Unit::Years),
            PatternPiece::Field('M', _) => Some(Unit::Months),
            PatternPiece::Field('d', _) => Some(Unit::Days),
            PatternPiece::Field('H', _) => Some(Unit::Hours),
            PatternPiece::Field('m', _) => Some(Unit::Minutes),
            _ => None,
        })
        .collect();
    let all = [
        Unit::Years,
        Unit::Months,
        Unit::Days,
        Unit::Hours,
        Unit::Minutes,
    ];
    let Some(finest) = units.iter().max().copied() else {
        return Err(CatalogError::at(
            PREFIX,
            "its !{timestamp:...} expressions give no date",
        ));
    };
    if let Some(missing) = all
        .iter()
        .filter(|u| **u <= finest)
        .find(|u| !units.contains(u))
    {
        return Err(CatalogError::at(
            PREFIX,
            format!(
                "its !{{timestamp:...}} expressions go down to {} but give no {}, so a \
                 partition's date cannot be read back",
                finest.as_str().to_lowercase(),
                missing.as_str().to_lowercase().trim_end_matches('s')
            ),
        ));
    }
    Ok(finest)
}

/// A time in UTC written with a parsed pattern.
fn format_time(pieces: &[PatternPiece], unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = String::new();
    for p in pieces {
        match p {
            PatternPiece::Literal(t) => out.push_str(t),
            PatternPiece::Field(c, n) => {
                let value = match c {
                    // Java's "yy" is the year's last two digits; more letters pad the year.
                    'y' if *n == 2 => year.rem_euclid(100),
                    'y' => year,
                    'M' => month,
                    'd' => day,
                    'H' => secs / 3600,
                    _ => secs % 3600 / 60,
                };
                out.push_str(&format!("{value:0width$}", width = *n));
            }
        }
    }
    out
}

/// Year, month and day of a count of days since 1970-01-01 (proleptic Gregorian calendar;
/// Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A format's parts: `$context` variables and the literal text between them. A variable's name
/// is read as `log_format::context_variables` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Variable(&'a str),
    Literal(&'a str),
}

fn pieces(format: &str) -> Vec<Piece<'_>> {
    const CONTEXT: &str = "$context.";
    let mut out = Vec::new();
    let mut literal_from = 0;
    let mut at = 0;
    while let Some(found) = format[at..].find(CONTEXT).map(|i| at + i) {
        let name_from = found + CONTEXT.len();
        let after = &format[name_from..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let name = after[..len].trim_end_matches('.');
        if name.is_empty() {
            at = name_from;
            continue;
        }
        if found > literal_from {
            out.push(Piece::Literal(&format[literal_from..found]));
        }
        out.push(Piece::Variable(&format[name_from..name_from + name.len()]));
        literal_from = name_from + name.len();
        at = literal_from;
    }
    if literal_from < format.len() {
        out.push(Piece::Literal(&format[literal_from..]));
    }
    out
}

/// A JSON object's members in their order, duplicates kept.
struct Members(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Members, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// What stands in for variable `i` while a format is parsed as JSON: a number, so that it is
/// valid both inside a string and as a bare value.
fn stand_in(i: usize) -> String {
    format!("73180930{i:09}")
}

/// The JSON columns without those holding the record key a partition column was made from
/// (`stage` of `"stage": "$context.stage"`): the partition column holds the same value, and
/// a table cannot have a column twice.
fn without_partition_sources(
    keyed: Vec<(Column, String)>,
    injected: &[String],
) -> Vec<(Column, String)> {
    keyed
        .into_iter()
        .filter(|(c, key)| {
            !partitioning::KEYS.iter().any(|(column, json)| {
                injected.iter().any(|i| i == column) && c.name == *column && key == json
            })
        })
        .collect()
}

/// The columns of a format that is a flat JSON object once its variables are filled in (with
/// each column's JSON key), None for a format that is not a JSON object.
fn json_columns(
    format: &str,
    pieces: &[Piece<'_>],
) -> Result<Option<Vec<(Column, String)>>, CatalogError> {
    let mut text = String::new();
    let mut names = Vec::new();
    for p in pieces {
        match p {
            Piece::Literal(t) => text.push_str(t),
            Piece::Variable(v) => {
                text.push_str(&stand_in(names.len()));
                names.push(*v);
            }
        }
    }
    if !format.trim_start().starts_with('{') {
        return Ok(None);
    }
    let Ok(Members(members)) = serde_json::from_str::<Members>(&text) else {
        return Ok(None);
    };
    let restore = |value: &str| {
        let mut out = value.to_owned();
        for (i, name) in names.iter().enumerate().rev() {
            out = out.replace(&stand_in(i), &format!("$context.{name}"));
        }
        out
    };
    let mut columns: Vec<(Column, String)> = Vec::new();
    for (key, value) in members {
        let raw = match &value {
            serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                return Err(CatalogError::at(
                    FORMAT,
                    format!(
                        "the JSON key {key:?} holds a nested object or array; the table \
                         describes flat JSON objects, one string column per key"
                    ),
                ));
            }
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let lowered = key.to_lowercase();
        let name: String = lowered
            .chars()
            .map(|c| {
                if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if name.is_empty() {
            return Err(CatalogError::at(
                FORMAT,
                "has an empty JSON key, which cannot name a column",
            ));
        }
        if let Some((_, first)) = columns.iter().find(|(c, _)| c.name == name) {
            return Err(CatalogError::at(
                FORMAT,
                format!(
                    "the JSON keys {first:?} and {key:?} both give the column {name:?} (columns \
                     are lowercase, other characters '_'); rename one"
                ),
            ));
        }
        columns.push((
            Column {
                name,
                comment: truncate(&restore(&raw)),
            },
            key,
        ));
    }
    Ok(Some(columns))
}

fn truncate(s: &str) -> String {
    s.chars().take(MAX_COMMENT_CHARS).collect()
}

/// The one-character delimiter of a format made only of variables joined by it.
fn delimiter(pieces: &[Piece<'_>]) -> Option<char> {
    let mut delimiter = None;
    if pieces.len() < 3 || !matches!(pieces.first(), Some(Piece::Variable(_))) {
        return None;
    }
    for (i, p) in pieces.iter().enumerate() {
        match (i % 2, p) {
            (0, Piece::Variable(_)) => {}
            (1, Piece::Literal(t)) => {
                let mut chars = t.chars();
                let (Some(c), None) = (chars.next(), chars.next()) else {
                    return None;
                };
                if delimiter.is_some_and(|d| d != c) {
                    return None;
                }
                delimiter = Some(c);
            }
            _ => return None,
        }
    }
    match pieces.last() {
        Some(Piece::Variable(_)) => delimiter,
        _ => None,
    }
}

/// What a variable's values may hold besides letters, digits, `.`, `_` and `-`: `None` for
/// free text (anything at all). From API Gateway Developer Guide, "Variables for access logging
/// for API Gateway": `requestTime` is "the CLF-formatted request time
/// (dd/MMM/yyyy:HH:mm:ss +-hhmm)"; ARNs and callers hold `:` and `/`; paths hold `/`, `{}` and
/// `+`; a Cognito provider is a comma-separated list; a certificate's DNs are
/// comma-separated; messages, errors and the user agent are text the client or a service wrote.
fn may_contain(variable: &str) -> Option<&'static str> {
    match variable {
        "requestTime" => Some(" /:+"),
        "identity.caller"
        | "identity.user"
        | "identity.userArn"
        | "webaclArn"
        | "identity.cognitoIdentityId"
        | "identity.cognitoIdentityPoolId" => Some(":/"),
        "resourcePath" | "path" => Some("/{}+"),
        "identity.cognitoAuthenticationProvider"
        | "identity.clientCert.subjectDN"
        | "identity.clientCert.issuerDN"
        | "identity.clientCert.clientCertPem"
        | "identity.userAgent"
        | "error.message"
        | "error.messageString"
        | "error.validationErrorString"
        | "integrationErrorMessage"
        | "integration.error"
        | "authorize.error"
        | "authenticate.error"
        | "waf.error" => None,
        _ => Some(""),
    }
}

/// Whether some variable's values may hold `c`.
fn any_may_contain(pieces: &[Piece<'_>], c: char) -> bool {
    pieces.iter().any(|p| match p {
        Piece::Variable(v) => may_contain(v).is_none_or(|chars| chars.contains(c)),
        Piece::Literal(_) => false,
    })
}

/// Refuses a format where a variable is followed by text its values may hold: a lazy group
/// ends at the first such text, so the value would be cut there and the fields after it
/// shifted. A variable at the very end takes the rest of the line, whatever it holds.
fn separable(pieces: &[Piece<'_>]) -> Result<(), CatalogError> {
    for pair in pieces.windows(2) {
        let [Piece::Variable(v), Piece::Literal(t)] = pair else {
            continue;
        };
        let Some(next) = t.chars().next() else {
            continue;
        };
        let holds = match may_contain(v) {
            None => true,
            Some(chars) => chars.contains(next),
        };
        if holds {
            let hint = match *v {
                "requestTime" => {
                    " Put it between brackets, as the CLF preset does (`[$context.requestTime]`), \
                     or use $context.requestTimeEpoch."
                }
                _ => " Put it last, or between characters its values cannot hold.",
            };
            return Err(CatalogError::at(
                FORMAT,
                format!(
                    "$context.{v} is followed by {next:?}, which its values can contain, so no table \
                     can tell where its value ends.{hint}"
                ),
            ));
        }
    }
    Ok(())
}

/// The RegexSerDe's `input.regex`: the format with its text escaped and each variable a lazy
/// group; the SerDe matches it against the whole line.
fn regex(pieces: &[Piece<'_>]) -> Result<String, CatalogError> {
    let mut out = String::new();
    let mut previous: Option<&str> = None;
    for p in pieces {
        match p {
            Piece::Literal(t) => {
                previous = None;
                for c in t.chars() {
                    // java.util.regex.Pattern: "It is an error to use a backslash prior to
                    // any alphabetic character that does not denote an escaped construct";
                    // before other characters it is allowed, so the metacharacters are escaped.
                    if "\\.[]{}()*+?^$|".contains(c) {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            Piece::Variable(v) => {
                if let Some(before) = previous {
                    return Err(CatalogError::at(
                        FORMAT,
                        format!(
                            "$context.{before} and $context.{v} have nothing between them, so no \
                             regular expression can tell where one ends; put a delimiter between \
                             them"
                        ),
                    ));
                }
                previous = Some(v);
                out.push_str("(.*?)");
            }
        }
    }
    Ok(out)
}

/// Columns for the variables of a delimited or regex format, in order: the variable's path
/// in snake case, a repeat numbered `_2`, `_3`.
fn variable_columns(pieces: &[Piece<'_>]) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    for p in pieces {
        let Piece::Variable(v) = p else { continue };
        let base = snake_case(v);
        let mut name = base.clone();
        let mut n = 1;
        while columns.iter().any(|c| c.name == name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        columns.push(Column {
            name,
            comment: format!("$context.{v}"),
        });
    }
    columns
}

/// `identity.sourceIp` -> `identity_source_ip`, `subjectDN` -> `subject_dn`.
fn snake_case(path: &str) -> String {
    let chars: Vec<char> = path.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if *c == '.' {
            out.push('_');
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_format::{CLF, CSV, JSON, XML};

    fn inputs<'a>(format: &'a str, prefix: Option<&'a str>) -> Inputs<'a> {
        Inputs {
            format,
            prefix,
            bucket_arn: "arn:aws:s3:::logs",
            table: "access_logs",
            parquet: false,
        }
    }

    fn names(t: &Table) -> Vec<&str> {
        t.columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn the_json_preset_is_read_by_the_openx_serde_one_column_per_key() {
        let t = derive(inputs(JSON, None)).unwrap();
        assert_eq!(t.layout, Layout::Json);
        assert_eq!(t.serde_library, JSON_SERDE);
        assert_eq!(t.input_format, TEXT_INPUT);
        assert_eq!(t.output_format, TEXT_OUTPUT);
        assert_eq!(
            names(&t),
            [
                "requestid",
                "ip",
                "caller",
                "user",
                "requesttime",
                "httpmethod",
                "resourcepath",
                "status",
                "protocol",
                "responselength"
            ]
        );
        assert_eq!(t.columns[0].comment, "$context.requestId");
        assert_eq!(t.columns[1].comment, "$context.identity.sourceIp");
        // Lowercase keys need no mapping: the SerDe ignores case.
        assert!(
            t.serde_parameters
                .keys()
                .all(|k| !k.starts_with("mapping.")),
            "{:?}",
            t.serde_parameters
        );
        assert!(t.key_mappings.is_empty(), "{:?}", t.key_mappings);
        assert_eq!(t.classification(), "json");
    }

    #[test]
    fn the_default_prefix_projects_firehoses_hourly_layout() {
        let t = derive(inputs(JSON, None)).unwrap();
        assert_eq!(t.projection.pattern, "yyyy/MM/dd/HH");
        assert_eq!(t.projection.unit, Unit::Hours);
        assert_eq!(t.projection.template, "s3://logs/${dt}/");
        assert_eq!(t.location, "s3://logs/");
        let t = derive(inputs(JSON, Some("apigw/"))).unwrap();
        assert_eq!(t.projection.template, "s3://logs/apigw/${dt}/");
        assert_eq!(t.location, "s3://logs/apigw/");
        let p = t.parameters(OwnerKind::Pipeline, "pipe-1", &t.range_start(1_764_644_400));
        assert_eq!(p["projection.dt.range"], "2025/12/02/03,NOW");
        assert_eq!(p["projection.dt.interval.unit"], "HOURS");
        assert_eq!(p["projection.dt.interval"], "1");
        assert_eq!(p["projection.enabled"], "true");
        assert_eq!(p["projection.dt.type"], "date");
        assert_eq!(p["storage.location.template"], "s3://logs/apigw/${dt}/");
        assert_eq!(p[OwnerKind::Pipeline.tag()], "pipe-1");
        assert_eq!(Table::kept_range_start(&p), Some("2025/12/02/03"));
    }

    #[test]
    fn the_clf_preset_is_read_by_a_regex_of_its_own_text() {
        let t = derive(inputs(CLF, None)).unwrap();
        assert_eq!(t.layout, Layout::Regex);
        assert_eq!(t.serde_library, REGEX_SERDE);
        assert_eq!(
            t.serde_parameters["input.regex"],
            "(.*?) (.*?) (.*?) \\[(.*?)\\] \"(.*?) (.*?) (.*?)\" (.*?) (.*?) (.*?)"
        );
        assert_eq!(
            names(&t),
            [
                "identity_source_ip",
                "identity_caller",
                "identity_user",
                "request_time",
                "http_method",
                "resource_path",
                "protocol",
                "status",
                "response_length",
                "request_id"
            ]
        );
        assert_eq!(t.classification(), "text");
    }

    #[test]
    fn the_xml_preset_is_read_by_a_regex_too() {
        let t = derive(inputs(XML, None)).unwrap();
        assert_eq!(t.layout, Layout::Regex);
        let regex = &t.serde_parameters["input.regex"];
        assert!(
            regex.starts_with("<request id=\"(.*?)\"> <ip>(.*?)</ip>"),
            "{regex}"
        );
        assert!(
            regex.ends_with("<responseLength>(.*?)</responseLength> </request>"),
            "{regex}"
        );
        assert_eq!(t.columns.len(), 10);
        assert_eq!(t.columns[0].name, "request_id");
    }

    #[test]
    fn the_csv_preset_is_delimited_by_its_comma() {
        let t = derive(inputs(CSV, None)).unwrap();
        assert_eq!(t.layout, Layout::Delimited);
        assert_eq!(t.serde_library, DELIMITED_SERDE);
        assert_eq!(t.serde_parameters["field.delim"], ",");
        assert_eq!(t.serde_parameters["serialization.format"], ",");
        assert_eq!(t.columns.len(), 10);
        assert_eq!(t.columns[9].name, "request_id");
        assert_eq!(t.classification(), "csv");
        // A trailing newline (which the stage's format may carry) is not part of the record.
        let with_newline = format!("{CSV}\n");
        assert_eq!(derive(inputs(&with_newline, None)).unwrap(), t);
    }

    #[test]
    fn json_with_odd_keys_maps_them_and_bare_values_are_columns_too() {
        let format = r#"{"Request-Id":"$context.requestId","status":$context.status,"a.b":"x $context.path y","RequestTime":"$context.requestTime"}"#;
        let t = derive(inputs(format, None)).unwrap();
        assert_eq!(names(&t), ["request_id", "status", "a_b", "requesttime"]);
        assert_eq!(t.serde_parameters["mapping.request_id"], "request-id");
        assert_eq!(t.serde_parameters["mapping.a_b"], "a.b");
        assert!(!t.serde_parameters.contains_key("mapping.requesttime"));
        assert_eq!(t.serde_parameters["ignore.malformed.json"], "TRUE");
        assert_eq!(t.columns[1].comment, "$context.status");
        assert_eq!(t.columns[2].comment, "x $context.path y");
        // Firehose's deserializer lowercases keys, so a key differing only in case needs none.
        assert_eq!(t.key_mappings["request_id"], "request-id");
        assert!(!t.key_mappings.contains_key("requesttime"));
    }

    #[test]
    fn json_that_no_flat_table_describes_is_refused_at_format() {
        let nested =
            r#"{"requestId":"$context.requestId","who":{"ip":"$context.identity.sourceIp"}}"#;
        let e = derive(inputs(nested, None)).unwrap_err();
        assert_eq!(e.path(), "format");
        assert!(e.detail.contains("\"who\""), "{e}");
        let twice =
            r#"{"requestId":"$context.requestId","RequestId":"$context.extendedRequestId"}"#;
        let e = derive(inputs(twice, None)).unwrap_err();
        assert_eq!(e.path(), "format");
        assert!(e.detail.contains("\"requestid\""), "{e}");
        let dt = r#"{"requestId":"$context.requestId","dt":"$context.requestTime"}"#;
        assert_eq!(derive(inputs(dt, None)).unwrap_err().path(), "format");
    }

    #[test]
    fn several_timestamp_expressions_with_text_between_make_one_quoted_pattern() {
        let t = derive(inputs(
            JSON,
            Some("logs/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"),
        ))
        .unwrap();
        assert_eq!(t.projection.pattern, "'year='yyyy'/month='MM");
        assert_eq!(t.projection.template, "s3://logs/logs/${dt}/");
        assert_eq!(t.projection.unit, Unit::Months);
        assert_eq!(t.location, "s3://logs/logs/");
        assert_eq!(t.range_start(1_764_644_400), "year=2025/month=12");

        let t = derive(inputs(
            JSON,
            Some("api/!{timestamp:yyyy-MM-dd}/h=!{timestamp:HH}/raw/"),
        ))
        .unwrap();
        assert_eq!(t.projection.pattern, "yyyy-MM-dd'/h='HH");
        assert_eq!(t.projection.template, "s3://logs/api/${dt}/raw/");
        assert_eq!(t.projection.unit, Unit::Hours);
        assert_eq!(t.range_start(1_764_644_400), "2025-12-02/h=03");

        let t = derive(inputs(
            JSON,
            Some("!{timestamp:yyyy'w'MM}/it's-!{timestamp:dd}/"),
        ))
        .unwrap();
        assert_eq!(t.projection.pattern, "yyyy'w'MM'/it''s-'dd");
        assert_eq!(t.range_start(0), "1970w01/it's-01");
        assert_eq!(t.projection.unit, Unit::Days);
    }

    #[test]
    fn prefixes_no_projection_can_follow_are_refused_at_s3_prefix() {
        for (prefix, says) in [
            (
                "logs/!{firehose:random-string}/!{timestamp:yyyy}/",
                "random-string",
            ),
            ("logs/!{timestamp:yyyy}/!{timestamp:dd}/", "no month"),
            ("logs/!{timestamp:yyyy-MM}", "'/' after"),
            ("logs/!{timestamp:EEE}/", "\"EEE\""),
            ("logs/!{timestamp:yyyy-MMM}/", "\"MMM\""),
        ] {
            let e = derive(inputs(JSON, Some(prefix))).unwrap_err();
            assert_eq!(e.path(), "s3.prefix", "{prefix}");
            assert!(e.detail.contains(says), "{prefix}: {e}");
        }
    }

    /// The JSON of a partitioned stream: its records carry `apiId` and `stage`.
    const KEYED: &str = r#"{"requestId":"$context.requestId","apiId":"$context.apiId","stage":"$context.stage","status":"$context.status"}"#;

    #[test]
    fn a_partitioned_prefix_projects_injected_api_id_and_stage_and_the_date() {
        let t = derive(inputs(
            KEYED,
            Some("logs/api_id=!{partitionKeyFromQuery:api_id}/stage=!{partitionKeyFromQuery:stage}/!{timestamp:yyyy/MM/dd/HH}/"),
        ))
        .unwrap();
        assert_eq!(
            t.projection.template,
            "s3://logs/logs/api_id=${api_id}/stage=${stage}/${dt}/"
        );
        assert_eq!(t.projection.pattern, "yyyy/MM/dd/HH");
        assert_eq!(t.projection.columns(), ["api_id", "stage", "dt"]);
        assert_eq!(t.location, "s3://logs/logs/");
        // `stage` holds what the partition column holds; `apiid` is another name.
        assert_eq!(names(&t), ["requestid", "apiid", "status"]);
        let p = t.parameters(OwnerKind::Stream, "s-1", "2025/12/02/03");
        assert_eq!(p["projection.api_id.type"], "injected");
        assert_eq!(p["projection.stage.type"], "injected");
        assert_eq!(p["projection.dt.type"], "date");
        assert_eq!(
            p["storage.location.template"],
            "s3://logs/logs/api_id=${api_id}/stage=${stage}/${dt}/"
        );
        // The date first, then the keys; and no timestamp at all: Firehose's own hours after.
        let t = derive(inputs(
            KEYED,
            Some("!{timestamp:yyyy-MM-dd}/!{partitionKeyFromQuery:stage}/!{partitionKeyFromQuery:api_id}/"),
        ))
        .unwrap();
        assert_eq!(t.projection.template, "s3://logs/${dt}/${stage}/${api_id}/");
        assert_eq!(t.projection.columns(), ["dt", "stage", "api_id"]);
        assert_eq!(t.location, "s3://logs/");
        // Keys without a timestamp: Firehose adds none when it partitions, so no date column.
        let e = derive(inputs(
            KEYED,
            Some("a/!{partitionKeyFromQuery:api_id}/!{partitionKeyFromQuery:stage}/"),
        ))
        .unwrap_err();
        assert_eq!(e.attribute, PREFIX);
        assert!(
            e.detail.contains("!{timestamp:yyyy/MM/dd/HH}/"),
            "{}",
            e.detail
        );
        // Without keys, no injected column.
        let t = derive(inputs(KEYED, None)).unwrap();
        assert!(t.projection.injected.is_empty());
        assert_eq!(t.projection.columns(), ["dt"]);
        assert!(
            !t.parameters(OwnerKind::Stream, "s", "x")
                .contains_key("projection.stage.type")
        );
        assert_eq!(names(&t), ["requestid", "apiid", "stage", "status"]);
    }

    #[test]
    fn partition_keys_no_projection_can_follow_are_refused_at_s3_prefix() {
        for (prefix, says) in [
            (
                "!{partitionKeyFromQuery:api_id}-!{timestamp:yyyy}/!{partitionKeyFromQuery:stage}/",
                "!{partitionKeyFromQuery:api_id} is in the key segments",
            ),
            (
                "!{timestamp:yyyy}/!{partitionKeyFromQuery:stage}/!{timestamp:MM}/",
                "!{partitionKeyFromQuery:stage} is in the key segments",
            ),
            (
                "!{partitionKeyFromQuery:api}/!{timestamp:yyyy}/",
                "!{partitionKeyFromQuery:api} cannot be projected",
            ),
        ] {
            let e = derive(inputs(KEYED, Some(prefix))).unwrap_err();
            assert_eq!(e.path(), "s3.prefix", "{prefix}");
            assert!(e.detail.contains(says), "{prefix}: {e}");
        }
        // The partition's value is the record's `stage` key, whatever it holds; a column
        // of that name from another key is a second `stage`.
        let other = r#"{"requestId":"$context.requestId","stage":"$context.path"}"#;
        let t = derive(inputs(
            other,
            Some("!{partitionKeyFromQuery:stage}/!{timestamp:yyyy/MM/dd/HH}/"),
        ))
        .unwrap();
        assert_eq!(names(&t), ["requestid"]);
        let renamed = r#"{"requestId":"$context.requestId","api_id":"$context.apiId"}"#;
        let e = derive(inputs(
            renamed,
            Some("!{partitionKeyFromQuery:api_id}/!{timestamp:yyyy/MM/dd/HH}/"),
        ))
        .unwrap_err();
        assert_eq!(e.path(), "format");
        assert!(e.detail.contains("\"api_id\""), "{e}");
    }

    #[test]
    fn a_variable_followed_by_text_it_may_hold_is_refused_or_read_by_regex() {
        let e = derive(inputs(
            "$context.requestId $context.requestTime $context.status",
            None,
        ))
        .unwrap_err();
        assert_eq!(e.path(), "format");
        assert!(e.detail.contains("requestTimeEpoch"), "{e}");
        // A comma inside a user agent: not delimited, and last it takes the rest of the line.
        let t = derive(inputs(
            "$context.requestId,$context.status,$context.identity.userAgent",
            None,
        ))
        .unwrap();
        assert_eq!(t.layout, Layout::Regex);
        let e = derive(inputs(
            "$context.identity.userAgent,$context.requestId",
            None,
        ))
        .unwrap_err();
        assert!(e.detail.contains("userAgent"), "{e}");
        // Not an ASCII delimiter: Hive takes the first byte of field.delim only.
        let t = derive(inputs("$context.requestId\u{b7}$context.status", None)).unwrap();
        assert_eq!(t.layout, Layout::Regex);
        for preset in [CLF, CSV, XML] {
            assert!(derive(inputs(preset, None)).is_ok());
        }
    }

    #[test]
    fn a_last_expression_that_ends_its_own_segment_is_projected() {
        let t = derive(inputs(JSON, Some("logs/!{timestamp:yyyy/MM/dd/HH/}"))).unwrap();
        assert_eq!(t.projection.pattern, "yyyy/MM/dd/HH");
        assert_eq!(t.projection.template, "s3://logs/logs/${dt}/");
        assert_eq!(t.location, "s3://logs/logs/");
        // A prefix without a slash: its objects are in the bucket's top folder.
        let t = derive(inputs(JSON, Some("apigw"))).unwrap();
        assert_eq!(t.projection.template, "s3://logs/apigw${dt}/");
        assert_eq!(t.location, "s3://logs/");
    }

    #[test]
    fn adjacent_variables_are_refused_and_repeats_are_numbered() {
        let e = derive(inputs("$context.requestId$context.status", None)).unwrap_err();
        assert_eq!(e.path(), "format");
        assert!(e.detail.contains("nothing between them"), "{e}");
        let t = derive(inputs(
            "$context.requestId [$context.status] $context.status $context.identity.clientCert.subjectDN",
            None,
        ))
        .unwrap();
        assert_eq!(t.layout, Layout::Regex);
        assert_eq!(
            names(&t),
            [
                "request_id",
                "status",
                "status_2",
                "identity_client_cert_subject_dn"
            ]
        );
        // The same delimiter throughout, and nothing around: delimited.
        let t = derive(inputs(
            "$context.requestId|$context.status|$context.status",
            None,
        ))
        .unwrap();
        assert_eq!(t.layout, Layout::Delimited);
        assert_eq!(t.serde_parameters["field.delim"], "|");
        assert_eq!(names(&t), ["request_id", "status", "status_2"]);
    }

    #[test]
    fn parquet_needs_json_and_has_its_own_serde() {
        let mut i = inputs(JSON, None);
        i.parquet = true;
        let t = derive(i).unwrap();
        assert_eq!(t.layout, Layout::Parquet);
        assert_eq!(t.serde_library, PARQUET_SERDE);
        assert_eq!(t.input_format, PARQUET_INPUT);
        assert_eq!(t.output_format, PARQUET_OUTPUT);
        assert_eq!(t.classification(), "parquet");
        for format in [CLF, CSV, XML] {
            let mut i = inputs(format, None);
            i.parquet = true;
            assert_eq!(derive(i).unwrap_err().path(), "catalog.parquet");
        }
    }

    #[test]
    fn names_athena_cannot_query_unquoted_are_refused() {
        assert!(check_name("access_logs_2", false).is_ok());
        for bad in ["", "Logs", "access-logs", "a b"] {
            assert_eq!(
                check_name(bad, false).unwrap_err().path(),
                "catalog.table",
                "{bad}"
            );
        }
        assert_eq!(
            check_name(&"a".repeat(256), true).unwrap_err().path(),
            "catalog.database"
        );
        let mut i = inputs(JSON, None);
        i.table = "Access";
        assert_eq!(derive(i).unwrap_err().path(), "catalog.table");
    }

    #[test]
    fn dates_are_written_in_utc_by_the_civil_calendar() {
        let p = parse_pattern("yyyy-MM-dd HH:mm yy").unwrap();
        assert_eq!(format_time(&p, 0), "1970-01-01 00:00 70");
        assert_eq!(format_time(&p, 951_827_696), "2000-02-29 12:34 00");
        assert_eq!(format_time(&p, 1_767_225_599), "2025-12-31 23:59 25");
    }

    #[test]
    fn snake_case_splits_words_and_acronyms() {
        assert_eq!(snake_case("identity.sourceIp"), "identity_source_ip");
        assert_eq!(snake_case("requestId"), "request_id");
        assert_eq!(
            snake_case("identity.clientCert.subjectDN"),
            "identity_client_cert_subject_dn"
        );
        assert_eq!(snake_case("webaclArn"), "webacl_arn");
        assert_eq!(snake_case("wafResponseCode"), "waf_response_code");
    }
}
