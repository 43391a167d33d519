"""Unit tests of query_logs.py's translations (run by acceptance-tests/tests/query.rs with the
venv's Python: `python -m unittest test_query_logs`)."""

import datetime as dt
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


class Output(unittest.TestCase):
    def test_table(self):
        text = q.render_table(["status", "n"], [("200", 3), ("404", None)])
        self.assertIn("| status | n    |", text)
        self.assertIn("| 404    | NULL |", text)


if __name__ == "__main__":
    unittest.main()
