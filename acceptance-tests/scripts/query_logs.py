"""Queries delivered access logs with DuckDB, through the Glue table that describes them.

What Athena would do, with a real embedded engine: read the table's definition from the Glue
Data Catalog (the emulator's, or any endpoint), follow its partition projection to the S3 keys of
each partition, fetch those objects, and read them with the reader that matches the table's
SerDe. The table is read back from the catalog, never derived again here, so a query that returns
the records sent proves the table describes what landed.

Usage:
  query_logs.py --endpoint http://127.0.0.1:PORT --database DB --table T
                [--sql "SELECT ... FROM T"] [--output json|table]

The SQL names the table by its Glue name; the table has the Glue columns (all strings) and its
partition columns (`dt`, and `api_id` and `stage` on a partitioned stream's table). The default
query is `SELECT * FROM <table>`. A table with `injected` partition columns needs each of them
constrained in the query's WHERE by `=` or `IN` of literals, as Athena requires; only the
partitions of those values are read. Output: a JSON array of row objects, or a small text table.

Sources:
- Partition projection ("Partition projection with Amazon Athena", "Date type", Athena User
  Guide): `projection.<col>.type` = date, `.format` (a Java DateTimeFormatter pattern),
  `.range` (`<start>,<end>`, either may be `NOW`), `.interval` and `.interval.unit`;
  `storage.location.template` with `${<col>}`. Several partition columns project the product
  of their values ("Supported types for partition projection": any combination of enum,
  integer, date and injected columns; enum's `.values` is comma-separated).
- Injected columns ("Use dynamic ID partitioning", Athena User Guide): Athena takes their values
  from the query, which must give at least one, as literals; otherwise the query fails with
  CONSTRAINT_VIOLATION (text in INJECTED_VIOLATION).
- Compression: Athena tells it from the file extension (`.gz` is GZIP; "Compression support in
  Athena", Athena User Guide). Files whose names start with `_` or `.` are hidden from queries
  ("Table location in Amazon S3", Athena User Guide).
- SerDes: OpenX JSON SerDe (one JSON object per line; keys matched without case by default;
  `mapping.<column>` = JSON key), LazySimpleSerDe (`field.delim`, no quoting, `\\N` is NULL,
  missing fields NULL, extra fields ignored), RegexSerDe (`input.regex` must match the whole
  line, else every column is NULL), ParquetHiveSerDe.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import gzip
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Iterable

OPENX_JSON = "org.openx.data.jsonserde.JsonSerDe"
HIVE_JSON = "org.apache.hive.hcatalog.data.JsonSerDe"
LAZY_SIMPLE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
REGEX = "org.apache.hadoop.hive.serde2.RegexSerDe"
PARQUET = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"

# Extensions of compressions this script cannot read; Athena reads them, so say so plainly.
UNSUPPORTED_COMPRESSION = (".zip", ".snappy", ".hsnappy", ".bz2", ".zst", ".lz4")


class QueryError(Exception):
    """A table or its data that this script cannot read, with the reason."""


# --- Java DateTimeFormatter patterns (the subset projection formats use) -------------------

# Pattern letters and the datetime field each stands for (java.time.format.DateTimeFormatter,
# "Patterns for Formatting and Parsing"): year, month of year, day of month, day of year,
# hour of day (0-23), minute, second.
_FIELDS = {"y": "year", "u": "year", "M": "month", "d": "day", "D": "yday", "H": "hour",
           "m": "minute", "s": "second"}
_UNITS = {"year": "YEARS", "month": "MONTHS", "day": "DAYS", "yday": "DAYS", "hour": "HOURS",
          "minute": "MINUTES", "second": "SECONDS"}


@dataclass
class Token:
    """A run of one pattern letter (`field` set), or literal text."""

    text: str
    field: str | None = None


def java_pattern(pattern: str) -> list[Token]:
    """Splits a DateTimeFormatter pattern: letter runs, and literals (quoted with `'`, `''` for
    a quote itself; other non-letters stand for themselves). Letters outside this subset are
    refused rather than guessed."""
    tokens: list[Token] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end = i + 1
            text = ""
            while True:
                if end >= len(pattern):
                    raise QueryError(f"unclosed quote in date pattern {pattern!r}")
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        text += "'"
                        end += 2
                        continue
                    break
                text += pattern[end]
                end += 1
            tokens.append(Token("'" if end == i + 1 else text))
            i = end + 1
        elif c.isalpha():
            if c not in _FIELDS:
                raise QueryError(f"date pattern letter {c!r} in {pattern!r} is not supported")
            end = i
            while end < len(pattern) and pattern[end] == c:
                end += 1
            tokens.append(Token(pattern[i:end], _FIELDS[c]))
            i = end
        else:
            tokens.append(Token(c))
            i += 1
    return tokens


def _field_value(when: dt.datetime, name: str) -> int:
    if name == "yday":
        return when.timetuple().tm_yday
    return getattr(when, name)


def format_java(pattern: str, when: dt.datetime) -> str:
    """`when` formatted with a DateTimeFormatter pattern (numbers zero-padded to the run's
    length; `yy` is the last two digits of the year)."""
    out = []
    for token in java_pattern(pattern):
        if token.field is None:
            out.append(token.text)
            continue
        value = _field_value(when, token.field)
        if token.field == "year" and len(token.text) == 2:
            value %= 100
        out.append(str(value).zfill(len(token.text)))
    return "".join(out)


def parse_java(pattern: str, text: str) -> dt.datetime:
    """Parses `text` written with a DateTimeFormatter pattern (as UTC)."""
    tokens = java_pattern(pattern)
    regex = ""
    for token in tokens:
        if token.field is None:
            regex += re.escape(token.text)
        elif len(token.text) == 1:
            regex += r"(\d+)"
        else:
            regex += r"(\d{%d})" % len(token.text)
    match = re.fullmatch(regex, text)
    if not match:
        raise QueryError(f"{text!r} does not match the date pattern {pattern!r}")
    values = {"year": 1970, "month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0}
    yday = None
    for token, group in zip([t for t in tokens if t.field], match.groups()):
        if token.field == "yday":
            yday = int(group)
        elif token.field == "year" and len(token.text) == 2:
            values["year"] = 2000 + int(group)
        else:
            values[token.field] = int(group)
    when = dt.datetime(tzinfo=dt.timezone.utc, **values)
    if yday is not None:
        when = when.replace(month=1, day=1) + dt.timedelta(days=yday - 1)
    return when


def finest_unit(pattern: str) -> str:
    """The interval unit of the pattern's finest field (what Athena defaults the unit to)."""
    order = ["YEARS", "MONTHS", "DAYS", "HOURS", "MINUTES", "SECONDS"]
    units = [_UNITS[t.field] for t in java_pattern(pattern) if t.field]
    if not units:
        raise QueryError(f"date pattern {pattern!r} has no date field")
    return max(units, key=order.index)


# --- Partition projection ------------------------------------------------------------------

def _add(when: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit in ("YEARS", "MONTHS"):
        months = amount * (12 if unit == "YEARS" else 1)
        total = when.month - 1 + months
        year, month = when.year + total // 12, total % 12 + 1
        day = min(when.day, calendar.monthrange(year, month)[1])
        return when.replace(year=year, month=month, day=day)
    seconds = {"WEEKS": 604800, "DAYS": 86400, "HOURS": 3600, "MINUTES": 60, "SECONDS": 1}[unit]
    return when + dt.timedelta(seconds=amount * seconds)


_RELATIVE = re.compile(r"NOW(?:\s*([+-])\s*(\d+)\s*(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?))?")


def _range_end(text: str, pattern: str, now: dt.datetime) -> dt.datetime:
    """One end of `projection.<col>.range`: a date in the pattern, or `NOW` with an optional
    `+`/`-` offset such as `NOW-3DAYS`."""
    text = text.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative is None:
        return parse_java(pattern, text)
    sign, amount, unit = relative.groups()
    if not sign:
        return now
    unit = unit if unit.endswith("S") else unit + "S"
    return _add(now, int(amount) * (1 if sign == "+" else -1), unit)


def projected_values(params: dict[str, str], column: str, now: dt.datetime) -> list[str]:
    """Every value of a date-projected partition column, from the range's start to its end by
    the interval, each formatted with the pattern."""
    prefix = f"projection.{column}."
    kind = params.get(prefix + "type")
    if kind != "date":
        raise QueryError(f"projection type {kind!r} of {column} is not a date")
    pattern = params[prefix + "format"]
    start_text, end_text = params[prefix + "range"].split(",", 1)
    start = _range_end(start_text, pattern, now)
    end = _range_end(end_text, pattern, now)
    interval = int(params.get(prefix + "interval", "1"))
    unit = params.get(prefix + "interval.unit", finest_unit(pattern)).upper()
    values = []
    when = start
    while when <= end:
        values.append(format_java(pattern, when))
        when = _add(when, interval, unit)
        if len(values) > 100_000:
            raise QueryError(f"projection of {column} has more than 100000 values")
    return values


# The error Athena fails a query with when an injected column is not constrained as it needs
# ("Use dynamic ID partitioning", Athena User Guide).
INJECTED_VIOLATION = ("CONSTRAINT_VIOLATION: For the injected projected partition column {column}, "
                      "the WHERE clause must contain only static equality conditions, and at "
                      "least one such condition must be present.")


def injected_columns(table: dict) -> list[str]:
    """The table's partition columns of projection type `injected`."""
    params = table.get("Parameters", {})
    return [k["Name"] for k in table.get("PartitionKeys", [])
            if params.get(f"projection.{k['Name']}.type", "").strip().lower() == "injected"]


def column_values(params: dict[str, str], column: str, now: dt.datetime,
                  injected: dict[str, list[str]]) -> list[str]:
    """The projected values of one partition column, by its projection type."""
    kind = params.get(f"projection.{column}.type", "").strip().lower()
    if kind == "date":
        return projected_values(params, column, now)
    if kind == "enum":
        return params[f"projection.{column}.values"].split(",")
    if kind == "injected":
        if column not in injected:
            raise QueryError(INJECTED_VIOLATION.format(column=column))
        return injected[column]
    raise QueryError(f"projection type {kind!r} of {column} is not supported "
                     "(only date, enum and injected)")


@dataclass
class Partition:
    """One partition: its column values and the S3 location of its objects."""

    values: dict[str, str]
    location: str


def partitions(table: dict, now: dt.datetime,
               injected: dict[str, list[str]] | None = None) -> list[Partition]:
    """Where the table's data is: each projected partition's location (every combination of
    the columns' values, `injected` giving those of the injected columns), or the table's own
    location for a table without partitions."""
    params = table.get("Parameters", {})
    keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    location = table["StorageDescriptor"]["Location"]
    if not keys:
        return [Partition({}, location)]
    if params.get("projection.enabled", "").lower() != "true":
        raise QueryError("a partitioned table without partition projection needs its "
                         "partitions in the catalog, which this script does not read")
    # Without a template, Athena reads Hive-style folders: `<location>/col=value/...`.
    default = location.rstrip("/") + "/" + "/".join(k + "=${" + k + "}" for k in keys) + "/"
    template = params.get("storage.location.template", default)
    for column in keys:
        if "${" + column + "}" not in template:
            raise QueryError(f"storage.location.template {template!r} lacks ${{{column}}}")
    found = [Partition({}, template)]
    for column in keys:
        values = column_values(params, column, now, injected or {})
        found = [Partition({**p.values, column: v}, p.location.replace("${" + column + "}", v))
                 for p in found for v in values]
    return found


# --- The values a query injects -------------------------------------------------------------

def _nodes(tree) -> Iterable[dict]:
    """Every object of a parsed statement, depth first."""
    if isinstance(tree, dict):
        yield tree
        for v in tree.values():
            yield from _nodes(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from _nodes(v)


def _is_table(node, name: str) -> bool:
    return (isinstance(node, dict) and node.get("type") == "BASE_TABLE"
            and node.get("table_name", "").lower() == name.lower())


def _is_column(node: dict, column: str) -> bool:
    return node.get("class") == "COLUMN_REF" and node["column_names"][-1].lower() == column


def _literal(node: dict) -> str | None:
    """A constant's text, None for anything else (and for NULL)."""
    if node.get("class") != "CONSTANT":
        return None
    literal = node.get("literal") or {}
    if literal.get("kind") == "NULL":
        return None
    return literal.get("text")


def _equality_values(condition: dict, column: str) -> list[str] | None:
    """The literals `condition` equates `column` with (`col = 'a'`, `'a' = col`,
    `col IN ('a', 'b')`), None if it is no such condition."""
    if condition.get("type") == "COMPARE_EQUAL":
        sides = [condition["left"], condition["right"]]
        for this, other in (sides, sides[::-1]):
            if _is_column(this, column) and _literal(other) is not None:
                return [_literal(other)]
        return None
    if condition.get("type") == "COMPARE_IN":
        first, *rest = condition["children"]
        texts = [_literal(r) for r in rest]
        if _is_column(first, column) and rest and None not in texts:
            return texts
    return None


def _conjuncts(where: dict | None) -> list[dict]:
    if where is None:
        return []
    if where.get("type") == "CONJUNCTION_AND":
        return [c for child in where["children"] for c in _conjuncts(child)]
    return [where]


def injected_values(con, sql: str, table: str, columns: list[str]) -> dict[str, list[str]]:
    """The values the query's WHERE gives each injected column of `table`: each SELECT over
    the table must AND an equality of the column with literals (`=` or `IN`) into its WHERE,
    and mention the column in no other condition; else Athena's CONSTRAINT_VIOLATION."""
    if not columns:
        return {}
    parsed = json.loads(con.sql(f"SELECT json_serialize_sql({quote_literal(sql)})").fetchall()[0][0])
    if parsed.get("error"):
        raise QueryError(f"the query does not parse: {parsed.get('error_message')}")
    selects = [n for n in _nodes(parsed["statements"])
               if n.get("type") == "SELECT_NODE" and _is_table(n.get("from_table"), table)]
    references = sum(1 for n in _nodes(parsed["statements"]) if _is_table(n, table))
    values: dict[str, list[str]] = {}
    for column in columns:
        column = column.lower()
        if references > len(selects):
            # The table is joined or nested where no WHERE of its own constrains it.
            raise QueryError(INJECTED_VIOLATION.format(column=column))
        for select in selects:
            given = None
            for condition in _conjuncts(select.get("where_clause")):
                found = _equality_values(condition, column)
                if found is not None:
                    given = found if given is None else [v for v in given if v in found]
                elif any(_is_column(n, column) for n in _nodes(condition)):
                    raise QueryError(INJECTED_VIOLATION.format(column=column))
            if given is None:
                raise QueryError(INJECTED_VIOLATION.format(column=column))
            values[column] = list(dict.fromkeys(values.get(column, []) + given))
    return values


def split_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/key/prefix` -> (`bucket`, `key/prefix`)."""
    if not url.startswith("s3://"):
        raise QueryError(f"location {url!r} is not an s3:// URL")
    bucket, _, prefix = url[5:].partition("/")
    return bucket, prefix


def is_hidden(key: str, prefix: str) -> bool:
    """Whether Athena skips the object: its name (or a folder under the location) starts with
    `_` or `.`, or it is a folder marker."""
    rest = key[len(prefix):]
    return key.endswith("/") or any(part.startswith(("_", ".")) for part in rest.split("/"))


# --- Reading with DuckDB -------------------------------------------------------------------

def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(quote_literal(i) for i in items) + "]"


@dataclass
class Source:
    """How the table's files are read: the SerDe and its parameters, and the columns."""

    serde: str
    params: dict[str, str]
    columns: list[str]
    partition_columns: list[str] = field(default_factory=list)


def source_of(table: dict) -> Source:
    sd = table["StorageDescriptor"]
    info = sd.get("SerdeInfo", {})
    columns = {c["Name"].lower() for c in sd.get("Columns", [])}
    # Athena refuses a partition column named as a column of the table ("ALTER TABLE ADD
    # PARTITION", Athena User Guide).
    for key in table.get("PartitionKeys", []):
        if key["Name"].lower() in columns:
            raise QueryError(f"partition column {key['Name']!r} is also a column of the table")
    return Source(
        serde=info.get("SerializationLibrary", ""),
        params=dict(info.get("Parameters", {})),
        columns=[c["Name"] for c in sd.get("Columns", [])],
        partition_columns=[k["Name"] for k in table.get("PartitionKeys", [])],
    )


def _lines_sql(files: list[str]) -> str:
    """One row per line of the files (TextInputFormat: lines end at `\\n`, a final one
    optional; a `\\r` before it is dropped)."""
    return (
        "SELECT rtrim(line, chr(13)) AS line FROM ("
        "SELECT unnest(string_split(regexp_replace(content, '\\n$', ''), chr(10))) AS line "
        f"FROM read_text({sql_list(files)}))"
    )


def select_sql(con, source: Source, files: list[str]) -> str:
    """A SELECT of the table's columns (as strings) over `files`, read as the SerDe reads."""
    cols = source.columns
    if source.serde in (OPENX_JSON, HIVE_JSON):
        return _json_sql(con, source, files)
    if source.serde == LAZY_SIMPLE:
        delim = source.params.get("field.delim", source.params.get("serialization.format", "\x01"))
        null = source.params.get("serialization.null.format", "\\N")
        parts = ", ".join(
            f"nullif(string_split(line, {quote_literal(delim)})[{i + 1}], {quote_literal(null)})"
            f" AS {quote_ident(c)}" for i, c in enumerate(cols))
        return f"SELECT {parts} FROM ({_lines_sql(files)})"
    if source.serde == REGEX:
        regex = source.params.get("input.regex")
        if regex is None:
            raise QueryError("RegexSerDe table without input.regex")
        anchored = quote_literal("^(?:" + regex + ")$")
        # The struct form names each group (the numbered form stops at 9 groups).
        parts = ", ".join(f"CASE WHEN matched THEN groups.{quote_ident(c)} END AS {quote_ident(c)}"
                          for c in cols)
        return (f"SELECT {parts} FROM (SELECT regexp_full_match(line, {anchored}) AS matched, "
                f"regexp_extract(line, {anchored}, {sql_list(cols)}) AS groups "
                f"FROM ({_lines_sql(files)}))")
    if source.serde == PARQUET:
        parts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in cols)
        return f"SELECT {parts} FROM read_parquet({sql_list(files)})"
    raise QueryError(f"SerDe {source.serde!r} is not supported")


def _json_sql(con, source: Source, files: list[str]) -> str:
    """OpenX JSON: one object per line, keys matched to columns without case (the SerDe's
    `case.insensitive` default), `mapping.<column>` naming the key of a column."""
    reader = f"read_json({sql_list(files)}, format='newline_delimited', sample_size=-1"
    if source.params.get("ignore.malformed.json", "").lower() == "true":
        # The SerDe's `ignore.malformed.json`: a line that is not JSON is skipped, not fatal.
        reader += ", ignore_errors=true"
    keys = [row[0] for row in con.sql(f"DESCRIBE SELECT * FROM {reader})").fetchall()]
    by_lower = {k.lower(): k for k in keys}
    typed = ", ".join(f"{quote_literal(k)}: 'VARCHAR'" for k in keys)
    parts = []
    for c in source.columns:
        key = source.params.get(f"mapping.{c}", c).lower()
        found = by_lower.get(key)
        parts.append(f"{quote_ident(found)} AS {quote_ident(c)}" if found
                     else f"CAST(NULL AS VARCHAR) AS {quote_ident(c)}")
    return f"SELECT {', '.join(parts)} FROM {reader}, columns={{{typed}}})"


# --- Fetching the objects ------------------------------------------------------------------

def s3_client(endpoint: str, region: str):
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        region_name=region,
    )
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5})
    return session.client("s3", endpoint_url=endpoint, config=config), \
        session.client("glue", endpoint_url=endpoint, config=config)


def fetch(s3, partition: Partition, into: str, serde: str) -> list[str]:
    """Downloads the partition's objects into `into`, gunzipping `.gz` ones; the local paths."""
    bucket, prefix = split_s3_url(partition.location)
    paths = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if is_hidden(key, prefix):
                continue
            if key.endswith(UNSUPPORTED_COMPRESSION):
                raise QueryError(f"s3://{bucket}/{key}: this script reads only GZIP (.gz) "
                                 "or uncompressed objects")
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            if key.endswith(".gz"):
                body = gzip.decompress(body)
            suffix = ".parquet" if serde == PARQUET else ""
            path = os.path.join(into, f"{len(os.listdir(into))}{suffix}")
            with open(path, "wb") as f:
                f.write(body)
            paths.append(path)
    return paths


def load_table(con, s3, table: dict, workdir: str, now: dt.datetime,
               injected: dict[str, list[str]] | None = None) -> tuple[str, list[str]]:
    """Creates a view named after the table over its delivered objects (of the partitions
    `injected` selects, for a table with injected columns); returns the view's name and the S3
    locations read."""
    source = source_of(table)
    selects = []
    read = []
    for i, partition in enumerate(partitions(table, now, injected)):
        folder = os.path.join(workdir, str(i))
        os.makedirs(folder)
        files = fetch(s3, partition, folder, source.serde)
        if not files:
            continue
        read.append(partition.location)
        extra = "".join(f", {quote_literal(v)} AS {quote_ident(k)}"
                        for k, v in partition.values.items())
        selects.append(f"SELECT *{extra} FROM ({select_sql(con, source, files)})")
    if not selects:
        names = source.columns + source.partition_columns
        selects = ["SELECT " + ", ".join(f"CAST(NULL AS VARCHAR) AS {quote_ident(c)}"
                                         for c in names) + " WHERE false"]
    name = table["Name"]
    con.sql(f"CREATE VIEW {quote_ident(name)} AS " + " UNION ALL ".join(selects))
    return name, read


def render_table(columns: list[str], rows: list[tuple]) -> str:
    """A small text table, as a terminal shows query results."""
    cells = [[("NULL" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths)) + " |", line]
    out += ["| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |" for r in cells]
    out.append(line)
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="AWS endpoint (the emulator)")
    parser.add_argument("--database", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--sql", help="query over the table (default: every row)")
    parser.add_argument("--output", choices=["json", "table"], default="json")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    args = parser.parse_args(argv)
    try:
        import duckdb
    except ImportError:
        print("error: duckdb is not installed in this Python; run "
              "acceptance-tests/scripts/install-emulator.sh", file=sys.stderr)
        return 2
    s3, glue = s3_client(args.endpoint, args.region)
    try:
        table = glue.get_table(DatabaseName=args.database, Name=args.table)["Table"]
        con = duckdb.connect()
        sql = args.sql or f"SELECT * FROM {quote_ident(table['Name'])}"
        injected = injected_values(con, sql, table["Name"], injected_columns(table))
        with tempfile.TemporaryDirectory(prefix="query-logs-") as workdir:
            load_table(con, s3, table, workdir, dt.datetime.now(dt.timezone.utc), injected)
            result = con.sql(sql)
            columns = [d[0] for d in result.description]
            rows = result.fetchall()
    except QueryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.output == "json":
        print(json.dumps([dict(zip(columns, row)) for row in rows], default=str))
    else:
        print(render_table(columns, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
