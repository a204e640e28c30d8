"""Every AWS call the code makes, per Lambda function, against the deployed roles (policy
simulation of the transformed template): no call without a statement, no statement without a
call. Run by scripts/test (infra lint step):  .venv-infra/bin/python tools/iam_check.py

1. The SDK calls come from the Rust sources (tools/rust_sdk_calls.py: adapter method -> SDK
   operations, found in the code, not listed here).
2. USES below says which adapter methods each function's handler reaches and on which
   resources, each with the code that does it (`refs`: functions that must exist in the sources,
   so a refactor that moves the call makes this table fail until it is updated).
3. Each SDK operation maps to its IAM action (Service Authorization Reference, "Actions,
   resources, and condition keys": https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
   plus what it implies: GetObject of a key that may be missing needs s3:ListBucket to read 404
   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html); a SecureString or secret
   under a customer managed key needs kms:Decrypt through the service
   (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
4. Each request is simulated against the function's role (tools/cfn_model.py), with and without
   SecretsKmsKeyArn; every statement we wrote must allow at least one request, for each of its
   actions and resources. The Lambda service's own needs (SQS polling, async DLQ, logs, X-Ray)
   are checked against what SAM adds.
`--write-docs` rewrites the generated table of docs/iam.md; the check fails when it is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cfn_model as m  # noqa: E402
from rust_sdk_calls import extract  # noqa: E402

KMS_KEY = f"arn:aws:kms:{m.REGION}:{m.ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# SDK operation -> IAM action, where the action is not the operation's name in PascalCase.
ACTION_EXCEPTIONS = {
    ("s3", "list_objects_v2"): "s3:ListBucket",
    ("s3", "head_object"): "s3:GetObject",
    ("sqs", "send_message_batch"): "sqs:SendMessage",
    ("sqs", "delete_message_batch"): "sqs:DeleteMessage",
    ("lambda", "invoke"): "lambda:InvokeFunction",
}
SERVICE_PREFIX = {"sesv2": "ses", "ses": "ses"}


def iam_action(service: str, operation: str) -> str:
    if (service, operation) in ACTION_EXCEPTIONS:
        return ACTION_EXCEPTIONS[(service, operation)]
    return f"{SERVICE_PREFIX.get(service, service)}:{''.join(w.capitalize() for w in operation.split('_'))}"


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: tuple = ()

    def ctx(self) -> dict:
        return dict(self.context)


# ------------------------------------------------------------------ targets: what a call touches
@dataclass(frozen=True)
class Table:
    def requests(self, s: m.Stack, op: str) -> list[Request]:
        return [Request(iam_action("dynamodb", op), s.arn("Table"))]


@dataclass(frozen=True)
class Key:
    """An S3 object (or, for a listing, a prefix) of the bucket."""
    key: str

    def requests(self, s: m.Stack, op: str) -> list[Request]:
        bucket = s.arn("Bucket")
        if op == "list_objects_v2":
            return [Request("s3:ListBucket", bucket, (("s3:prefix", self.key),))]
        out = [Request(iam_action("s3", op), f"{bucket}/{self.key}")]
        if op in ("get_object", "head_object"):  # the key may be missing: 404, not 403
            out.append(Request("s3:ListBucket", bucket))
        return out


@dataclass(frozen=True)
class Queue:
    logical: str

    def requests(self, s: m.Stack, op: str) -> list[Request]:
        return [Request(iam_action("sqs", op), s.arn(self.logical))]


@dataclass(frozen=True)
class Credential:
    """A credential of one use (source, ledger, webhook) of this stack, in SSM or Secrets Manager."""
    use: str

    def requests(self, s: m.Stack, op: str) -> list[Request]:
        if op == "get_parameter":
            arn, service = f"arn:aws:ssm:{m.REGION}:{m.ACCOUNT}:parameter/passerelle/{s.name}/{self.use}/acme/key", "ssm"
        else:
            arn, service = (f"arn:aws:secretsmanager:{m.REGION}:{m.ACCOUNT}:secret:passerelle/{s.name}/{self.use}/acme/key-AbCdEf",
                            "secretsmanager")
        out = [Request(iam_action("ssm" if op == "get_parameter" else "secretsmanager", op), arn)]
        if s.params.get("SecretsKmsKeyArn"):
            out.append(Request("kms:Decrypt", s.params["SecretsKmsKeyArn"],
                               (("kms:ViaService", f"{service}.{m.REGION}.amazonaws.com"),)))
        return out


@dataclass(frozen=True)
class StackSecret:
    """The stack's own /sync secret (AWS managed key: no kms:Decrypt needed)."""
    logical: str

    def requests(self, s: m.Stack, op: str) -> list[Request]:
        return [Request("secretsmanager:GetSecretValue", s.arn(self.logical))] if op == "get_secret_value" else []


@dataclass(frozen=True)
class Function:
    logical: str

    def requests(self, s: m.Stack, op: str) -> list[Request]:
        return [Request(iam_action("lambda", op), s.arn(self.logical))]


@dataclass(frozen=True)
class MailFrom:
    """SES authorizes the identity the sender belongs to: the address or its domain, whichever
    is verified (https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html)."""

    def requests(self, s: m.Stack, op: str) -> list[Request]:
        frm = s.params["MailFrom"]
        ctx = (("ses:FromAddress", frm),)
        return [Request("ses:SendEmail", f"arn:aws:ses:{m.REGION}:{m.ACCOUNT}:identity/{identity}", ctx)
                for identity in (frm, frm.split("@")[1])]


@dataclass
class Use:
    method: str                  # adapter method, as tools/rust_sdk_calls.py names it
    targets: list
    why: str
    refs: list[str]              # "path-glob:fn name" that must exist
    pending: str | None = None   # not called yet: who wires it
    wired_when: str | None = None  # "path-glob:regex" found once it is wired

    ops_filter: set = field(default_factory=set)  # only these SDK operations (empty: all)


CONFIG = Key("config/dossiers.toml")
COMMON = "functions/common/src"
APP = "crates/app/src/usecases"
# Which adapter methods each function's handler reaches, justified by the code (read from the
# handler down: functions/<name>/src/main.rs -> functions/common/src -> crates/app use cases).
USES = {
    "SellsyPullFunction": [
        Use("S3Blobs::get", [CONFIG], "Cloud::new reads the dossiers' configuration at start-up", [f"{COMMON}/cloud.rs:new"]),
        Use("DynamoStore::get", [Table()], "start_run claims the run, pull's upsert reads each document",
            [f"{APP}/runs.rs:start_run", f"{APP}/runs.rs:claim_run", f"{APP}/pull.rs:upsert"]),
        Use("DynamoStore::create", [Table()], "claim_run creates the run, upsert a new document, the integration log a line",
            [f"{APP}/runs.rs:claim_run", f"{APP}/pull.rs:upsert", f"{APP}/log.rs:record"]),
        Use("DynamoStore::update", [Table()], "start_run finishes the run, upsert a changed document", [f"{APP}/runs.rs:start_run"]),
        Use("SqsQueue::send", [Queue("MapQueue"), Queue("PushQueue")],
            "take_in hands new documents to the mapper and requeues mapped ones to the push queue", [f"{APP}/pull.rs:take_in"]),
        Use("AwsSecrets::get", [Credential("source")], "each dossier's Sellsy client secret (Needs.sources)", ["crates/wiring/src/connect.rs:connect", "crates/sellsy/src/section.rs:connect"]),
    ],
    "MapperFunction": [
        Use("S3Blobs::get", [CONFIG], "Cloud::new reads the dossiers' configuration", [f"{COMMON}/cloud.rs:new"]),
        Use("S3Blobs::put_once", [Key("pdf/acme/sellsy:invoice:1.pdf")], "map_step stores the document's PDF",
            [f"{APP}/map.rs:map_step", f"{APP}/map.rs:pdf_key"]),
        Use("DynamoStore::get", [Table()], "map_step reads the document", [f"{APP}/map.rs:map_step"]),
        Use("DynamoStore::create", [Table()], "claim_number claims a piece number, save_aux_codes a code, the log a line",
            [f"{APP}/map.rs:claim_number", f"{APP}/map.rs:save_aux_codes"]),
        Use("DynamoStore::update", [Table()], "map_step moves the document to mapped", [f"{APP}/map.rs:map_step"]),
        Use("DynamoStore::query", [Table()], "aux_codes lists the dossier's auxiliary codes", [f"{APP}/map.rs:aux_codes"]),
        Use("SqsQueue::send", [Queue("PushQueue")], "map_step hands the entry to ledger-sink", [f"{APP}/map.rs:map_step"]),
        Use("AwsSecrets::get", [Credential("source")], "the Sellsy client fetches the PDF (Needs.sources)", ["crates/wiring/src/connect.rs:connect", "crates/sellsy/src/section.rs:connect"]),
    ],
    "LedgerSinkFunction": [
        Use("S3Blobs::get", [CONFIG, Key("pdf/acme/x.pdf"), Key("files/acme/achat/x.pdf"), Key("fec/acme/20261231/booked.jsonl")],
            "Cloud::new; push_step's item reads the PDF or the collected file; the FEC sink its booked entries",
            [f"{COMMON}/cloud.rs:new", f"{APP}/push.rs:item", "crates/ledgers/src/fec/sink.rs:load"]),
        Use("S3Blobs::put", [Key("fec/acme/20261231/booked.jsonl")], "the FEC sink rewrites the year's FEC and booked entries",
            ["crates/ledgers/src/fec/sink.rs:push_year"]),
        Use("S3Blobs::put_once", [Key("fec/acme/pdf/0123.pdf"), Key("fec/acme/documents/achat/0123.pdf")],
            "the FEC sink stores each entry's PDF and each collected document once",
            ["crates/ledgers/src/fec/sink.rs:push_year", "crates/ledgers/src/fec/sink.rs:push_document"]),
        Use("S3Blobs::list", [Key("fec/acme")], "the FEC sink's test_connection lists the dossier's files",
            ["crates/ledgers/src/fec/sink.rs:test_connection"]),
        Use("DynamoStore::get", [Table()], "claim and booked read the document", [f"{APP}/push.rs:claim", f"{APP}/push.rs:booked"]),
        Use("DynamoStore::update", [Table()], "claim takes the lease, booked and fail record the outcome", [f"{APP}/push.rs:claim", f"{APP}/push.rs:fail"]),
        Use("DynamoStore::create", [Table()], "the integration log", [f"{APP}/log.rs:record"]),
        Use("AwsSecrets::get", [Credential("ledger")], "Inqom / Pennylane credentials (Needs.sinks)", ["crates/wiring/src/connect.rs:connect", "crates/ledgers/src/**/section.rs:connect"]),
    ],
    "MailInboundFunction": [
        Use("S3Blobs::get", [CONFIG, Key("inbound/0123456789abcdef")], "Cloud::new; handle reads the raw mail SES stored",
            [f"{COMMON}/cloud.rs:new", f"{COMMON}/inbound.rs:handle"]),
        Use("S3Blobs::put_once", [Key("files/acme/achat/0123.pdf")], "intake stores each accepted file once", [f"{APP}/intake.rs:intake", f"{APP}/records.rs:file_key"]),
        Use("DynamoStore::query", [Table()], "intake loads the mailboxes' duplicate index", [f"{APP}/intake.rs:intake"]),
        Use("DynamoStore::create", [Table()], "intake claims the file and the mail, the log a line", [f"{APP}/intake.rs:intake", f"{APP}/log.rs:record"]),
        Use("DynamoStore::get", [Table()], "an e-invoice is mapped in the intake (map_loaded reads the record, its party's code, the number claim); notices are counted per sender and day",
            [f"{APP}/einvoice.rs:map_new", f"{APP}/map.rs:aux_codes_of", f"{APP}/intake.rs:count_notice"]),
        Use("DynamoStore::update", [Table()], "map_loaded moves the e-invoice's document to mapped; the notice counter", [f"{APP}/map.rs:map_loaded", f"{APP}/intake.rs:count_notice"]),
        Use("SqsQueue::send", [Queue("PushQueue")], "intake hands files to ledger-sink", [f"{APP}/intake.rs:intake"]),
        Use("SesNotifier::send", [MailFrom()], "notices to authenticated, allowed senders (\"resend as PDF\")",
            [f"{COMMON}/inbound.rs:handle", f"{APP}/intake.rs:notify_sender"]),
    ],
    "SyncWebhookFunction": [
        Use("S3Blobs::get", [CONFIG], "Cloud::new reads the dossiers' configuration", [f"{COMMON}/cloud.rs:new"]),
        Use("DynamoStore::get", [Table()], "run_status and the replay guard read records; queue_run / abandon_run the run",
            ["crates/webhook/src/routes.rs:run_status", f"{APP}/runs.rs:abandon_run", f"{APP}/runs.rs:run"]),
        Use("DynamoStore::create", [Table()], "queue_run creates the run; used signatures and Sellsy deliveries are recorded",
            [f"{APP}/runs.rs:queue_run", "crates/webhook/src/routes.rs:sellsy_webhook", "crates/webhook/src/routes.rs:authenticate"]),
        Use("DynamoStore::update", [Table()], "abandon_run marks a run that could not start", [f"{APP}/runs.rs:abandon_run"]),
        Use("DynamoStore::query", [Table()], "GET /runs/{id} lists the run's log lines", ["crates/webhook/src/routes.rs:run_status", f"{APP}/log.rs:query"]),
        Use("LambdaLauncher::launch", [Function("SellsyPullFunction")], "POST /sync and Sellsy webhooks start sellsy-pull", [f"{COMMON}/sync_webhook.rs:launch"]),
        Use("AwsSecrets::get", [Credential("webhook"), StackSecret("SyncSecret")], "Sellsy sign keys and the /sync HMAC key",
            [f"{COMMON}/sync_webhook.rs:secrets", "crates/sellsy/src/section.rs:webhook_sign_key"]),
    ],
    "ConsoleFunction": [
        Use("S3Blobs::get", [CONFIG], "Cloud::new reads the dossiers' configuration (and [[console.users]])", [f"{COMMON}/cloud.rs:new", f"{COMMON}/console.rs:site"]),
        Use("DynamoStore::get", [Table()], "sessions::find reads the session; run_page the run; retry the document",
            ["crates/web-console/src/sessions.rs:find", f"{APP}/runs.rs:run", f"{APP}/recovery.rs:retry"]),
        Use("DynamoStore::create", [Table()], "sessions::create at login; queue_run the run; the log the audit line",
            ["crates/web-console/src/sessions.rs:create", f"{APP}/runs.rs:queue_run", f"{APP}/log.rs:record"]),
        Use("DynamoStore::update", [Table()], "sessions::revoke at logout and login; abandon_run; retry moves the document back",
            ["crates/web-console/src/sessions.rs:revoke", f"{APP}/runs.rs:abandon_run", f"{APP}/recovery.rs:retry"]),
        Use("DynamoStore::query", [Table()], "the pages list runs, documents, mails and log lines",
            ["crates/web-console/src/views.rs:dossier_runs", f"{APP}/log.rs:query"]),
        Use("SqsQueue::send", [Queue("MapQueue")], "Relancer hands the document to the mapper", [f"{APP}/recovery.rs:retry"]),
        Use("LambdaLauncher::launch", [Function("SellsyPullFunction")], "Synchroniser maintenant starts sellsy-pull", [f"{COMMON}/sync_webhook.rs:launch"]),
    ],
}
# Known gaps of the code against this table, detected in the sources; printed while present.
GAPS = [
    # Each function connects only what it uses (wiring::Needs in functions/*/src/main.rs); a
    # function that connects everything again reads credentials its policy does not grant.
    ("functions/*/src/main.rs", r"Needs::ALL",
     "a function connects every dossier's Sellsy client and ledger at start-up (Needs::ALL): it reads "
     "source, ledger and webhook credentials its scoped policy does not grant; give it the Needs of USES."),
]


def find_fn(root: Path, ref: str) -> bool:
    glob, name = ref.rsplit(":", 1)
    return any(re.search(rf"\bfn\s+{re.escape(name)}\b", p.read_text()) for p in root.glob(glob))


def wired(root: Path, spec: str) -> bool:
    glob, pattern = spec.split(":", 1)
    return any(re.search(pattern, p.read_text()) for p in root.glob(glob))


# ------------------------------------------------------------------ simulation
@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)  # docs table: function, method, operation, action, statement


def platform_requests(s: m.Stack, function: str) -> list[tuple[str, Request]]:
    """What the Lambda service itself does with the function's role (Lambda developer guide:
    execution role, SQS event sources, asynchronous DLQ, X-Ray)."""
    out = [("logs", Request("logs:PutLogEvents", f"arn:aws:logs:{m.REGION}:{m.ACCOUNT}:log-group:x:*")),
           ("X-Ray", Request("xray:PutTraceSegments", "*"))]
    props = s.props(function)
    if "DeadLetterConfig" in props:
        out.append(("async DLQ", Request("sqs:SendMessage", props["DeadLetterConfig"]["TargetArn"])))
    for logical, r in s.resources.items():
        if r["Type"] == "AWS::Lambda::EventSourceMapping" and s.props(logical)["FunctionName"] == s.physical_name(function):
            queue = s.props(logical)["EventSourceArn"]
            out += [(f"SQS poller", Request(a, queue)) for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")]
    return out


def simulate(root: Path, cfn: dict, calls: dict, report: Report) -> None:
    used: set[tuple[str, str, str, str]] = set()    # (function, statement, action pattern, resource pattern)
    pending_cover: set[tuple[str, str, str, str]] = set()
    declared: set[tuple[str, str, str, str]] = set()
    for scenario in ({}, {"SecretsKmsKeyArn": KMS_KEY}):
        s = m.Stack(cfn, "passerelle-staging", scenario)
        for function, uses in USES.items():
            statements = s.statements(s.role_of(function))
            ours = [st for st in statements if not st.managed and st.origin.startswith(f"{function}RolePolicy")]
            for st in ours:
                declared.update((function, st.origin, a, r) for a in st.actions() for r in st.resources())
            for use in uses:
                pending = use.pending and not (use.wired_when and wired(root, use.wired_when))
                for call in calls.get(use.method, []):
                    for target in use.targets:
                        for req in target.requests(s, call.operation):
                            grants = m.allowing(statements, req.action, req.resource, req.ctx())
                            for st, pattern in grants:
                                for a in st.actions():
                                    if m.Statement({"Action": a}, "", False).matches_action(req.action):
                                        (pending_cover if pending else used).add((function, st.origin, a, pattern))
                            names = ", ".join(sorted({st.origin.split("[")[-1].rstrip("]") for st, _ in grants}))
                            if not scenario or req.action == "kms:Decrypt":
                                via = f" via {req.ctx()['kms:ViaService'].split('.')[0]}" if req.action == "kms:Decrypt" else ""
                                report.rows.append((function, use.method, f"{call.service}.{call.operation}",
                                                    f"{req.action} {short(req.resource)}{via}", names or "-",
                                                    "pending" if pending else ""))
                            if not grants and not pending:
                                report.problems.append(f"{function}: {use.method} ({call.service} {call.operation}, {call.file}:{call.line}) "
                                                       f"needs {req.action} on {req.resource} {req.ctx() or ''}: no statement allows it")
            for what, req in platform_requests(s, function):
                if not m.allowing(statements, req.action, req.resource, req.ctx()):
                    report.problems.append(f"{function}: the Lambda service's {what} needs {req.action} on {req.resource}")
    for function, origin, action, resource in sorted(declared - used):
        if (function, origin, action, resource) in pending_cover:
            report.notes.append(f"PENDING {function} {origin}: {action} on {resource} has no call yet "
                                f"({next(u.pending for u in USES[function] if u.pending)})")
        else:
            report.problems.append(f"{function} {origin}: {action} on {resource} is allowed but no call of the code needs it")


def short(arn: str) -> str:
    return (arn.replace("arn:aws:", "").replace(f":{m.REGION}:{m.ACCOUNT}:", ":").replace(KMS_KEY.split(":key/")[1], "<SecretsKmsKeyArn>")
            .replace("passerelle-staging", "<stack>").replace("-GEN1234", ""))


def check_table(root: Path, calls: dict, report: Report) -> None:
    for function, uses in USES.items():
        for use in uses:
            if use.method not in calls:
                report.problems.append(f"{function}: {use.method} makes no SDK call in the sources (renamed? update USES)")
            for ref in use.refs:
                if not find_fn(root, ref):
                    report.problems.append(f"{function}: {use.method}: the code reference {ref} is gone (update USES)")
    # Call sites no function reaches (helpers of used methods are reached through them).
    reached = {c for uses in USES.values() for u in uses for c in calls.get(u.method, [])}
    for method, sites in sorted(calls.items()):
        if not set(sites) & reached:
            report.notes.append(f"no function calls {method} ({', '.join(f'{c.operation} {c.file}:{c.line}' for c in sites)}): "
                                "no permission granted for it")
    for glob, pattern, text in GAPS:
        if wired(root, f"{glob}:{pattern}"):
            report.notes.append(f"CODE GAP ({glob} matches {pattern}): {text}")


DOCS_BEGIN, DOCS_END = "<!-- iam_check:begin -->", "<!-- iam_check:end -->"


def docs_table(report: Report) -> str:
    lines = ["| function | adapter method | SDK call | IAM request | statement (Sid) |", "|---|---|---|---|---|"]
    for row in sorted(set(report.rows)):
        function, method, op, req, sids, pending = row
        lines.append(f"| {function.removesuffix('Function')} | `{method}` | {op} | `{req}` | {sids}{' (pending)' if pending else ''} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", help="checkout to check (default: this one)")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/iam.md's generated table")
    args = parser.parse_args()
    root = m.repo_root(args.root)
    calls = extract(root)
    cfn = m.transform(m.load_sam(root / "template.yaml"))
    report = Report()
    check_table(root, calls, report)
    simulate(root, cfn, calls, report)
    docs = root / "docs" / "iam.md"
    table = docs_table(report)
    text = docs.read_text() if docs.exists() else ""
    if DOCS_BEGIN in text and DOCS_END in text:
        fresh = text.split(DOCS_BEGIN)[0] + DOCS_BEGIN + "\n" + table + "\n" + DOCS_END + text.split(DOCS_END, 1)[1]
        if args.write_docs:
            docs.write_text(fresh)
        elif fresh != text:
            report.problems.append("docs/iam.md's generated table is stale: run .venv-infra/bin/python tools/iam_check.py --write-docs")
    else:
        report.problems.append(f"docs/iam.md has no {DOCS_BEGIN} ... {DOCS_END} section")
    report.problems = list(dict.fromkeys(report.problems))
    for note in dict.fromkeys(report.notes):
        print(f"note: {note}")
    for problem in report.problems:
        print(f"FAIL {problem}")
    checked = len({r for r in report.rows})
    print(f"iam_check: {sum(len(v) for v in calls.values())} SDK call sites in {len(calls)} methods; "
          f"{checked} requests of {len(USES)} functions simulated; {len(report.problems)} problem(s)")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
