"""Runs scripts/reload-config against a fake `aws` command (a script on PATH that records its
arguments and answers describe-stacks like CloudFormation), and checks the calls it makes: the
upload to the key the functions read, then one stack update that changes ConfigVersion only,
keeps every other parameter and the deployed template, and waits for it; no update when the
version is already deployed. Used by tools/template_check.py (item 8)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

FAKE_AWS = r'''#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
record = {"args": args}
for i, a in enumerate(args):
    if a == "--parameters" and args[i + 1].startswith("file://"):
        record["parameters"] = json.load(open(args[i + 1][len("file://"):]))
    if a == "cp":
        record["uploaded"] = open(args[i + 1], "rb").read().decode()
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(json.dumps(record) + "\n")
if args[:2] == ["cloudformation", "describe-stacks"]:
    params = [{"ParameterKey": k, "ParameterValue": v} for k, v in
              [("MailDomain", "collecte.example.fr"), ("ConfigVersion", os.environ["FAKE_CONFIG_VERSION"]), ("AlarmEmail", "")]]
    print(json.dumps({"Stacks": [{"StackName": args[args.index("--stack-name") + 1], "Parameters": params,
                                  "Outputs": [{"OutputKey": "BucketName", "OutputValue": "the-bucket"}]}]}))
'''


def run(root: Path, work: Path, config: Path, deployed_version: str) -> tuple[int, list[dict], str]:
    log = work / "calls.jsonl"
    log.write_text("")
    env = dict(os.environ, PATH=f"{work}{os.pathsep}{os.environ['PATH']}", FAKE_AWS_LOG=str(log),
               FAKE_CONFIG_VERSION=deployed_version)
    proc = subprocess.run([str(root / "scripts" / "reload-config"), "--config-env", "prod", str(config)],
                          env=env, capture_output=True, text=True, timeout=60)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return proc.returncode, calls, proc.stdout + proc.stderr


def check_reload_config(root: Path, config_key: str) -> list[str]:
    script = root / "scripts" / "reload-config"
    if not script.exists() or not os.access(script, os.X_OK):
        return ["no executable scripts/reload-config (upload dossiers.toml and start new sandboxes)"]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fake = work / "aws"
        fake.write_text(FAKE_AWS.replace("#!/usr/bin/env python3", f"#!{sys.executable}", 1))
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
        config = work / "dossiers.toml"
        config.write_text('[[dossier]]\nid = "acme"\n')
        version = hashlib.sha256(config.read_bytes()).hexdigest()[:16]

        code, calls, output = run(root, work, config, "initial")
        if code != 0:
            return [f"scripts/reload-config failed ({code}): {output.strip()[-400:]}"]
        verbs = [" ".join(c["args"][:2]) for c in calls]
        expected = ["cloudformation describe-stacks", "s3 cp", "cloudformation update-stack",
                    "cloudformation wait"]
        if verbs != expected:
            problems.append(f"calls {verbs}, expected {expected}")
        by_verb = dict(zip(verbs, calls))
        describe = by_verb.get("cloudformation describe-stacks", {"args": []})["args"]
        if "passerelle" not in describe or "eu-west-1" not in describe:
            problems.append(f"describe-stacks {describe}: not samconfig.toml's [prod] stack and region")
        upload = by_verb.get("s3 cp", {"args": []})
        if f"s3://the-bucket/{config_key}" not in upload["args"] or upload.get("uploaded") != config.read_text():
            problems.append(f"upload {upload['args']}: not the file to s3://<BucketName>/{config_key}")
        update = by_verb.get("cloudformation update-stack", {"args": []})
        wanted = [{"ParameterKey": "MailDomain", "UsePreviousValue": True},
                  {"ParameterKey": "ConfigVersion", "ParameterValue": version},
                  {"ParameterKey": "AlarmEmail", "UsePreviousValue": True}]
        if update.get("parameters") != wanted:
            problems.append(f"update-stack parameters {update.get('parameters')}, expected {wanted}")
        if "--use-previous-template" not in update["args"] or "CAPABILITY_IAM" not in update["args"]:
            problems.append(f"update-stack {update['args']}: not the deployed template with CAPABILITY_IAM")
        wait = by_verb.get("cloudformation wait", {"args": []})["args"]
        if "stack-update-complete" not in wait:
            problems.append("reload-config does not wait for the update to complete")

        code, calls, output = run(root, work, config, version)
        verbs = [" ".join(c["args"][:2]) for c in calls]
        if code != 0 or "cloudformation update-stack" in verbs:
            problems.append(f"with version {version} already deployed: exit {code}, calls {verbs} (expected no update)")
    return problems
