"""Production settings, checked in fresh processes with production environments.

The test suite itself runs in local-development mode (factcheck/settings_test.py), so
each case here starts `manage.py` or gunicorn with an environment of its own.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _env(tmp_path, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "FACTCHECK_", "DATABASE_"))
    }
    env["FACTCHECK_VAR_DIR"] = str(tmp_path)
    env.update(extra)
    return env


def _run(args, env, timeout=120):
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _manage(env, *args):
    return _run([sys.executable, "manage.py", *args], env)


def _settings(env, *names):
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: str(getattr(s, n, None)) for n in {list(names)!r}}}))"
    )
    result = _run(
        [sys.executable, "-c", code], env | {"DJANGO_SETTINGS_MODULE": "factcheck.settings"}
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_secret_key_production_refuses_to_start_and_names_it(tmp_path):
    """No DJANGO_SECRET_KEY and no development flag: a clear error, not the built-in key."""
    result = _manage(_env(tmp_path), "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr.split("ImproperlyConfigured")[-1]


@pytest.mark.parametrize("flag", ["FACTCHECK_DEV", "DJANGO_DEBUG"])
def test_local_development_works_with_no_setup(tmp_path, flag):
    """make run / make test (FACTCHECK_DEV=1) or DJANGO_DEBUG=1 use the development key."""
    result = _manage(_env(tmp_path, **{flag: "1"}), "check")
    assert result.returncode == 0, result.stderr


def test_check_deploy_passes_behind_https(tmp_path):
    """DJANGO_HTTPS=1 with a real key passes `check --deploy --fail-level WARNING`."""
    env = _env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_HTTPS="1")
    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_without_https(tmp_path):
    """Without DJANGO_HTTPS the deployment check names what is missing."""
    env = _env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS


def test_https_turns_on_hsts_redirect_secure_cookies_and_the_proxy_header(tmp_path):
    """One variable for all of it; HSTS subdomains and preload are configurable."""
    env = _env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_HTTPS="1")
    on = _settings(
        env,
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
    )
    assert on == {
        "SECURE_HSTS_SECONDS": str(365 * 24 * 3600),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "SECURE_HSTS_PRELOAD": "False",
        "SECURE_SSL_REDIRECT": "True",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_PROXY_SSL_HEADER": "('HTTP_X_FORWARDED_PROTO', 'https')",
    }
    tuned = _settings(
        env | {"DJANGO_HSTS_INCLUDE_SUBDOMAINS": "0", "DJANGO_HSTS_SECONDS": "3600"},
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_SECONDS",
    )
    assert tuned == {"SECURE_HSTS_INCLUDE_SUBDOMAINS": "False", "SECURE_HSTS_SECONDS": "3600"}
    off = _settings(
        _env(tmp_path, FACTCHECK_DEV="1"), "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE"
    )
    assert off == {"SECURE_SSL_REDIRECT": "False", "SESSION_COOKIE_SECURE": "False"}


def test_production_serves_collected_compressed_static_files(tmp_path):
    """Production: hashed, compressed files from collectstatic; development: the app dirs."""
    prod = _settings(
        _env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50)),
        "STORAGES",
        "WHITENOISE_USE_FINDERS",
    )
    assert "CompressedManifestStaticFilesStorage" in prod["STORAGES"]
    assert prod["WHITENOISE_USE_FINDERS"] == "False"
    dev = _settings(_env(tmp_path, FACTCHECK_DEV="1"), "STORAGES", "WHITENOISE_USE_FINDERS")
    assert "CompressedManifest" not in dev["STORAGES"]
    assert dev["WHITENOISE_USE_FINDERS"] == "True"


def test_postgresql_fails_fast_and_pools_one_connection_per_thread(tmp_path):
    """connect_timeout and the pool's wait are a few seconds; the pool fits the threads."""
    env = _env(
        tmp_path,
        FACTCHECK_DEV="1",
        DATABASE_URL="postgres://u@127.0.0.1:1/x",
        DATABASE_POOL_MAX_SIZE="6",
    )
    options = _settings(env, "DATABASES")["DATABASES"]
    assert "'connect_timeout': 3" in options
    assert "'pool': {'min_size': 2, 'max_size': 6, 'timeout': 3}" in options


def test_gunicorn_refuses_to_start_without_a_secret_key(tmp_path):
    """The production server names the missing variable and exits before serving."""
    result = _run(
        [str(GUNICORN), "-c", "factcheck/gunicorn.conf.py", "--check-config"], _env(tmp_path)
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr + result.stdout


def test_gunicorn_config_loads_and_sizes_the_pool_to_its_threads(tmp_path):
    """With a key the configuration is valid; gthread workers; pool size = threads."""
    env = _env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), THREADS="3", WORKERS="2")
    code = (
        "import runpy, os, json; c = runpy.run_path('factcheck/gunicorn.conf.py'); "
        "print(json.dumps([c['workers'], c['threads'], c['worker_class'], c['bind'], "
        "os.environ['DATABASE_POOL_MAX_SIZE'], c['timeout'], c['graceful_timeout'], "
        "c['accesslog']]))"
    )
    result = _run([sys.executable, "-c", code], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [2, 3, "gthread", ["127.0.0.1:8000"], "3", 30, 60, "-"]
    check = _run([str(GUNICORN), "-c", "factcheck/gunicorn.conf.py", "--check-config"], env)
    assert check.returncode == 0, check.stderr


def test_make_serve_refuses_without_a_secret_key(tmp_path):
    """`make serve` stops before migrating, naming DJANGO_SECRET_KEY."""
    result = _run(["make", "--no-print-directory", "-s", "serve"], _env(tmp_path))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_the_lock_pins_every_dependency_of_pyproject_with_hashes():
    """requirements/lock.txt has each pin of pyproject.toml (and test extra), hashed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = project["dependencies"] + project["optional-dependencies"]["test"]
    lock = (ROOT / "requirements" / "lock.txt").read_text()
    locked = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==([^\s;\\]+)", lock, re.M))
    for pin in pins:
        name, version = re.match(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(\S+)", pin).groups()
        assert locked.get(name.lower().replace("_", "-")) == version, f"{pin} is not in the lock"
    entries = re.split(r"\n(?=[a-z0-9])", lock.split("\n", 2)[2].strip())
    assert all("--hash=sha256:" in entry for entry in entries)
