"""The deployed shape of template.yaml, offline: the SAM transform (aws-sam-translator, the library
`sam validate` and CloudFormation's AWS::Serverless transform use), CloudFormation intrinsics
resolved for one stack name and parameter set, physical names as CloudFormation would give them,
and an IAM identity-policy evaluator (Allow statements, wildcards, the condition operators the
template uses). Used by tools/template_check.py and tools/iam_check.py; run with .venv-infra's
Python (scripts/setup installs aws-sam-translator with aws-sam-cli).

IAM evaluation follows the IAM user guide, "Policy evaluation logic" and "IAM JSON policy
elements: Condition operators" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
an action is allowed when an Allow statement matches it, its resource and its conditions (every
operator must hold; one of several values is enough; a missing key fails unless ...IfExists).
The template has no Deny in identity policies, so explicit denies are not modelled.
"""

from __future__ import annotations

import copy
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGION = "eu-west-1"
ACCOUNT = "123456789012"
PARTITION = "aws"
NO_VALUE = object()

# Managed policies SAM attaches (their documents as AWS publishes them, reduced to the actions).
MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                                       "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"], "Resource": "*"}
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                       "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}
    ],
}


def fail_setup(message: str) -> None:
    print(f"{message}: run ./scripts/setup (it installs .venv-infra), then run this with .venv-infra/bin/python",
          file=sys.stderr)
    sys.exit(2)


def load_sam(path: Path) -> dict:
    """The template as written (short-form intrinsics expanded)."""
    try:
        from samtranslator.yaml_helper import yaml_parse
    except ImportError:
        fail_setup("aws-sam-translator is missing")
    return yaml_parse(path.read_text())


def transform(sam: dict) -> dict:
    """The CloudFormation template the AWS::Serverless transform makes of it (roles, schedules,
    URLs, event source mappings). CodeUri is replaced as `sam validate` does (the code is not
    part of the resources)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    from samtranslator.translator.transform import transform as sam_transform

    class NoManagedPolicyNames:  # the template names managed policies by ARN only
        def load(self) -> dict:
            return {}

    template = copy.deepcopy(sam)
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://bucket/key"
    return sam_transform(template, {}, NoManagedPolicyNames())


# Physical-name properties per resource type (CloudFormation generates a name when absent).
NAME_PROPERTIES = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Scheduler::ScheduleGroup": "Name",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SES::ReceiptRuleSet": "RuleSetName",
    "AWS::SES::ReceiptRule": "Rule.Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::KMS::Alias": "AliasName",
}
# Types with no name of their own (attached to another resource, or identified by a generated id).
UNNAMED_TYPES = {
    "AWS::Lambda::Permission", "AWS::Lambda::Url", "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::EventInvokeConfig", "AWS::SNS::Subscription", "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy", "AWS::KMS::Key",
}


def get_path(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


@dataclass
class Stack:
    """One deployment of the transformed template: a stack name and parameter values."""

    cfn: dict
    name: str
    overrides: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.params = {k: str(v.get("Default", "")) for k, v in self.cfn.get("Parameters", {}).items()}
        self.params.update({k: str(v) for k, v in self.overrides.items()})
        self.resources = self.cfn["Resources"]

    # -- conditions and intrinsics
    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.cfn.get("Conditions", {})[name]))

    def exists(self, logical: str) -> bool:
        cond = self.resources[logical].get("Condition")
        return cond is None or self.condition(cond)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            handler = {
                "Ref": self._ref, "Fn::GetAtt": self._getatt, "Fn::Sub": self._sub, "Fn::If": self._if,
                "Fn::Equals": lambda a: self.resolve(a[0]) == self.resolve(a[1]),
                "Fn::Not": lambda a: not self.resolve(a[0]),
                "Fn::And": lambda a: all(self.resolve(x) for x in a),
                "Fn::Or": lambda a: any(self.resolve(x) for x in a),
                "Condition": self.condition,
                "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
                "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
                "Fn::Join": lambda a: a[0].join(str(x) for x in self.resolve(a[1])),
            }.get(key)
            if handler:
                return handler(arg)
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}

    def _if(self, arg: list) -> Any:
        return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])

    def _ref(self, name: str) -> Any:
        pseudo = {"AWS::StackName": self.name, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                  "AWS::Partition": PARTITION, "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": NO_VALUE}
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.params[name]
        return self.ref_value(name)

    def _getatt(self, arg: Any) -> Any:
        logical, attr = arg.split(".", 1) if isinstance(arg, str) else arg
        return self.attribute(logical, attr)

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        values = {k: self.resolve(v) for k, v in variables.items()}

        def one(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name and name.split(".")[0] in self.resources:
                return str(self.attribute(*name.split(".", 1)))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    # -- physical names and attributes
    def physical_name(self, logical: str) -> str:
        resource = self.resources[logical]
        prop = NAME_PROPERTIES.get(resource["Type"])
        given = get_path(resource.get("Properties", {}), prop) if prop else None
        if given is not None:
            return str(self.resolve(given))
        # CloudFormation's generated names: <stack>-<logical id>-<random> (lower case for buckets).
        generated = f"{self.name}-{logical}-GEN1234"
        return generated.lower() if resource["Type"] == "AWS::S3::Bucket" else generated

    def arn(self, logical: str) -> str:
        kind, name = self.resources[logical]["Type"], self.physical_name(logical)
        base = f"arn:{PARTITION}:{{}}:{REGION}:{ACCOUNT}:"
        return {
            "AWS::Lambda::Function": base.format("lambda") + f"function:{name}",
            "AWS::SQS::Queue": base.format("sqs") + name,
            "AWS::DynamoDB::Table": base.format("dynamodb") + f"table/{name}",
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
            "AWS::IAM::Role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
            "AWS::KMS::Key": base.format("kms") + f"key/{name}",
            "AWS::SNS::Topic": base.format("sns") + name,
            "AWS::Logs::LogGroup": base.format("logs") + f"log-group:{name}:*",
            # Secrets Manager appends six random characters to the name.
            "AWS::SecretsManager::Secret": base.format("secretsmanager") + f"secret:{name}-AbCdEf",
            "AWS::Scheduler::Schedule": base.format("scheduler") + f"schedule/default/{name}",
        }.get(kind, base.format("unknown") + name)

    def ref_value(self, logical: str) -> str:
        kind = self.resources[logical]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical_name(logical)}"
        if kind in ("AWS::SecretsManager::Secret", "AWS::SNS::Topic"):
            return self.arn(logical)
        return self.physical_name(logical)

    def attribute(self, logical: str, attr: str) -> str:
        if attr == "Arn":
            return self.arn(logical)
        if attr in ("QueueName", "Name"):
            return self.physical_name(logical)
        if attr == "FunctionUrl":
            return f"https://{logical.lower()}.lambda-url.{REGION}.on.aws/"
        return f"{logical}.{attr}"

    def props(self, logical: str) -> dict:
        return self.resolve(self.resources[logical].get("Properties", {}))

    # -- IAM
    def role_of(self, function: str) -> str:
        role = self.resources[function]["Properties"]["Role"]
        return role["Fn::GetAtt"][0] if isinstance(role["Fn::GetAtt"], list) else role["Fn::GetAtt"].split(".")[0]

    def statements(self, role: str) -> list["Statement"]:
        """Every statement of a role: inline policies (ours, and SAM's DeadLetterQueuePolicy) and
        the managed policies SAM attaches."""
        out = []
        props = self.props(role)
        for policy in props.get("Policies", []):
            for i, s in enumerate(policy["PolicyDocument"]["Statement"]):
                out.append(Statement(s, f"{policy['PolicyName']}[{s.get('Sid', i)}]", managed=False))
        for arn in props.get("ManagedPolicyArns", []):
            if arn not in MANAGED_POLICIES:
                raise SystemExit(f"{role}: managed policy {arn} is not modelled in tools/cfn_model.py")
            out.extend(Statement(s, arn, managed=True) for s in MANAGED_POLICIES[arn])
        return out


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@dataclass
class Statement:
    doc: dict
    origin: str
    managed: bool

    def actions(self) -> list[str]:
        return as_list(self.doc.get("Action", []))

    def resources(self) -> list[str]:
        return [str(r) for r in as_list(self.doc.get("Resource", []))]

    def matches_action(self, action: str) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in self.actions())

    def matching_resources(self, resource: str) -> list[str]:
        return [r for r in self.resources() if fnmatch.fnmatchcase(resource, r)]

    def conditions_hold(self, context: dict) -> bool:
        ctx = {k.lower(): as_list(v) for k, v in context.items()}
        for operator, tests in self.doc.get("Condition", {}).items():
            if_exists = operator.endswith("IfExists")
            base = operator.removesuffix("IfExists")
            for key, wanted in tests.items():
                have = ctx.get(key.lower())
                if have is None:
                    if if_exists:
                        continue
                    return False
                if not any(compare(base, h, w) for h in have for w in as_list(wanted)):
                    return False
        return True


def compare(operator: str, have: Any, wanted: Any) -> bool:
    have, wanted = str(have), str(wanted)
    if operator in ("StringEquals", "ArnEquals"):
        return have == wanted
    if operator in ("StringLike", "ArnLike"):
        return fnmatch.fnmatchcase(have, wanted)
    if operator == "Bool":
        return have.lower() == wanted.lower()
    raise SystemExit(f"condition operator {operator} is not modelled in tools/cfn_model.py")


def allowing(statements: list[Statement], action: str, resource: str, context: dict) -> list[tuple[Statement, str]]:
    """(statement, resource pattern) pairs that allow the request."""
    found = []
    for s in statements:
        if s.doc.get("Effect") != "Allow" or not s.matches_action(action) or not s.conditions_hold(context):
            continue
        found.extend((s, pattern) for pattern in s.matching_resources(resource))
    return found


def repo_root(argv_root: str | None) -> Path:
    return Path(argv_root).resolve() if argv_root else Path(__file__).resolve().parent.parent
