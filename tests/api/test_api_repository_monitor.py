"""POST /scan/repository, /optimize/repository (validation: no job is created for bad
input), POST /monitor/directory (and its webhook policy), GET /pipeline/status,
DELETE /monitor/<id>.

The clone-and-scan path itself is tested against a loopback git server in
tests/core/repository (the API accepts github.com only, which this machine cannot reach).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from core.settings import Settings
from core.storage import jobs
from tests.core.monitor.hooks import Hook, serve_hook


@pytest.fixture
def client(sqlite_settings: Settings):
    return create_app(sqlite_settings).test_client()


def _no_jobs(kind: str) -> bool:
    return jobs.list_jobs(limit=5, kind=kind) == []


@pytest.mark.parametrize("endpoint,kind", [("/scan/repository", "repository_scan"),
                                           ("/optimize/repository", "repository_optimize")])
@pytest.mark.parametrize("url,why", [
    ("https://gitlab.com/owner/repo", "not on github.com"),
    ("http://127.0.0.1:8000/owner/repo", "not on github.com"),
    ("file:///srv/repo", "HTTPS GitHub URL"),
    ("ssh://git@github.com/owner/repo", "HTTPS GitHub URL"),
    ("git@github.com:owner/repo.git", "SSH"),
    ("https://x:y@github.com/owner/repo", "credentials"),
    ("https://github.com/owner/../etc", "'..'"),
])
def test_repository_url_policy_is_422(client, endpoint, kind, url, why) -> None:
    response = client.post(endpoint, json={"repository_url": url})
    assert response.status_code == 422
    body = response.get_json()
    assert body["fields"][0]["field"] == "repository_url"
    assert why in body["fields"][0]["message"]
    assert _no_jobs(kind)


@pytest.mark.parametrize("extra,field", [
    ({"ref": "../../etc"}, "ref"),
    ({"ref": "-upload-pack=evil"}, "ref"),
    ({"max_files": 0}, "max_files"),
    ({"min_complexity": 101}, "min_complexity"),
    ({"background": "yes"}, "background"),
    ({"branch": "main"}, "branch"),
])
def test_scan_repository_field_errors(client, extra, field) -> None:
    response = client.post("/scan/repository",
                           json={"repository_url": "https://github.com/o/r", **extra})
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == field
    assert _no_jobs("repository_scan")


@pytest.mark.parametrize("extra,field", [
    ({"max_suggestions_per_file": 0}, "max_suggestions_per_file"),
    ({"objective_weights": {"runtime": 0, "memory": 0}}, "objective_weights"),
    ({"enable_cross_file_context": "true"}, "enable_cross_file_context"),
    ({"run_validation": 1}, "run_validation"),
])
def test_optimize_repository_field_errors(client, extra, field) -> None:
    response = client.post("/optimize/repository",
                           json={"repository_url": "https://github.com/o/r", **extra})
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == field


def test_missing_repository_url_is_named(client) -> None:
    response = client.post("/scan/repository", json={})
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == "repository_url"


def _wait_finished(job_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get_job(job_id)
        if job and job["finished"]:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {jobs.get_job(job_id)}")


def test_monitor_lifecycle(client, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "slow.py").write_text("def f(xs):\n    s = ''\n    for x in xs:\n        s += x\n"
                                 "    return s\n")
    response = client.post("/monitor/directory",
                           json={"directory": str(src), "interval_seconds": 60})
    assert response.status_code == 201
    created = response.get_json()
    assert created["active"] is True and created["interval_seconds"] == 60
    assert created["auto_optimize"] is False and created["notification_webhook"] is None
    job = _wait_finished(created["first_run_job_id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["added"] == ["slow.py"]

    status = client.get("/pipeline/status").get_json()
    assert status["mode"] == "embedded" and status["active_monitors"] == 1
    listed = status["monitors"][0]
    assert listed["monitor_id"] == created["monitor_id"]
    assert listed["last_run_at"] is not None
    assert listed["last_changes"]["added"] == ["slow.py"]
    assert listed["last_changes"]["hotspots"][0]["file_path"] == "slow.py"
    assert status["jobs"]["monitor"] == {"succeeded": 1}

    stopped = client.delete(f"/monitor/{created['monitor_id']}")
    assert stopped.status_code == 200 and stopped.get_json()["active"] is False
    assert client.get("/pipeline/status").get_json()["active_monitors"] == 0
    assert client.delete("/monitor/mon_unknown").status_code == 404


@pytest.mark.parametrize("extra,field,status", [
    ({"interval_seconds": 5}, "interval_seconds", 422),
    ({"notification_webhook": "ftp://hooks.example/x"}, "notification_webhook", 422),
    ({"notification_webhook": "not a url"}, "notification_webhook", 422),
    ({"auto_optimize": "yes"}, "auto_optimize", 422),
    ({"every": 5}, "every", 422),
])
def test_monitor_validation(client, tmp_path: Path, extra, field, status) -> None:
    response = client.post("/monitor/directory", json={"directory": str(tmp_path), **extra})
    assert response.status_code == status
    assert response.get_json()["fields"][0]["field"] == field
    assert _no_jobs("monitor")


def test_monitor_directory_confined(client, tmp_path: Path) -> None:
    response = client.post("/monitor/directory", json={"directory": str(tmp_path.parent)})
    assert response.status_code == 403
    missing = client.post("/monitor/directory", json={"directory": str(tmp_path / "nope")})
    assert missing.status_code == 422
    assert client.get("/pipeline/status").get_json()["monitors"] == []


def test_embedded_scheduler_thread_runs_due_monitors(sqlite_settings, tmp_path: Path,
                                                     monkeypatch) -> None:
    import gc

    import api.blueprints.monitor as monitor_bp
    from core import monitor as mon

    monkeypatch.setattr(monitor_bp, "SCHEDULER_TICK_SECONDS", 0.2)
    (tmp_path / "w.py").write_text("W = 1\n")
    mid = mon.create_monitor(str(tmp_path), interval_seconds=10)["monitor_id"]  # due now
    app = create_app(sqlite_settings)
    deadline = time.monotonic() + 20
    while mon.get_monitor(mid)["last_result"] is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mon.get_monitor(mid)["last_result"]["added"] == ["w.py"]
    assert jobs.list_jobs(kind="monitor")[0]["params"] == {"monitor_id": mid}
    del app
    gc.collect()  # the thread notices its app is gone and ends
    deadline = time.monotonic() + 5

    def running() -> bool:
        return any(key[1] == sqlite_settings.database_url for key in monitor_bp._started)

    while running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running()


def test_monitor_with_broker_down_is_503_and_left_inactive(configure_settings,
                                                          tmp_path: Path) -> None:
    # A real broker URL nobody listens on (closed loopback port).
    import socket

    from core import monitor as mon
    from core.storage.migrate import upgrade_database

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = configure_settings(REDIS_URL=f"redis://127.0.0.1:{port}/0")
    upgrade_database(settings.database_url, quiet=True)
    client = create_app(settings).test_client()
    response = client.post("/monitor/directory", json={"directory": str(tmp_path)})
    assert response.status_code == 503
    [row] = mon.list_monitors(include_inactive=True)
    assert row["active"] is False
    assert mon.claim_due_monitors() == []


@pytest.mark.parametrize("message,field", [
    ("ref 'nope' is not a branch, tag or commit of the repository", "ref"),
    ("cannot clone https://github.com/o/r.git: HTTPUnauthorized: No valid credentials",
     "repository_url"),
])
def test_failed_clone_job_becomes_422(sqlite_settings, message, field) -> None:
    from api.blueprints.repository import _bad_ref_or_url
    from api.errors import ApiError
    from core.repository import RepositoryError
    from tasks.runner import one_line_error

    job = jobs.create_job("repository_scan", {}, status="queued")
    jobs.finish_job(job["job_id"], status="failed", error=one_line_error(RepositoryError(message)))
    with pytest.raises(ApiError) as info:
        _bad_ref_or_url(jobs.get_job(job["job_id"]))
    assert info.value.status == 422
    assert info.value.fields == [{"field": field, "message": message}]
    other = jobs.create_job("repository_scan", {}, status="queued")
    jobs.finish_job(other["job_id"], status="failed", error="OSError: disk full")
    _bad_ref_or_url(jobs.get_job(other["job_id"]))  # not the client's fault: left to the 500


# Webhook policy (core.monitor): public addresses only, checked after DNS resolution at
# submit time and again at delivery, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true. The
# resolver is replaced in these tests: nothing here touches the network beyond loopback.

PUBLIC_V4, PUBLIC_V6 = "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"


@pytest.fixture
def webhook() -> Iterator[Hook]:
    """A real HTTP server on loopback recording the POSTs it gets."""
    with serve_hook() as hook:
        yield hook


@pytest.fixture
def resolver(monkeypatch):
    """``resolver.answers[host] = [addresses]``: what resolving ``host`` gives; a host
    without answers does not resolve. ``resolver.calls`` counts look-ups."""
    import socket

    from core import monitor as mon

    class Resolver:
        answers: dict[str, list[str]] = {}
        calls = 0

        def __call__(self, host: str, port: int) -> list[str]:
            Resolver.calls += 1
            if host not in self.answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return list(self.answers[host])

    fake = Resolver()
    fake.answers = {}
    monkeypatch.setattr(mon, "resolve_addresses", fake)
    return fake


def _no_monitors() -> bool:
    from core import monitor as mon

    return mon.list_monitors(include_inactive=True) == []


@pytest.mark.parametrize("hook_url,reason", [
    ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
    ("http://127.1.2.3/hook", "loopback"),
    ("http://[::1]:9000/hook", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4-mapped IPv6
    ("http://10.0.0.7/hook", "10.0.0.7 is a private address"),
    ("https://192.168.1.20/hook", "private"),
    ("http://172.16.5.4/hook", "private"),
    ("http://[fd12:3456::1]/hook", "private"),  # unique local IPv6
    ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
    ("http://[fe80::1]/hook", "link-local"),
    ("http://224.0.0.251/hook", "multicast"),
    ("http://0.0.0.0:8000/hook", "unspecified"),
    ("http://240.0.0.1/hook", "reserved"),
    ("http://100.64.1.1/hook", "non-global"),  # carrier-grade NAT
    ("http://localhost:8000/hook", "localhost resolves to 127.0.0.1, which is a loopback"),
    ("https://mixed.example.test/hook", "resolves to 10.9.8.7, which is a private"),
    ("https://nowhere.example.test/hook", "does not resolve"),
])
def test_webhook_to_a_non_public_address_is_refused_with_400(client, tmp_path: Path, resolver,
                                                             hook_url, reason) -> None:
    resolver.answers = {"localhost": ["127.0.0.1", "::1"],
                        "mixed.example.test": [PUBLIC_V4, "10.9.8.7"]}  # one bad answer is enough
    response = client.post("/monitor/directory",
                           json={"directory": str(tmp_path), "notification_webhook": hook_url})
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["error"] == "bad_request" and reason in body["message"]
    if "resolve" not in reason:
        assert "WEBHOOK_ALLOW_PRIVATE_NETWORKS=true" in body["message"]
    assert body["fields"] == [{"field": "notification_webhook", "message": body["message"]}]
    assert _no_monitors() and _no_jobs("monitor")


def test_webhook_to_public_addresses_is_accepted(client, tmp_path: Path, resolver) -> None:
    resolver.answers = {"hooks.example.test": [PUBLIC_V4, PUBLIC_V6]}
    url = "https://hooks.example.test/services/T000/B000/XXXX"
    response = client.post("/monitor/directory",
                           json={"directory": str(tmp_path), "notification_webhook": url})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["notification_webhook"] == url
    assert resolver.calls == 1  # resolved once, at submit time; the empty folder sends nothing
    _wait_finished(response.get_json()["first_run_job_id"])
    from core import monitor as mon

    target = mon.check_webhook_url(f"http://[{PUBLIC_V6}]:8443/x?y=1")
    assert (target.addresses, target.port, target.target) == ((PUBLIC_V6,), 8443, "/x?y=1")


def test_delivery_rechecks_the_address_so_dns_rebinding_is_refused(sqlite_settings, tmp_path,
                                                                    resolver, webhook) -> None:
    """The name resolved to a public address when the monitor was created; by the time of
    the run it resolves to loopback (where a webhook server listens): nothing is sent."""
    from core import monitor as mon

    (tmp_path / "a.py").write_text("A = 1\n")
    port = webhook.port
    resolver.answers = {"rebind.example.test": [PUBLIC_V4]}
    mid = mon.create_monitor(str(tmp_path),
                             notification_webhook=f"http://rebind.example.test:{port}/hook",
                             settings=sqlite_settings)["monitor_id"]
    resolver.answers = {"rebind.example.test": ["127.0.0.1"]}
    result = mon.run_monitor_once(mid, settings=sqlite_settings)
    assert result["added"] == ["a.py"]  # the run itself succeeds
    assert result["notification"]["sent"] is False
    assert result["notification"]["error"].startswith("refused: notification_webhook "
                                                      "rebind.example.test resolves to 127.0.0.1")
    assert webhook.requests == []


def test_internal_webhooks_are_delivered_when_allowed(configure_settings, tmp_path: Path,
                                                      webhook) -> None:
    """WEBHOOK_ALLOW_PRIVATE_NETWORKS=true: a loopback hook is accepted and the first run's
    notification arrives at the real local server."""
    from core.storage.migrate import upgrade_database

    settings = configure_settings(WEBHOOK_ALLOW_PRIVATE_NETWORKS="true")
    upgrade_database(settings.database_url, quiet=True)
    src = tmp_path / "src"
    src.mkdir()
    (src / "w.py").write_text("W = 1\n")
    response = create_app(settings).test_client().post(
        "/monitor/directory", json={"directory": str(src), "notification_webhook": webhook.url})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    job = _wait_finished(created["first_run_job_id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["notification"] == {"sent": True, "status": 204}
    [request] = webhook.requests
    assert request["content_type"] == "application/json" and request["path"] == "/hook"
    payload = request["json"]
    assert payload["event"] == "velox.monitor.changes"
    assert payload["monitor_id"] == created["monitor_id"] and payload["added"] == ["w.py"]


def test_delivery_connects_to_the_checked_address_and_follows_no_redirect(resolver,
                                                                          webhook) -> None:
    from core import monitor as mon

    port = webhook.port
    # A name this machine cannot resolve: the POST reaches the local server only because
    # the connection goes to the address the policy check resolved.
    resolver.answers = {"hooks.internal.test": ["127.0.0.1"]}
    url = f"http://hooks.internal.test:{port}/in?x=1"
    assert mon.send_webhook(url, {"n": 1})["error"].startswith("refused:")  # default: refused
    assert mon.send_webhook(url, {"n": 2}, allow_private=True) == {"sent": True, "status": 204}
    [request] = webhook.requests
    assert request["host"] == f"hooks.internal.test:{port}" and request["path"] == "/in?x=1"
    assert request["json"] == {"n": 2}

    webhook.status, webhook.location = 302, "http://169.254.169.254/latest/meta-data/"
    redirected = mon.send_webhook(url, {"n": 3}, allow_private=True)
    assert redirected == {"sent": False, "status": 302,
                          "error": "HTTP 302 (redirects are not followed)"}
    assert [r["json"] for r in webhook.requests] == [{"n": 2}, {"n": 3}]
