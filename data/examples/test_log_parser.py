from log_parser import error_codes, level_counts, read_log, slow_requests, summary

LOG = [
    "[INFO] started",
    "[ERROR] ERROR 500 upstream failed",
    "[WARN] GET /slow took 950ms",
    "[INFO] GET /fast took 12ms",
    "[ERROR] ERROR 404 not found",
    "garbage line",
    "[INFO] get /mixed took 700MS",
]


def test_error_codes():
    assert error_codes(LOG) == ["500", "404"]
    assert error_codes([]) == []


def test_level_counts():
    assert level_counts(LOG) == {"INFO": 3, "ERROR": 2, "WARN": 1}
    assert list(level_counts(LOG)) == ["INFO", "ERROR", "WARN"]
    assert level_counts(["no level"]) == {}


def test_slow_requests_is_case_insensitive():
    assert slow_requests(LOG, 100) == [("/slow", 950), ("/mixed", 700)]
    assert slow_requests(LOG, 5000) == []


def test_read_log(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("[INFO] a\n\n  \n[ERROR] ERROR 1 b\n")
    assert read_log(str(p)) == ["[INFO] a", "[ERROR] ERROR 1 b"]


def test_summary():
    assert summary(LOG) == "ERROR: 2\nINFO: 3\nWARN: 1\n"
    assert summary([]) == ""
