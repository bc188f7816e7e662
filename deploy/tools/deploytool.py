#!/usr/bin/env python3
"""Helpers of `make deploy-check` (scripts/deploy_check.sh) and of editing deploy/.

    deploytool.py rules-write            PrometheusRule -> deploy/prometheus/rules/arkiv5.rules.yaml
    deploytool.py rules-check            ... and fail if that file is stale
    deploytool.py dashboards-write       write the Grafana dashboards (deploy/k8s/base/monitoring/dashboards)
    deploytool.py dashboards-check       ... and fail if a committed dashboard differs
    deploytool.py promql-rules OUT       every dashboard expression as a recording rule (for promtool)
    deploytool.py alerts-tested          fail unless every alert has a promtool unit test
    deploytool.py crds RENDERED...       validate the custom resources kubernetes-validate has no schema for,
                                         and the services' wiring in each rendered overlay's ConfigMaps
    deploytool.py compose                structural check of deploy/compose.yaml (files, images, ports, wiring)
    deploytool.py topics TOPICS_JSON     KafkaTopic objects == the contracts' topic registry
    deploytool.py settings-documented SETTINGS_JSON DOC   every setting of every service is in DOC

Needs PyYAML and jsonschema (both come with the deploy tools' venv).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent
BASE = DEPLOY / "k8s" / "base"
PROMETHEUS_RULE = BASE / "monitoring" / "prometheusrule.yaml"
PLAIN_RULES = DEPLOY / "prometheus" / "rules" / "arkiv5.rules.yaml"
RULE_TESTS = DEPLOY / "prometheus" / "tests" / "arkiv5.rules.test.yaml"
DASHBOARDS = BASE / "monitoring" / "dashboards"
TOPICS_FILE = BASE / "kafka" / "topics.yaml"
COMPOSE = DEPLOY / "compose.yaml"

SERVICES = ["journal", "access", "conversion", "svarut-gateway", "intake"]


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


# --- rules -------------------------------------------------------------------------------

def plain_rules_text() -> str:
    spec = yaml.safe_load(PROMETHEUS_RULE.read_text())["spec"]
    header = (
        "# GENERATED from deploy/k8s/base/monitoring/prometheusrule.yaml by\n"
        "# `python deploy/tools/deploytool.py rules-write`; edit that file, not this one.\n"
    )
    return header + yaml.safe_dump(spec, sort_keys=False, width=1000, allow_unicode=True)


def rules_write() -> None:
    PLAIN_RULES.parent.mkdir(parents=True, exist_ok=True)
    PLAIN_RULES.write_text(plain_rules_text())
    print(f"wrote {PLAIN_RULES.relative_to(DEPLOY.parent)}")


def rules_check() -> None:
    if not PLAIN_RULES.exists() or PLAIN_RULES.read_text() != plain_rules_text():
        fail(f"{PLAIN_RULES.relative_to(DEPLOY.parent)} is stale: run `python deploy/tools/deploytool.py rules-write`")
    print("plain rules file matches the PrometheusRule")


def alerts_tested() -> None:
    spec = yaml.safe_load(PROMETHEUS_RULE.read_text())["spec"]
    alerts = {r["alert"] for g in spec["groups"] for r in g["rules"] if "alert" in r}
    for g in spec["groups"]:
        for r in g["rules"]:
            if "alert" in r and not r.get("annotations", {}).get("runbook"):
                fail(f"alert {r['alert']} has no runbook annotation")
    tests = yaml.safe_load(RULE_TESTS.read_text())
    tested: dict[str, int] = {}
    for t in tests["tests"]:
        for a in t.get("alert_rule_test", []):
            if a.get("exp_alerts"):
                tested[a["alertname"]] = tested.get(a["alertname"], 0) + 1
    missing = sorted(alerts - set(tested))
    if missing:
        fail(f"alerts without a firing unit test: {', '.join(missing)}")
    print(f"every alert ({len(alerts)}) has a runbook and a firing unit test")


# --- dashboards ----------------------------------------------------------------------------

DS = {"type": "prometheus", "uid": "${datasource}"}


class Board:
    def __init__(self, uid: str, title: str, description: str) -> None:
        self.uid, self.title, self.description = uid, title, description
        self.panels: list[dict] = []
        self.y = 0
        self.x = 0
        self.next_id = 1

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y = 0, self.y + 8
        self.panels.append({"id": self.next_id, "type": "row", "title": title, "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.next_id += 1
        self.y += 1

    def panel(self, title: str, targets: list[tuple[str, str]], *, unit: str = "short",
              kind: str = "timeseries", description: str = "", width: int = 12,
              stack: bool = False) -> None:
        if self.x + width > 24:
            self.x, self.y = 0, self.y + 8
        panel: dict = {
            "id": self.next_id, "type": kind, "title": title, "description": description,
            "datasource": DS,
            "gridPos": {"h": 8, "w": width, "x": self.x, "y": self.y},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}},
            "targets": [
                {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend,
                 "range": kind != "table", "instant": kind == "table"}
                for i, (expr, legend) in enumerate(targets)
            ],
        }
        if kind == "timeseries":
            panel["fieldConfig"]["defaults"]["custom"] = {
                "drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                "stacking": {"mode": "normal" if stack else "none", "group": "A"},
            }
        if kind in ("stat", "table"):
            panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
            if kind == "table":
                panel["options"] = {"showHeader": True}
        self.panels.append(panel)
        self.next_id += 1
        self.x += width
        if self.x >= 24:
            self.x, self.y = 0, self.y + 8

    def json(self) -> dict:
        return {
            "uid": self.uid, "title": self.title, "description": self.description,
            "tags": ["arkiv5"], "timezone": "browser", "editable": True, "graphTooltip": 1,
            "schemaVersion": 39, "version": 1, "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "annotations": {"list": []},
            "links": [{"type": "dashboards", "tags": ["arkiv5"], "title": "Arkiv5", "asDropdown": True}],
            "templating": {"list": [{
                "name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
                "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": [],
            }]},
            "panels": self.panels,
        }


def http_panels(b: Board, sel: str, by: str) -> None:
    count = f"http_server_request_duration_seconds_count{{{sel}}}"
    five = f'http_server_request_duration_seconds_count{{{sel},http_response_status_code=~"5.."}}'
    bucket = f"http_server_request_duration_seconds_bucket{{{sel}}}"
    b.row("HTTP")
    b.panel("Requests per second", [(f"sum by ({by}) (rate({count}[$__rate_interval]))", f"{{{{{by}}}}}")],
            unit="reqps", stack=True)
    b.panel("5xx share", [(
        f"sum by (service) (rate({five}[$__rate_interval])) / sum by (service) (rate({count}[$__rate_interval]))",
        "{{service}}")], unit="percentunit", description="Alert Arkiv5High5xxRate above 5 % for 10 minutes.")
    b.panel("Latency p50 / p95 / p99", [
        (f"histogram_quantile({q}, sum by (le) (rate({bucket}[$__rate_interval])))", f"p{int(q * 100)}")
        for q in (0.5, 0.95, 0.99)], unit="s")
    b.panel("Latency p95 by route", [(
        f"histogram_quantile(0.95, sum by (le, http_route) (rate({bucket}[$__rate_interval])))",
        "{{http_route}}")], unit="s")
    b.panel("Responses by status code", [(
        f"sum by (http_response_status_code) (rate({count}[$__rate_interval]))",
        "{{http_response_status_code}}")], unit="reqps", stack=True)


def event_panels(b: Board, sel: str) -> None:
    b.row("Events (outbox, relay, consumers)")
    b.panel("Published per second by topic", [(
        f"sum by (topic) (rate(arkiv5_events_published_total{{{sel}}}[$__rate_interval]))", "{{topic}}")],
        unit="ops", stack=True)
    b.panel("Consumed per second by outcome", [(
        f"sum by (consumer, outcome) (rate(arkiv5_events_consumed_total{{{sel}}}[$__rate_interval]))",
        "{{consumer}} {{outcome}}")], unit="ops", stack=True)
    b.panel("Outbox backlog", [(f"sum by (service) (arkiv5_outbox_backlog{{{sel}}})", "{{service}}")])
    b.panel("Oldest unpublished event", [(
        f"max by (service) (arkiv5_outbox_oldest_age_seconds{{{sel}}})", "{{service}}")], unit="s",
        description="Alert Arkiv5OutboxBacklogOld above 5 minutes.")
    b.panel("Consumer lag", [(
        f"sum by (consumer, topic) (arkiv5_consumer_lag{{{sel}}})", "{{consumer}} {{topic}}")],
        description="Alert Arkiv5ConsumerLagHigh above 1000 for 15 minutes.")
    b.panel("Retries, dead letters, relay failures", [
        (f"sum by (consumer, topic) (increase(arkiv5_events_retried_total{{{sel}}}[$__rate_interval]))",
         "retried {{consumer}} {{topic}}"),
        (f"sum by (consumer, topic) (increase(arkiv5_events_dead_lettered_total{{{sel}}}[$__rate_interval]))",
         "dead-lettered {{consumer}} {{topic}}"),
        (f"sum by (service) (increase(arkiv5_outbox_relay_failures_total{{{sel}}}[$__rate_interval]))",
         "relay failures {{service}}"),
    ])


def process_panels(b: Board, service: str) -> None:
    b.row("Process")
    b.panel("Memory (resident)", [(f'process_resident_memory_bytes{{job="{service}"}}', "{{instance}}")],
            unit="bytes")
    b.panel("CPU", [(f'rate(process_cpu_seconds_total{{job="{service}"}}[$__rate_interval])', "{{instance}}")],
            unit="percentunit")
    b.panel("Scrape up", [(f'up{{job="{service}"}}', "{{instance}}")], width=12)
    b.panel("Version", [(f'count by (version) (arkiv5_build_info{{service="{service}"}})', "{{version}}")],
            kind="stat", width=12)


def service_board(service: str) -> Board:
    b = Board(f"arkiv5-{service}", f"Arkiv5 / {service}", f"The {service} service: HTTP, events, process.")
    sel = f'service="{service}"'
    http_panels(b, sel, "http_route")
    event_panels(b, sel)
    if service == "conversion":
        b.row("Conversion")
        b.panel("Conversion jobs by outcome", [(
            f"sum by (outcome) (increase(arkiv5_conversion_jobs_total{{{sel}}}[$__rate_interval]))", "{{outcome}}")],
            stack=True)
        b.panel("Failed jobs by source format", [(
            f'sum by (format) (increase(arkiv5_conversion_jobs_total{{{sel},outcome="failed"}}[$__rate_interval]))',
            "{{format}}")], stack=True)
        b.panel("On the morning report (failed last night)", [(
            f"max(arkiv5_conversion_failed_last_night{{{sel}}})", "failed")], kind="stat",
            description="Alert Arkiv5ConversionFailedLastNight above 0.")
        b.panel("Engines available", [(
            f"min by (engine) (arkiv5_conversion_engine_available{{{sel}}})", "{{engine}}")], kind="stat",
            description="1 = installed and usable. Alert Arkiv5ConversionEngineMissing on 0 for 10 minutes.")
        b.panel("Conversion time p50 / p95 by format", [
            (f"histogram_quantile({q}, sum by (le, format) "
             f"(rate(arkiv5_conversion_duration_seconds_bucket{{{sel}}}[$__rate_interval])))",
             f"p{int(q * 100)} {{{{format}}}}") for q in (0.5, 0.95)], unit="s", width=24)
    if service == "svarut-gateway":
        b.row("Dispatch (SvarUt)")
        b.panel("Letters by outcome", [(
            f"sum by (outcome) (increase(arkiv5_svarut_dispatches_total{{{sel}}}[$__rate_interval]))",
            "{{outcome}}")], stack=True,
            description="accepted by SvarUt, rejected by the gateway, completed (a terminal SvarUt status). "
                        "Alert Arkiv5DispatchFailures on any rejected letter.")
        b.panel("Rejected letters, last 24 hours", [(
            f'sum(increase(arkiv5_svarut_dispatches_total{{{sel},outcome="rejected"}}[24h]))', "rejected")],
            kind="stat")
        b.panel("SvarUt calls by operation and outcome", [(
            f"sum by (operation, outcome) (rate(arkiv5_svarut_calls_total{{{sel}}}[$__rate_interval]))",
            "{{operation}} {{outcome}}")], unit="ops", stack=True,
            description="Alert Arkiv5SvarUtCallsFailing when most calls of an operation fail for 15 minutes.")
        b.panel("Failing SvarUt calls share", [(
            f'sum by (operation) (rate(arkiv5_svarut_calls_total{{{sel},outcome=~"failed|not_sent|ambiguous"}}[$__rate_interval]))'
            f" / sum by (operation) (rate(arkiv5_svarut_calls_total{{{sel}}}[$__rate_interval]))",
            "{{operation}}")], unit="percentunit")
    process_panels(b, service)
    return b


def overview_board() -> Board:
    b = Board("arkiv5-overview", "Arkiv5 / overview", "All five services at a glance; click through to each service.")
    sel = 'service=~"journal|access|conversion|svarut-gateway|intake"'
    b.row("Health")
    b.panel("Targets up", [('sum by (job) (up{job=~"journal|access|conversion|svarut-gateway|intake"})', "{{job}}")],
            kind="stat", width=12)
    b.panel("Firing alerts", [('sum by (alertname) (ALERTS{alertname=~"Arkiv5.*",alertstate="firing"})',
                               "{{alertname}}")], kind="stat", width=12)
    http_panels(b, sel, "service")
    b.row("Events")
    b.panel("Oldest unpublished event by service", [(
        f"max by (service) (arkiv5_outbox_oldest_age_seconds{{{sel}}})", "{{service}}")], unit="s")
    b.panel("Consumer lag by service", [(f"sum by (service) (arkiv5_consumer_lag{{{sel}}})", "{{service}}")])
    b.panel("Events published per second", [(
        f"sum by (service) (rate(arkiv5_events_published_total{{{sel}}}[$__rate_interval]))", "{{service}}")],
        unit="ops", stack=True)
    b.panel("Dead letters, last 24 hours", [(
        f"sum by (service, topic) (increase(arkiv5_events_dead_lettered_total{{{sel}}}[24h]))",
        "{{service}} {{topic}}")], kind="stat")
    b.row("Business")
    b.panel("Failed conversions last night (morning report)", [(
        'max(arkiv5_conversion_failed_last_night{service="conversion"})', "failed")], kind="stat")
    b.panel("Letters by outcome, last 24 hours", [(
        'sum by (outcome) (increase(arkiv5_svarut_dispatches_total{service="svarut-gateway"}[24h]))',
        "{{outcome}}")], kind="stat")
    b.panel("Versions", [("count by (service, version) (arkiv5_build_info)", "{{service}} {{version}}")],
            kind="table", width=24)
    return b


def dashboards() -> dict[str, str]:
    boards = {"overview": overview_board(), **{s: service_board(s) for s in SERVICES}}
    return {f"arkiv5-{name}.json": json.dumps(b.json(), indent=2, ensure_ascii=False) + "\n"
            for name, b in boards.items()}


def dashboards_write() -> None:
    DASHBOARDS.mkdir(parents=True, exist_ok=True)
    for name, text in dashboards().items():
        (DASHBOARDS / name).write_text(text)
        print(f"wrote {(DASHBOARDS / name).relative_to(DEPLOY.parent)}")


def dashboards_check() -> None:
    wanted = dashboards()
    present = {p.name for p in DASHBOARDS.glob("*.json")}
    if present != set(wanted):
        fail(f"dashboards differ: have {sorted(present)}, generator makes {sorted(wanted)}")
    for name, text in wanted.items():
        if (DASHBOARDS / name).read_text() != text:
            fail(f"{name} is stale: run `python deploy/tools/deploytool.py dashboards-write`")
    print(f"{len(wanted)} dashboards match their generator")


GRAFANA_VARS = [
    (re.compile(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}"), "5m"),
    (re.compile(r"\$\{?__[a-z_]+\}?"), "300"),
    (re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}?"), "x"),
]


def dashboard_expressions() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expression) of every query in every committed dashboard."""
    found = []

    def walk(file: str, panels: list[dict]) -> None:
        for panel in panels:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    found.append((file, panel.get("title", ""), target["expr"]))
            walk(file, panel.get("panels", []))

    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        walk(path.name, board.get("panels", []))
        for var in board.get("templating", {}).get("list", []):
            if var.get("type") == "query":
                query = var.get("query")
                query = query.get("query", "") if isinstance(query, dict) else query or ""
                m = re.fullmatch(r"\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*", query)
                if m:
                    query = m.group(1)
                elif re.fullmatch(r"\s*label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*", query):
                    continue
                if query:
                    found.append((path.name, f"variable {var.get('name')}", query))
    return found


def promql_rules(out: str) -> None:
    rules = []
    for i, (file, title, expr) in enumerate(dashboard_expressions()):
        for pattern, replacement in GRAFANA_VARS:
            expr = pattern.sub(replacement, expr)
        board = re.sub(r"[^A-Za-z0-9]", "_", file.removesuffix(".json"))
        rules.append({"record": f"{board}:expr_{i:04d}", "expr": expr,
                      "labels": {"dashboard": file, "panel": title}})
    if not rules:
        fail("no dashboard expressions found")
    Path(out).write_text(yaml.safe_dump({"groups": [{"name": "dashboard-expressions", "rules": rules}]},
                                        sort_keys=False, width=1000))
    print(f"{len(rules)} dashboard expressions -> {out}")


# --- custom resources ------------------------------------------------------------------------

def crd_schemas() -> dict[tuple[str, str], dict]:
    schemas = {}
    for path in sorted((DEPLOY / "k8s" / "crd-schemas").glob("*.json")):
        schema = json.loads(path.read_text())
        schemas[(schema["x-apiVersion"], schema["x-kind"])] = schema
    return schemas


def crds(files: list[str]) -> None:
    import jsonschema

    schemas = crd_schemas()
    known_builtin_groups = ("v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2",
                            "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1")
    checked = 0
    for file in files:
        docs = [d for d in yaml.safe_load_all(Path(file).read_text()) if d]
        rendered_wiring(file, docs)
        single_sender(file, docs)
        data_services(file, docs)
        for doc in docs:
            key = (doc.get("apiVersion"), doc.get("kind"))
            if key[0] in known_builtin_groups:
                continue
            schema = schemas.get(key)
            if schema is None:
                fail(f"{file}: {key[1]} {key[0]} has no schema in deploy/k8s/crd-schemas")
            errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: e.path)
            if errors:
                for e in errors:
                    print(f"{file}: {key[1]}/{doc['metadata'].get('name')}: {'/'.join(map(str, e.path))}: {e.message}",
                          file=sys.stderr)
                fail("custom resources do not match their schemas")
            checked += 1
    print(f"{checked} custom resources match deploy/k8s/crd-schemas")


# --- wiring ------------------------------------------------------------------------------------

PREFIXES = {"journal": "JOURNAL_", "access": "ACCESS_", "conversion": "CONVERSION_",
            "svarut-gateway": "SVARUT_GATEWAY_", "intake": "INTAKE_"}
DEFAULT_ISSUER = "https://access.arkiv5.local"  # AccessSettings.issuer's default


def wiring(where: str, env: dict[str, dict[str, str]], access_url: str) -> None:
    """How the services find each other, as the suite wires them (suite/src/arkiv5_suite/app.py):
    every verifier trusts access's issuer and JWKS, conversion and the gateway reach the journal,
    and the demo municipality is never seeded in production."""
    problems = []
    access = env.get("access", {})
    issuer = access.get("ACCESS_ISSUER", DEFAULT_ISSUER)
    for svc in ("journal", "conversion", "svarut-gateway", "intake"):
        p, e = PREFIXES[svc], env.get(svc, {})
        if e.get(f"{p}TOKEN_ISSUER") != issuer:
            problems.append(f"{p}TOKEN_ISSUER={e.get(f'{p}TOKEN_ISSUER')!r} but ACCESS_ISSUER={issuer!r}")
        if e.get(f"{p}JWKS_URL") != f"{access_url}/.well-known/jwks.json":
            problems.append(f"{p}JWKS_URL={e.get(f'{p}JWKS_URL')!r}")
        if e.get(f"{p}TOKEN_URL") != f"{access_url}/oauth2/token":
            problems.append(f"{p}TOKEN_URL={e.get(f'{p}TOKEN_URL')!r}")
        if e.get(f"{p}CLIENT_ID") != svc:
            problems.append(f"{p}CLIENT_ID={e.get(f'{p}CLIENT_ID')!r} (the seeded/registered client is {svc!r})")
    if not env.get("conversion", {}).get("CONVERSION_JOURNAL_URL", "").startswith("http://journal:"):
        problems.append("CONVERSION_JOURNAL_URL does not point at the journal")
    gateway = env.get("svarut-gateway", {})
    for key, target in (("JOURNAL_BASE_URL", "journal"), ("CONVERSION_BASE_URL", "conversion")):
        if not gateway.get(f"SVARUT_GATEWAY_{key}", "").startswith(f"http://{target}:"):
            problems.append(f"SVARUT_GATEWAY_{key} does not point at {target}")
    if not env.get("intake", {}).get("INTAKE_JOURNAL_BASE_URL", "").startswith("http://journal:"):
        problems.append("INTAKE_JOURNAL_BASE_URL does not point at the journal")
    production = access.get("ACCESS_ENVIRONMENT", "development") == "production"
    for key in ("ACCESS_SEED_DEMO", "ACCESS_PASSWORD_GRANT_ENABLED"):
        if production and str(access.get(key, "false")).lower() == "true":
            problems.append(f"{key}=true in production")
    if production and "svarut-simulator" in gateway.get("SVARUT_GATEWAY_SVARUT_BASE_URL", ""):
        problems.append("the production gateway points at the simulator")
    if problems:
        fail(f"{where}: services wired wrong: " + "; ".join(problems))


def rendered_wiring(file: str, docs: list[dict]) -> None:
    env: dict[str, dict[str, str]] = {}
    for doc in docs:
        if doc.get("kind") != "ConfigMap":
            continue
        name = doc["metadata"]["name"]
        for svc in SERVICES:
            if re.fullmatch(rf"{re.escape(svc)}-config(-[a-z0-9]+)?", name):
                env[svc] = {k: str(v) for k, v in (doc.get("data") or {}).items()}
    if set(env) != set(SERVICES):
        fail(f"{file}: ConfigMaps of {sorted(set(SERVICES) - set(env))} missing")
    wiring(file, env, "http://access:8000")
    print(f"{file}: services wired consistently (issuer {env['access'].get('ACCESS_ISSUER', DEFAULT_ISSUER)})")


SINGLE_INSTANCE = {
    # one sender per database (docs/svarut-gateway.md, "Never twice, never lost")
    "svarut-gateway": "one sender per database",
    # one mailbox poller (base/intake/deployment.yaml)
    "intake": "one mailbox poller",
}


def single_sender(file: str, docs: list[dict]) -> None:
    """The gateway and intake run as exactly one pod each, also during a rollout."""
    for name, why in SINGLE_INSTANCE.items():
        found = [d for d in docs if d.get("kind") == "Deployment" and d["metadata"]["name"] == name]
        if len(found) != 1:
            fail(f"{file}: expected one {name} Deployment, found {len(found)}")
        spec = found[0]["spec"]
        if spec.get("replicas") != 1:
            fail(f"{file}: {name} has replicas={spec.get('replicas')}; {why}")
        if (spec.get("strategy") or {}).get("type") != "Recreate":
            fail(f"{file}: {name} must roll out with strategy Recreate (never two at once: {why})")
        for d in docs:
            if d.get("kind") == "HorizontalPodAutoscaler" and d["spec"]["scaleTargetRef"]["name"] == name:
                fail(f"{file}: an HPA scales {name}; it must stay at one replica ({why})")
        print(f"{file}: {name} is single ({why}: 1 replica, Recreate, no HPA)")


def data_services(file: str, docs: list[dict]) -> None:
    """Each service's database exists on the PostgreSQL cluster, owned by a role of its own that
    the cluster manages with the password the service's DATABASE_URL carries (same Secret), and
    the services' Kafka bootstrap is the Strimzi cluster's."""
    clusters = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Cluster"
                and d.get("apiVersion", "").startswith("postgresql.cnpg.io/")}
    databases = {d["spec"]["name"]: d for d in docs if d.get("kind") == "Database"
                 and d.get("apiVersion", "").startswith("postgresql.cnpg.io/")}
    kafkas = {d["metadata"]["name"] for d in docs if d.get("kind") == "Kafka"}
    problems = []
    # An overlay may use an external PostgreSQL or Kafka instead (docs/operations.md, "Data
    # services"): then it carries no Cluster / Kafka, and only the services' settings are checked.
    if len(clusters) > 1:
        problems.append(f"expected one CloudNativePG Cluster, found {sorted(clusters)}")
    elif clusters:
        (cluster_name, cluster), = clusters.items()
        roles = {r["name"]: r for r in (cluster["spec"].get("managed") or {}).get("roles", [])}
        for svc in SERVICES:
            db = svc.replace("-", "_")
            database = databases.get(db)
            if database is None:
                problems.append(f"no Database {db!r} for {svc}")
                continue
            if database["spec"]["cluster"]["name"] != cluster_name:
                problems.append(f"Database {db!r} is not on cluster {cluster_name!r}")
            owner = database["spec"].get("owner")
            if owner not in roles:
                problems.append(f"Database {db!r} is owned by {owner!r}, which the cluster does not manage")
    if kafkas and "arkiv5" not in kafkas:
        problems.append("the Strimzi Kafka is not named 'arkiv5' (the KafkaTopics' strimzi.io/cluster)")
    for d in docs if kafkas else []:
        if d.get("kind") == "ConfigMap":
            for key, value in (d.get("data") or {}).items():
                if key.endswith("_KAFKA_BOOTSTRAP_SERVERS") and not str(value).startswith("arkiv5-kafka-bootstrap:"):
                    problems.append(f"{key}={value!r} is not the Strimzi cluster's bootstrap service")
    if problems:
        fail(f"{file}: data services: " + "; ".join(problems))
    print(f"{file}: PostgreSQL {sorted(clusters) or 'external'} (a database and role per service), "
          f"Kafka {sorted(kafkas) or 'external'}")


# --- compose ---------------------------------------------------------------------------------

def compose() -> None:
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc.get("services") or fail("compose.yaml has no services")
    base = COMPOSE.parent
    dockerfile_text = None
    published: dict[str, str] = {}
    for name, svc in services.items():
        if "image" not in svc and "build" not in svc:
            fail(f"compose service {name} has neither image nor build")
        build = svc.get("build")
        if isinstance(build, dict):
            context = (base / build.get("context", ".")).resolve()
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            if not dockerfile.is_file():
                fail(f"compose service {name}: no Dockerfile {dockerfile}")
            dockerfile_text = dockerfile.read_text()
            target = build.get("target")
            if target and not re.search(rf"^FROM\s+\S+\s+AS\s+{re.escape(target)}\s*$", dockerfile_text, re.M | re.I):
                fail(f"compose service {name}: Dockerfile has no target {target}")
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")) and not (base / source).exists():
                fail(f"compose service {name}: mounted path {source} does not exist")
        for dep in (svc.get("depends_on") or {}):
            if dep not in services:
                fail(f"compose service {name} depends on unknown service {dep}")
        for port in svc.get("ports", []):
            host = str(port).rsplit(":", 1)[0]
            if host in published:
                fail(f"compose: host port {host} published by {published[host]} and {name}")
            published[host] = name
        for key in (svc.get("environment") or {}):
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", str(key)):
                fail(f"compose service {name}: odd environment variable name {key}")
    wiring("compose.yaml", {svc: {k: str(v) for k, v in (services[svc].get("environment") or {}).items()}
                            for svc in SERVICES}, "http://access:8000")
    print(f"compose.yaml: {len(services)} services, every build target and mounted file exists, wired consistently")


# --- topics ------------------------------------------------------------------------------------

def topics(topics_json: str) -> None:
    registry = json.loads(Path(topics_json).read_text())  # {topic: partitions}
    wanted = {}
    for topic, partitions in registry.items():
        wanted[topic] = partitions
        wanted[topic + ".dlt"] = 1
    declared = {d["spec"]["topicName"]: d["spec"]["partitions"]
                for d in yaml.safe_load_all(TOPICS_FILE.read_text()) if d}
    if declared != wanted:
        missing = sorted(set(wanted) - set(declared))
        extra = sorted(set(declared) - set(wanted))
        differ = sorted(t for t in set(wanted) & set(declared) if wanted[t] != declared[t])
        fail(f"KafkaTopics differ from the contracts: missing {missing}, extra {extra}, partitions differ {differ}")
    print(f"{len(declared)} KafkaTopics match the contracts' topic registry (with .dlt)")


def settings_documented(settings_json: str, doc_path: str) -> None:
    """Common settings as `<P>_NAME` in the reference table, service-specific ones by full name."""
    settings = json.loads(Path(settings_json).read_text())  # {prefix: {common: [...], own: [...]}}
    doc = Path(doc_path).read_text()
    missing = []
    for prefix, fields in settings.items():
        if f"`{prefix}`" not in doc:
            missing.append(f"prefix {prefix}")
        for name in fields["common"]:
            if f"`<P>_{name.upper()}`" not in doc:
                missing.append(f"<P>_{name.upper()}")
        for name in fields["own"]:
            if f"`{prefix}{name.upper()}`" not in doc:
                missing.append(f"{prefix}{name.upper()}")
    if missing:
        fail(f"{doc_path} does not document: {', '.join(sorted(set(missing)))}")
    total = sum(len(f["common"]) + len(f["own"]) for f in settings.values())
    print(f"{doc_path} documents all {total} settings of {len(settings)} services")


def main(argv: list[str]) -> None:
    if not argv:
        fail(__doc__ or "")
    command, args = argv[0], argv[1:]
    commands = {
        "rules-write": rules_write, "rules-check": rules_check, "alerts-tested": alerts_tested,
        "dashboards-write": dashboards_write, "dashboards-check": dashboards_check,
        "compose": compose,
    }
    if command in commands:
        commands[command]()
    elif command == "promql-rules":
        promql_rules(args[0])
    elif command == "crds":
        crds(args)
    elif command == "topics":
        topics(args[0])
    elif command == "settings-documented":
        settings_documented(args[0], args[1])
    else:
        fail(f"unknown command {command}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
