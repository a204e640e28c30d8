"""What a real AWS account would refuse or leave silent in template.yaml, which the linters and
moto cannot tell: one named assertion per item of issue 20, each citing the AWS page it follows.
Run by scripts/test (infra lint step):  .venv-infra/bin/python tools/template_check.py
`--root DIR` checks another checkout (e.g. an older commit, to see the assertions fail).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shlex
import sys
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cfn_model as m  # noqa: E402
from reload_config_check import check_reload_config  # noqa: E402

FUNCTIONS = ["SellsyPullFunction", "MapperFunction", "LedgerSinkFunction", "MailInboundFunction", "SyncWebhookFunction", "ConsoleFunction"]
# Which credentials each function may read (HELPERS.md, "Cloud secret names"; docs/iam.md).
SECRET_USES = {
    "SellsyPullFunction": {"source"}, "MapperFunction": {"source"}, "LedgerSinkFunction": {"ledger"},
    "SyncWebhookFunction": {"webhook"}, "MailInboundFunction": set(), "ConsoleFunction": set(),
}
KMS_KEY = f"arn:aws:kms:{m.REGION}:{m.ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class Checkout:
    def __init__(self, root: Path):
        self.root = root
        self.sam = m.load_sam(root / "template.yaml")
        self.cfn = m.transform(self.sam)
        self.readme = (root / "README.md").read_text()
        self.samconfig = tomllib.loads((root / "samconfig.toml").read_text())

    def stack(self, name: str = "passerelle-staging", **params) -> m.Stack:
        return m.Stack(self.cfn, name, params)

    def deploy_section(self) -> str:
        match = re.search(r"^## Deploy to AWS$(.*?)^## ", self.readme, re.S | re.M)
        return match.group(1) if match else ""

    def environments(self) -> dict[str, tuple[str, dict]]:
        """samconfig.toml's environments: (stack name, parameter overrides)."""
        out = {}
        for env, commands in self.samconfig.items():
            if not isinstance(commands, dict):
                continue
            name = commands.get("global", {}).get("parameters", {}).get("stack_name")
            overrides = commands.get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
            params = dict(item.split("=", 1) for item in shlex.split(overrides))
            if name:
                out[env] = (name, params)
        return out


def allowed(stack: m.Stack, function: str, action: str, resource: str, context: dict | None = None) -> bool:
    return bool(m.allowing(stack.statements(stack.role_of(function)), action, resource, context or {}))


# ------------------------------------------------------------------ 1
def alarm_topic_customer_managed_key(c: Checkout) -> list[str]:
    """SNS developer guide, "Enable compatibility between event sources from AWS services and
    encrypted topics": CloudWatch needs kms:GenerateDataKey* and kms:Decrypt in the key policy of
    a customer managed key (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)."""
    s = c.stack()
    problems = []
    topics = [k for k, r in s.resources.items() if r["Type"] == "AWS::SNS::Topic"]
    for topic in topics:
        key_ref = s.resources[topic].get("Properties", {}).get("KmsMasterKeyId")
        key = key_ref.get("Ref") if isinstance(key_ref, dict) else None
        if key not in s.resources or s.resources[key]["Type"] != "AWS::KMS::Key":
            problems.append(f"{topic}: KmsMasterKeyId is {key_ref!r}, not a customer managed AWS::KMS::Key of the stack")
            continue
        props = s.props(key)
        if props.get("EnableKeyRotation") is not True:
            problems.append(f"{key}: EnableKeyRotation is not true")
        cw = [m.Statement(st, key, False) for st in props["KeyPolicy"]["Statement"]
              if "cloudwatch.amazonaws.com" in m.as_list(st.get("Principal", {}).get("Service", []))]
        for action in ("kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt"):
            if not any(st.doc.get("Effect") == "Allow" and st.matches_action(action) for st in cw):
                problems.append(f"{key}: the key policy does not let cloudwatch.amazonaws.com call {action}")
    return problems or ([] if topics else ["no SNS topic for the alarms"])


# ------------------------------------------------------------------ 2
def two_stacks_coexist(c: Checkout) -> list[str]:
    """Every physical name of samconfig.toml's environments is distinct (same account and
    region), and no Secrets Manager name blocks re-creating a stack (a deleted secret's name is
    taken for its recovery window: https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_delete-secret.html).
    SES: one active receipt rule set per account and region; the stack can add its rule to a
    shared set (SharedReceiptRuleSet) and the README says how."""
    envs = c.environments()
    problems = [] if len(envs) >= 2 else [f"samconfig.toml has {len(envs)} environment(s), expected staging and prod"]
    layouts = {"own rule sets": {}, "one shared rule set": {"SharedReceiptRuleSet": "passerelle-shared"}}
    for layout, extra in layouts.items():
        seen: dict[tuple[str, str], str] = {}
        for env, (name, params) in envs.items():
            s = c.stack(name, **params, **extra)
            for logical, resource in s.resources.items():
                kind = resource["Type"]
                if kind not in m.NAME_PROPERTIES and kind not in m.UNNAMED_TYPES:
                    problems.append(f"{logical}: type {kind} is not in tools/cfn_model.py NAME_PROPERTIES / UNNAMED_TYPES")
                    continue
                if kind in m.UNNAMED_TYPES or not s.exists(logical):
                    continue
                scope = kind
                if kind == "AWS::SES::ReceiptRule":
                    scope = f"{kind} in {s.props(logical)['RuleSetName']}"
                if kind == "AWS::Scheduler::Schedule":
                    scope = f"{kind} in group {s.props(logical).get('GroupName', 'default')}"
                key = (scope, s.physical_name(logical))
                if key in seen and seen[key] != env:
                    problems.append(f"{layout}: {logical} is named {key[1]!r} in both {seen[key]} and {env}")
                seen[key] = env
                if kind == "AWS::SecretsManager::Secret" and resource.get("Properties", {}).get("Name") is not None:
                    problems.append(f"{logical}: a fixed Name stays taken for 7-30 days after deletion; let CloudFormation name it")
    shared = c.stack(SharedReceiptRuleSet="INBOUND_MAIL")
    rules = [k for k, r in shared.resources.items() if r["Type"] == "AWS::SES::ReceiptRule"]
    if not rules or any(shared.props(r)["RuleSetName"] != "INBOUND_MAIL" for r in rules):
        problems.append("SharedReceiptRuleSet=INBOUND_MAIL does not put the stack's receipt rule into that set")
    own_sets = [k for k, r in shared.resources.items() if r["Type"] == "AWS::SES::ReceiptRuleSet" and shared.exists(k)]
    if own_sets:
        problems.append(f"with a shared rule set the stack still creates {own_sets}")
    text = c.deploy_section()
    for needle in ("SharedReceiptRuleSet", "set-active-receipt-rule-set", "describe-active-receipt-rule-set", "WorkMail"):
        if needle not in text:
            problems.append(f"README 'Deploy to AWS' does not mention {needle} (how staging and prod share SES receiving)")
    return problems


# ------------------------------------------------------------------ 3
def missing_keys_are_404(c: Checkout) -> list[str]:
    """S3 answers GetObject of a missing key with 404 only when the caller has s3:ListBucket on
    the bucket, 403 otherwise (S3 API reference, GetObject, Permissions:
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). Every function reads
    config/dossiers.toml, which is missing until uploaded; mail-inbound reads inbound/, the FEC
    sink fec/. GetObject carries no s3:prefix, so the grant must not be conditioned on it."""
    s = c.stack()
    bucket = s.arn("Bucket")
    return [f"{f}: no s3:ListBucket on the bucket for GetObject (a missing key would read as 403 AccessDenied)"
            for f in FUNCTIONS if not allowed(s, f, "s3:ListBucket", bucket)]


# ------------------------------------------------------------------ 4
def secrets_least_privilege(c: Checkout) -> list[str]:
    """Each function reads only its own use of credentials, of its own stack (HELPERS.md, "Cloud
    secret names"); mail-inbound none. SSM ARNs drop the name's leading slash; Secrets Manager
    appends six random characters (IAM user guide, resources for SSM and Secrets Manager)."""
    problems = []
    s = c.stack()
    for f, uses in SECRET_USES.items():
        for use in ("source", "ledger", "webhook"):
            for stack_name in (s.name, "other-stack"):
                ssm = f"arn:aws:ssm:{m.REGION}:{m.ACCOUNT}:parameter/passerelle/{stack_name}/{use}/acme/key"
                sm = f"arn:aws:secretsmanager:{m.REGION}:{m.ACCOUNT}:secret:passerelle/{stack_name}/{use}/acme/key-AbCdEf"
                want = use in uses and stack_name == s.name
                for action, arn in (("ssm:GetParameter", ssm), ("secretsmanager:GetSecretValue", sm)):
                    if allowed(s, f, action, arn) != want:
                        problems.append(f"{f}: {action} on {arn} is {'denied' if want else 'allowed'}")
        old = f"arn:aws:ssm:{m.REGION}:{m.ACCOUNT}:parameter/passerelle/acme/sellsy"
        if allowed(s, f, "ssm:GetParameter", old):
            problems.append(f"{f}: reads unscoped /passerelle/acme/sellsy (names must carry the stack and the use)")
    if not allowed(s, "SyncWebhookFunction", "secretsmanager:GetSecretValue", s.arn("SyncSecret")):
        problems.append("SyncWebhookFunction cannot read the stack's /sync key")
    return problems


def credentials_under_customer_key(c: Checkout) -> list[str]:
    """SecureStrings and secrets under a customer managed key need kms:Decrypt on it, through
    SSM or Secrets Manager only (KMS developer guide, kms:ViaService:
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service)."""
    problems = []
    if "SecretsKmsKeyArn" not in c.cfn.get("Parameters", {}):
        return ["no SecretsKmsKeyArn parameter (the optional customer managed key of the credentials)"]
    with_key, without = c.stack(SecretsKmsKeyArn=KMS_KEY), c.stack()
    for f, uses in SECRET_USES.items():
        for service in ("ssm", "secretsmanager"):
            via = {"kms:ViaService": f"{service}.{m.REGION}.amazonaws.com"}
            if allowed(with_key, f, "kms:Decrypt", KMS_KEY, via) != bool(uses):
                problems.append(f"{f}: kms:Decrypt via {service} is {'denied' if uses else 'allowed'}")
        if allowed(with_key, f, "kms:Decrypt", KMS_KEY, {"kms:ViaService": f"s3.{m.REGION}.amazonaws.com"}):
            problems.append(f"{f}: kms:Decrypt is allowed outside SSM / Secrets Manager")
        if allowed(without, f, "kms:Decrypt", KMS_KEY, {"kms:ViaService": f"ssm.{m.REGION}.amazonaws.com"}):
            problems.append(f"{f}: kms:Decrypt granted although SecretsKmsKeyArn is empty")
    return problems


def sync_secret_recreatable(c: Checkout) -> list[str]:
    """The stack's /sync key has no fixed name (Secrets Manager keeps a deleted name for 7-30 days)."""
    s = c.stack()
    secrets = [k for k, r in s.resources.items() if r["Type"] == "AWS::SecretsManager::Secret"]
    return [f"{k}: fixed Name {s.props(k)['Name']!r} blocks deleting and re-creating the stack"
            for k in secrets if "Name" in s.resources[k].get("Properties", {})] + ([] if secrets else ["no /sync secret"])


def webhook_reserved_concurrency(c: Checkout) -> list[str]:
    """sync-webhook's public URL cannot take the concurrency mail intake needs (Lambda developer
    guide, "Configuring reserved concurrency": https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html)."""
    params = c.cfn.get("Parameters", {})
    if "WebhookReservedConcurrency" not in params:
        return ["no WebhookReservedConcurrency parameter"]
    default = c.stack().props("SyncWebhookFunction").get("ReservedConcurrentExecutions")
    none = c.stack(WebhookReservedConcurrency=-1).props("SyncWebhookFunction").get("ReservedConcurrentExecutions")
    problems = []
    if str(default) != str(params["WebhookReservedConcurrency"]["Default"]) or int(default) < 1:
        problems.append(f"sync-webhook reserved concurrency is {default!r} by default")
    if none is not None:
        problems.append("WebhookReservedConcurrency=-1 still reserves concurrency")
    return problems


def notices_may_be_sent(c: Checkout) -> list[str]:
    """mail-inbound sends notices to senders from the MailFrom identity only (SES developer
    guide, "Controlling access", ses:FromAddress: https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html);
    no other function sends mail."""
    s = c.stack()
    frm = s.params["MailFrom"]
    domain = frm.split("@")[1]
    problems = []
    for identity in (frm, domain):
        arn = f"arn:aws:ses:{m.REGION}:{m.ACCOUNT}:identity/{identity}"
        if not allowed(s, "MailInboundFunction", "ses:SendEmail", arn, {"ses:FromAddress": frm}):
            problems.append(f"MailInboundFunction: ses:SendEmail from {frm} via identity {identity} is denied")
        if allowed(s, "MailInboundFunction", "ses:SendEmail", arn, {"ses:FromAddress": f"ceo@{domain}"}):
            problems.append(f"MailInboundFunction may send as ceo@{domain}")
        for f in FUNCTIONS:
            if f != "MailInboundFunction" and allowed(s, f, "ses:SendEmail", arn, {"ses:FromAddress": frm}):
                problems.append(f"{f} may send mail")
    return problems


# ------------------------------------------------------------------ 5
def log_groups_with_retention(c: Checkout) -> list[str]:
    """Each function logs to its own AWS::Logs::LogGroup with RetentionInDays = LogRetentionDays
    (default 90) (Lambda developer guide, log groups: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html)."""
    s = c.stack()
    param = c.cfn.get("Parameters", {}).get("LogRetentionDays")
    problems = [] if param and str(param.get("Default")) == "90" else ["no LogRetentionDays parameter defaulting to 90"]
    used = set()
    for f in FUNCTIONS:
        group = s.resources[f]["Properties"].get("LoggingConfig", {}).get("LogGroup")
        logical = group.get("Ref") if isinstance(group, dict) else None
        if logical not in s.resources or s.resources[logical]["Type"] != "AWS::Logs::LogGroup":
            problems.append(f"{f}: LoggingConfig.LogGroup is {group!r}, not a log group of the stack")
            continue
        if s.resources[logical]["Properties"].get("RetentionInDays") != {"Ref": "LogRetentionDays"}:
            problems.append(f"{logical}: RetentionInDays is not the LogRetentionDays parameter")
        if logical in used:
            problems.append(f"{logical}: shared by two functions")
        used.add(logical)
    return problems


# ------------------------------------------------------------------ 6
def queue_of(s: m.Stack, value: dict) -> str | None:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return target[0] if isinstance(target, list) else target.split(".")[0]
    return None


def notice_for_every_failure(c: Checkout) -> list[str]:
    """A dead letter raises a notice each time, not only the first: "messages visible > 0" stays
    in ALARM while the first waits. Redriven messages are not counted by NumberOfMessagesSent
    (SQS developer guide, dead-letter queues:
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html),
    so redrive DLQs need the increase of the visible count (metric math DIFF / RATE over FILL, as
    an empty queue reports nothing: SQS reports active queues only); queues that
    services send to (Lambda async DLQ, Scheduler DLQ) may use NumberOfMessagesSent. Plus every
    function's Errors, TreatMissingData set, and the README says to confirm the subscription."""
    s = c.stack()
    redrive, sent_to = set(), set()
    for logical, r in s.resources.items():
        props = r.get("Properties", {})
        if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in props:
            redrive.add(queue_of(s, props["RedrivePolicy"]["deadLetterTargetArn"]))
        if r["Type"] == "AWS::Lambda::Function" and "DeadLetterConfig" in props:
            sent_to.add(queue_of(s, props["DeadLetterConfig"]["TargetArn"]))
        if r["Type"] == "AWS::Scheduler::Schedule" and "DeadLetterConfig" in props.get("Target", {}):
            sent_to.add(queue_of(s, props["Target"]["DeadLetterConfig"]["Arn"]))
    alarms = {k: r["Properties"] for k, r in s.resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    problems = []

    def metrics_of(a: dict) -> tuple[list[dict], list[str]]:
        if "MetricName" in a:
            return [a], []
        queries = a.get("Metrics", [])
        return ([x["MetricStat"]["Metric"] for x in queries if "MetricStat" in x],
                [x["Expression"] for x in queries if "Expression" in x])

    for q in sorted(redrive | sent_to):
        ref = {"Fn::GetAtt": [q, "QueueName"]}
        good, seen = [], []
        for k, a in alarms.items():
            metrics, expressions = metrics_of(a)
            names = {x["MetricName"] for x in metrics if any(d.get("Value") == ref for d in x.get("Dimensions", []))}
            if not names:
                continue
            seen.append(f"{k}: {sorted(names)} {expressions}")
            # FILL: an empty DLQ is inactive and reports nothing, the first dead letter must still count.
            increase = "ApproximateNumberOfMessagesVisible" in names and any(re.search(r"\b(DIFF|RATE)\(\s*FILL\(", e) for e in expressions)
            sent = "NumberOfMessagesSent" in names and a.get("Statistic") == "Sum" and q not in redrive
            if increase or sent:
                good.append(k)
        if not good:
            problems.append(f"{q}: no alarm for each new message ({seen or 'no alarm at all'})")
    for f in FUNCTIONS:
        if not any(a.get("MetricName") == "Errors" and any(d.get("Value") == {"Ref": f} for d in a.get("Dimensions", []))
                   for a in alarms.values()):
            problems.append(f"{f}: no alarm on its Errors")
    for k, a in alarms.items():
        if "TreatMissingData" not in a:
            problems.append(f"{k}: no TreatMissingData (an idle queue or function reads as INSUFFICIENT_DATA)")
        if {"Ref": "AlarmTopic"} not in a.get("AlarmActions", []):
            problems.append(f"{k}: does not notify the alarm topic")
    if not re.search(r"confirm\w*.{0,80}subscription|subscription.{0,80}confirm", c.deploy_section(), re.S | re.I):
        problems.append("README 'Deploy to AWS' does not say the SNS e-mail subscription must be confirmed")
    return problems


# ------------------------------------------------------------------ 7
def nightly_avoids_dst_hour(c: Checkout) -> list[str]:
    """EventBridge Scheduler skips a local time that does not exist when clocks go forward and
    runs a repeated one once (Scheduler user guide, daylight saving time:
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time).
    The default time must exist exactly once on every day in Europe/Paris, and the parameter must
    refuse 02:xx."""
    param = c.cfn["Parameters"]["NightlySchedule"]
    events = c.sam["Resources"]["SellsyPullFunction"]["Properties"]["Events"]
    problems = []
    nightly = [e["Properties"] for e in events.values() if e["Type"] == "ScheduleV2"]
    if not nightly or nightly[0].get("ScheduleExpressionTimezone") != "Europe/Paris":
        problems.append("the nightly schedule is not in Europe/Paris time")
    found = re.fullmatch(r"cron\((\d+) (\d+) \* \* \? \*\)", param["Default"])
    if not found:
        return problems + [f"NightlySchedule default {param['Default']!r} is not a daily cron(M H * * ? *)"]
    minute, hour = int(found.group(1)), int(found.group(2))
    paris = ZoneInfo("Europe/Paris")
    day = dt.date(2026, 1, 1)
    while day.year < 2036:
        local = dt.datetime(day.year, day.month, day.day, hour, minute)
        there = local.replace(tzinfo=paris)
        back = there.astimezone(dt.timezone.utc).astimezone(paris).replace(tzinfo=None)
        if back != local:
            problems.append(f"{local:%Y-%m-%d %H:%M} does not exist in Europe/Paris: the run is skipped")
        elif there.replace(fold=0).utcoffset() != there.replace(fold=1).utcoffset():
            problems.append(f"{local:%Y-%m-%d %H:%M} happens twice in Europe/Paris")
        day += dt.timedelta(days=1)
    pattern = param.get("AllowedPattern")
    if not pattern or re.fullmatch(pattern, "cron(30 2 * * ? *)") or not re.fullmatch(pattern, param["Default"]):
        problems.append("NightlySchedule's AllowedPattern does not refuse 02:xx (or refuses its default)")
    return problems


# ------------------------------------------------------------------ 8
def config_reload(c: Checkout) -> list[str]:
    """`sam deploy` without a template change starts no new sandbox, so a new dossiers.toml needs
    a configuration change: scripts/reload-config uploads it and sets ConfigVersion, which every
    function has as PASSERELLE_CONFIG_VERSION."""
    s = c.stack(ConfigVersion="abc123")
    problems = [f"{f}: PASSERELLE_CONFIG_VERSION is not the ConfigVersion parameter"
                for f in FUNCTIONS if s.props(f).get("Environment", {}).get("Variables", {}).get("PASSERELLE_CONFIG_VERSION") != "abc123"]
    key = s.props("SellsyPullFunction")["Environment"]["Variables"].get("PASSERELLE_CONFIG_KEY", "")
    return problems + check_reload_config(c.root, key)


# ------------------------------------------------------------------ 9
def sam_build_from_fresh_clone(c: Checkout) -> list[str]:
    """SAM's rust-cargolambda build (SAM developer guide, "Building Rust Lambda functions with
    Cargo Lambda": https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/building-rust.html)
    runs `cargo lambda build --release --arm64 --bin <Binary>` in CodeUri and copies
    CodeUri/target/lambda/<Binary>/bootstrap (aws-lambda-builders rust_cargo/actions.py), so
    CodeUri is the workspace root; `--cached` hashes the whole CodeUri but .aws-sam
    (samcli/lib/build/build_strategy.py: dir_checksum(code_dir, ignore_list=[".aws-sam"])), that
    is target/ and the virtualenvs, which each build changes: samconfig must not turn it on. The
    arm64 standard library must be installed by `scripts/setup --packaging`."""
    s = c.stack()
    problems = []
    members = tomllib.loads((c.root / "Cargo.toml").read_text()).get("workspace", {}).get("members", [])
    bins = set()
    for manifest in c.root.glob("functions/*/Cargo.toml"):
        bins.update(b["name"] for b in tomllib.loads(manifest.read_text()).get("bin", []))
    if "functions/*" not in members:
        problems.append("the workspace does not include functions/*")
    for f in FUNCTIONS:
        raw = c.sam["Resources"][f]
        binary = raw.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        if raw.get("Metadata", {}).get("BuildMethod") != "rust-cargolambda" or binary not in bins:
            problems.append(f"{f}: not built by rust-cargolambda from a [[bin]] of functions/ ({binary!r})")
        if raw["Properties"].get("CodeUri") != ".":
            problems.append(f"{f}: CodeUri must be the workspace root '.'")
        props = s.props(f)
        if props.get("Architectures") != ["arm64"] or props.get("Runtime") != "provided.al2023":
            problems.append(f"{f}: not arm64 / provided.al2023")
    for env, commands in c.samconfig.items():
        if isinstance(commands, dict) and commands.get("build", {}).get("parameters", {}).get("cached"):
            problems.append(f"samconfig.toml [{env}.build] cached = true hashes target/ and the virtualenvs on every build")
    if "rustup target add aarch64-unknown-linux-gnu" not in (c.root / "scripts" / "setup").read_text():
        problems.append("scripts/setup --packaging does not install the aarch64-unknown-linux-gnu standard library")
    return problems


ASSERTIONS = [
    ("1 alarm topic under a customer managed key CloudWatch may use", alarm_topic_customer_managed_key),
    ("2 two stacks coexist in one account and region", two_stacks_coexist),
    ("3 a missing S3 key reads as 404, not 403", missing_keys_are_404),
    ("4a each function reads only its own stack's credentials of its use", secrets_least_privilege),
    ("4b credentials under a customer managed key (kms:ViaService)", credentials_under_customer_key),
    ("4c the /sync secret does not block re-creating the stack", sync_secret_recreatable),
    ("4d sync-webhook has reserved concurrency", webhook_reserved_concurrency),
    ("4e mail-inbound may send notices from MailFrom only", notices_may_be_sent),
    ("5 log groups with a retention for the five functions", log_groups_with_retention),
    ("6 a notice for every new failure", notice_for_every_failure),
    ("7 the nightly time avoids the DST hour", nightly_avoids_dst_hour),
    ("8 a command applies a new dossiers.toml", config_reload),
    ("9 sam build from a fresh clone", sam_build_from_fresh_clone),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", help="checkout to check (default: this one)")
    root = m.repo_root(parser.parse_args().root)
    checkout = Checkout(root)
    failed = 0
    for name, check in ASSERTIONS:
        try:
            problems = list(dict.fromkeys(check(checkout)))
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
            problems = [f"the template does not have the expected shape: {type(e).__name__}: {e}"]
        print(f"{'ok  ' if not problems else 'FAIL'} {name}")
        for p in problems:
            print(f"       - {p}")
        failed += bool(problems)
    print(f"template_check: {len(ASSERTIONS) - failed} passed, {failed} failed ({root / 'template.yaml'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
