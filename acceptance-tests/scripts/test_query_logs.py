"""Unit tests of query_logs.py's translations (run by acceptance-tests/tests/query.rs with the
venv's Python: `python -m unittest test_query_logs`)."""

import datetime as dt
import io
import os
import tempfile
import unittest

import duckdb

import query_logs as q

UTC = dt.timezone.utc


class JavaPatterns(unittest.TestCase):
    def test_quoted_literals_and_fields(self):
        when = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
        self.assertEqual(q.format_java("'year='yyyy'/month='MM", when), "year=2026/month=03")
        self.assertEqual(q.format_java("yyyy/MM/dd/HH", when), "2026/03/04/05")
        self.assertEqual(q.format_java("yy-M-d'T'HH:mm:ss", when), "26-3-4T05:06:07")
        self.assertEqual(q.format_java("'it''s' DDD", when), "it's 063")
        self.assertEqual(q.format_java("''yyyy", when), "'2026")

    def test_parse_is_the_inverse(self):
        for pattern in ["'year='yyyy'/month='MM", "yyyy/MM/dd/HH", "yyyy-MM-dd-HH-mm"]:
            when = dt.datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
            unit = q.finest_unit(pattern)
            truncated = {"MONTHS": when.replace(day=1, hour=0, minute=0),
                         "HOURS": when.replace(minute=0), "MINUTES": when}[unit]
            self.assertEqual(q.parse_java(pattern, q.format_java(pattern, when)), truncated)

    def test_unknown_letters_are_refused(self):
        with self.assertRaises(q.QueryError):
            q.java_pattern("yyyy-ww")
        with self.assertRaises(q.QueryError):
            q.parse_java("yyyy/MM", "2026-01")

    def test_finest_unit(self):
        self.assertEqual(q.finest_unit("'y='yyyy'/m='MM"), "MONTHS")
        self.assertEqual(q.finest_unit("yyyy/MM/dd/HH"), "HOURS")


class Projection(unittest.TestCase):
    NOW = dt.datetime(2026, 12, 2, 3, 40, tzinfo=UTC)

    def table(self, params):
        return {
            "Name": "logs",
            "StorageDescriptor": {"Location": "s3://b/apigw/", "Columns": []},
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "Parameters": {"projection.enabled": "true", **params},
        }

    def test_hours_from_start_to_now_into_the_template(self):
        parts = q.partitions(self.table({
            "projection.dt.type": "date",
            "projection.dt.format": "yyyy/MM/dd/HH",
            "projection.dt.range": "2026/12/02/01,NOW",
            "projection.dt.interval": "1",
            "projection.dt.interval.unit": "HOURS",
            "storage.location.template": "s3://b/apigw/${dt}/",
        }), self.NOW)
        self.assertEqual([p.location for p in parts], [
            "s3://b/apigw/2026/12/02/01/", "s3://b/apigw/2026/12/02/02/",
            "s3://b/apigw/2026/12/02/03/"])
        self.assertEqual(parts[0].values, {"dt": "2026/12/02/01"})

    def test_months_step_by_calendar(self):
        parts = q.partitions(self.table({
            "projection.dt.type": "date",
            "projection.dt.format": "'year='yyyy'/month='MM",
            "projection.dt.range": "year=2026/month=10,NOW",
            "projection.dt.interval": "1",
            "projection.dt.interval.unit": "MONTHS",
            "storage.location.template": "s3://b/logs/${dt}/",
        }), self.NOW)
        self.assertEqual([p.location for p in parts], [
            "s3://b/logs/year=2026/month=10/", "s3://b/logs/year=2026/month=11/",
            "s3://b/logs/year=2026/month=12/"])

    def test_relative_ends(self):
        values = q.projected_values({
            "projection.dt.type": "date", "projection.dt.format": "yyyy-MM-dd",
            "projection.dt.range": "NOW-2DAYS,NOW", "projection.dt.interval.unit": "DAYS",
        }, "dt", self.NOW)
        self.assertEqual(values, ["2026-11-30", "2026-12-01", "2026-12-02"])

    def test_without_projection_is_refused(self):
        table = self.table({})
        table["Parameters"] = {}
        with self.assertRaises(q.QueryError):
            q.partitions(table, self.NOW)

    def test_hidden_objects(self):
        self.assertTrue(q.is_hidden("a/_SUCCESS", "a/"))
        self.assertTrue(q.is_hidden("a/.tmp/x", "a/"))
        self.assertFalse(q.is_hidden("a/stream-1-2026-x.gz", "a/"))


class Readers(unittest.TestCase):
    def read(self, serde, params, columns, content):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "0")
            with open(path, "w") as f:
                f.write(content)
            con = duckdb.connect()
            source = q.Source(serde, params, columns)
            return con.sql(q.select_sql(con, source, [path])).fetchall()

    def test_openx_json_matches_keys_without_case_and_by_mapping(self):
        rows = self.read(q.OPENX_JSON, {"mapping.x_forwarded": "X-Forwarded"},
                         ["requestid", "x_forwarded", "missing"],
                         '{"requestId":"a","X-Forwarded":"1"}\n{"requestId":"b","X-Forwarded":"2"}\n')
        self.assertEqual(rows, [("a", "1", None), ("b", "2", None)])

    def test_lazy_simple_splits_without_quotes(self):
        rows = self.read(q.LAZY_SIMPLE, {"field.delim": ","}, ["a", "b", "c"],
                         'x,"y,z\n1,\\N\n')
        self.assertEqual(rows, [("x", '"y', "z"), ("1", None, None)])

    def test_regex_must_match_the_whole_line(self):
        rows = self.read(q.REGEX, {"input.regex": "(.*?) \\[(.*?)\\]"}, ["ip", "time"],
                         "1.2.3.4 [now]\n1.2.3.4 [now] trailing\n")
        self.assertEqual(rows, [("1.2.3.4", "now"), (None, None)])

    def test_records_without_a_newline_are_one_line(self):
        rows = self.read(q.REGEX, {"input.regex": "<r id=\"(.*?)\"/>"}, ["id"],
                         '<r id="1"/><r id="2"/>')
        # Two records on one line read as one row that mixes both, as Athena reads them.
        self.assertEqual(rows, [('1"/><r id="2',)])


class Injected(unittest.TestCase):
    """Tables partitioned by API and stage (injected) and date, as a partitioned stream's."""

    NOW = dt.datetime(2026, 12, 2, 3, 40, tzinfo=UTC)
    TABLE = {
        "Name": "logs",
        "StorageDescriptor": {
            "Location": "s3://b/p/",
            "Columns": [{"Name": "requestid", "Type": "string"}],
            "SerdeInfo": {"SerializationLibrary": q.OPENX_JSON, "Parameters": {}},
        },
        "PartitionKeys": [{"Name": n, "Type": "string"} for n in ("api_id", "stage", "dt")],
        "Parameters": {
            "projection.enabled": "true",
            "projection.api_id.type": "injected",
            "projection.stage.type": "injected",
            "projection.dt.type": "date",
            "projection.dt.format": "yyyy/MM/dd/HH",
            "projection.dt.range": "2026/12/02/02,NOW",
            "projection.dt.interval": "1",
            "projection.dt.interval.unit": "HOURS",
            "storage.location.template": "s3://b/p/api_id=${api_id}/stage=${stage}/${dt}/",
        },
    }

    def values(self, sql):
        return q.injected_values(duckdb.connect(), sql, "logs", q.injected_columns(self.TABLE))

    def violation(self, sql, column):
        with self.assertRaises(q.QueryError) as e:
            self.values(sql)
        self.assertEqual(str(e.exception), q.INJECTED_VIOLATION.format(column=column))
        self.assertTrue(str(e.exception).startswith(
            f"CONSTRAINT_VIOLATION: For the injected projected partition column {column}, "))

    def test_a_partition_column_named_as_a_column_is_refused(self):
        table = {**self.TABLE, "StorageDescriptor": {
            **self.TABLE["StorageDescriptor"],
            "Columns": [{"Name": "requestid", "Type": "string"}, {"Name": "Stage", "Type": "string"}],
        }}
        with self.assertRaises(q.QueryError):
            q.source_of(table)
        q.source_of(self.TABLE)

    def test_without_a_template_the_folders_are_hive_style(self):
        params = {k: v for k, v in self.TABLE["Parameters"].items()
                  if k != "storage.location.template"}
        found = q.partitions({**self.TABLE, "Parameters": params}, self.NOW,
                             {"api_id": ["a1"], "stage": ["prod"]})
        self.assertEqual(found[0].location, "s3://b/p/api_id=a1/stage=prod/dt=2026/12/02/02/")

    def test_equalities_and_in_lists_give_the_values(self):
        self.assertEqual(q.injected_columns(self.TABLE), ["api_id", "stage"])
        self.assertEqual(self.values("SELECT * FROM logs WHERE api_id = 'a1' AND stage = 'dev'"),
                         {"api_id": ["a1"], "stage": ["dev"]})
        self.assertEqual(
            self.values("SELECT count(*) FROM logs l WHERE 'a1' = l.api_id AND stage IN ('dev', "
                        "'prod') AND dt > '2026' AND requestid IS NOT NULL"),
            {"api_id": ["a1"], "stage": ["dev", "prod"]})
        # Two equalities of one column: only what both allow.
        self.assertEqual(
            self.values("SELECT * FROM logs WHERE api_id IN ('a', 'b') AND api_id = 'b' "
                        "AND stage = 's'"), {"api_id": ["b"], "stage": ["s"]})

    def test_anything_else_is_athenas_constraint_violation(self):
        self.violation("SELECT * FROM logs", "api_id")
        self.violation("SELECT * FROM logs WHERE api_id = 'a'", "stage")
        self.violation("SELECT * FROM logs WHERE api_id = 'a' OR stage = 'dev'", "api_id")
        self.violation("SELECT * FROM logs WHERE api_id = 'a' AND stage LIKE 'd%'", "stage")
        self.violation("SELECT * FROM logs WHERE api_id = requestid AND stage = 'd'", "api_id")
        self.violation("SELECT * FROM logs WHERE api_id = 'a' AND stage = 'd' AND stage <> 'e'",
                       "stage")
        self.violation("SELECT * FROM logs a JOIN logs b ON a.requestid = b.requestid "
                       "WHERE a.api_id = 'x' AND a.stage = 'y'", "api_id")
        with self.assertRaises(q.QueryError):
            q.partitions(self.TABLE, self.NOW)

    def test_only_the_partitions_of_the_values_are_read(self):
        parts = q.partitions(self.TABLE, self.NOW, {"api_id": ["a1"], "stage": ["dev", "prod"]})
        self.assertEqual([p.location for p in parts], [
            "s3://b/p/api_id=a1/stage=dev/2026/12/02/02/",
            "s3://b/p/api_id=a1/stage=dev/2026/12/02/03/",
            "s3://b/p/api_id=a1/stage=prod/2026/12/02/02/",
            "s3://b/p/api_id=a1/stage=prod/2026/12/02/03/"])
        self.assertEqual(parts[-1].values, {"api_id": "a1", "stage": "prod", "dt": "2026/12/02/03"})

    def test_a_query_reads_the_matching_prefixes_and_sees_the_columns(self):
        objects = {
            "p/api_id=a1/stage=dev/2026/12/02/03/x": b'{"requestId":"r1"}\n',
            "p/api_id=a1/stage=prod/2026/12/02/03/x": b'{"requestId":"r2"}\n',
            "p/api_id=a2/stage=dev/2026/12/02/03/x": b'{"requestId":"r3"}\n',
        }
        listed = []

        class Pages:
            def paginate(self, Bucket, Prefix):
                listed.append(Prefix)
                return [{"Contents": [{"Key": k} for k in objects if k.startswith(Prefix)]}]

        class S3:
            def get_paginator(self, _):
                return Pages()

            def get_object(self, Bucket, Key):
                return {"Body": io.BytesIO(objects[Key])}

        sql = "SELECT requestid, api_id, stage, dt FROM logs WHERE api_id = 'a1' AND stage = 'dev'"
        con = duckdb.connect()
        with tempfile.TemporaryDirectory() as d:
            injected = q.injected_values(con, sql, "logs", q.injected_columns(self.TABLE))
            _, read = q.load_table(con, S3(), self.TABLE, d, self.NOW, injected)
            rows = con.sql(sql).fetchall()
        self.assertEqual(rows, [("r1", "a1", "dev", "2026/12/02/03")])
        self.assertEqual(read, ["s3://b/p/api_id=a1/stage=dev/2026/12/02/03/"])
        self.assertTrue(all(p.startswith("p/api_id=a1/stage=dev/") for p in listed), listed)


class Output(unittest.TestCase):
    def test_table(self):
        text = q.render_table(["status", "n"], [("200", 3), ("404", None)])
        self.assertIn("| status | n    |", text)
        self.assertIn("| 404    | NULL |", text)


if __name__ == "__main__":
    unittest.main()
