"""A fake `pulumi` CLI for testing code that drives the Automation API.

It answers the commands `pulumi.automation` runs against a local project the way
the real CLI 3.x does (output shapes, exit code 255 with `error: ...` on
stderr), keeps stack config in `<stackConfigDir>/Pulumi.<stack>.yaml` like the
real CLI, and appends every invocation to a JSON-lines log.

Environment:
  FAKE_PULUMI_STATE  JSON file: {"version": "3.272.0", "stacks": {NAME: {
                       "outputs": {...}, "secretOutputs": [names],
                       "preview": {"same": 3, "update": 1},   # resourceChanges
                       "fail": {"up": "message", "preview": ..., "config set": ...},
                       "hang": {"up": SECONDS}}}}   # block ("up", "preview", "stack output") until a signal
                     `up` copies `<project>:secrets.activeKey` from the stack config
                     into outputs["activeKey"] and records an update; with
                     "program": "key-secrets" it also writes the three key
                     secrets like the real program (ARM listKeys -> Key Vault).
  FAKE_PULUMI_LOG    JSON-lines file, one {"argv": [...], "cwd": ...} per call.
  FAKE_PULUMI_SIGNALS  JSON-lines file for a hanging command: {"event": "hanging", "pid": N,
                     "pgid": N}, then {"event": "signal", "signal": "SIGTERM"} and, after a
                     short clean-up (like the real CLI cancelling an update), {"event": "exited"}.

Engine events go where `--event-log` says: a file (CLI <= 3.205) or, for newer
versions, `tcp://127.0.0.1:PORT`, the Automation API's gRPC Events service.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import yaml

NOT_FOUND_EXIT = 255


def fail(message: str, code: int = NOT_FOUND_EXIT) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    sys.exit(code)


def load_state() -> dict[str, Any]:
    return json.loads(Path(os.environ["FAKE_PULUMI_STATE"]).read_text())


def save_state(state: dict[str, Any]) -> None:
    Path(os.environ["FAKE_PULUMI_STATE"]).write_text(json.dumps(state, indent=2))


def log_call(argv: list[str]) -> None:
    log = os.environ.get("FAKE_PULUMI_LOG")
    if log:
        entry = {"argv": argv, "cwd": os.getcwd(), "automation": os.environ.get("PULUMI_AUTOMATION_API")}
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def take_option(args: list[str], name: str) -> str | None:
    """Remove `name VALUE` (or `name=VALUE`) from args and return VALUE."""
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            value = args[index + 1]
            del args[index : index + 2]
            return value
        if arg.startswith(name + "="):
            del args[index]
            return arg.split("=", 1)[1]
    return None


def take_flag(args: list[str], name: str) -> bool:
    if name in args:
        args.remove(name)
        return True
    return False


# --- project and stack config ----------------------------------------------------------


def project() -> dict[str, Any]:
    path = Path.cwd() / "Pulumi.yaml"
    if not path.is_file():
        fail("no Pulumi.yaml project file found (searching upwards from the current directory)")
    return yaml.safe_load(path.read_text())


def stack_config_file(stack: str, config_file: str | None) -> Path:
    if config_file:
        return Path(config_file)
    config_dir = project().get("stackConfigDir") or "."
    return Path.cwd() / config_dir / f"Pulumi.{stack}.yaml"


def full_key(key: str) -> str:
    return key if ":" in key else f"{project()['name']}:{key}"


def read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return (yaml.safe_load(path.read_text()) or {}).get("config") or {}


def write_config(path: Path, config: dict[str, Any]) -> None:
    document = yaml.safe_load(path.read_text()) if path.is_file() else {}
    document = document or {}
    document["config"] = config
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def lookup(config: dict[str, Any], key: str, path: bool) -> Any:
    if not path:
        return config.get(key)
    namespace_key, *rest = key.split(".")
    value: Any = config.get(namespace_key)
    for part in rest:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def assign(config: dict[str, Any], key: str, value: str, path: bool) -> None:
    if not path:
        config[key] = value
        return
    namespace_key, *rest = key.split(".")
    if not rest:
        config[namespace_key] = value
        return
    node = config.setdefault(namespace_key, {})
    for part in rest[:-1]:
        node = node.setdefault(part, {})
    node[rest[-1]] = value


# --- engine events ----------------------------------------------------------------------


def send_events(target: str | None, events: list[dict[str, Any]]) -> None:
    if not target:
        return
    stamped = [{"sequence": i, "timestamp": int(time.time()), **event} for i, event in enumerate(events)]
    if target.startswith("tcp://"):
        import grpc
        from pulumi.runtime.proto import events_pb2, events_pb2_grpc

        with grpc.insecure_channel(target[len("tcp://") :]) as channel:
            stub = events_pb2_grpc.EventsStub(channel)
            stub.StreamEvents(iter([events_pb2.EventRequest(event=json.dumps(e)) for e in stamped]))
        return
    with open(target, "a", encoding="utf-8") as handle:
        for event in stamped:
            handle.write(json.dumps(event) + "\n")


def summary_events(changes: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"preludeEvent": {"config": {}}},
        {"summaryEvent": {"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": changes, "PolicyPacks": {}}},
        {"cancelEvent": {}},
    ]


# --- commands ---------------------------------------------------------------------------


def stack_entry(state: dict[str, Any], stack: str | None) -> dict[str, Any]:
    if not stack or stack not in state["stacks"]:
        fail(f"no stack named '{stack}' found")
    return state["stacks"][stack]


def maybe_fail(entry: dict[str, Any], command: str) -> None:
    message = (entry.get("fail") or {}).get(command)
    if message:
        print(f"    error: {message}")
        fail(f"{command} failed: {message}")


# A cancelled update takes a moment to finish: the parent must wait for it, not leave it behind.
CANCEL_CLEANUP_SECONDS = 0.5


def signal_event(event: str, **fields: Any) -> None:
    path = os.environ.get("FAKE_PULUMI_SIGNALS")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": event, **fields}) + "\n")


def maybe_hang(entry: dict[str, Any], command: str) -> None:
    """Block like a long `pulumi up`; SIGINT/SIGTERM cancel it as the real CLI does (exit 255)."""
    seconds = (entry.get("hang") or {}).get(command)
    if not seconds:
        return

    def cancel(signum: int, _frame: Any) -> None:
        signal_event("signal", signal=signal.Signals(signum).name)
        print("^C received; cancelling. If you would like to terminate immediately, press ^C again.", flush=True)
        time.sleep(CANCEL_CLEANUP_SECONDS)
        signal_event("exited")
        fail(f"{command} canceled")

    signal.signal(signal.SIGINT, cancel)
    signal.signal(signal.SIGTERM, cancel)
    signal_event("hanging", pid=os.getpid(), pgid=os.getpgid(0), command=command)
    time.sleep(float(seconds))
    signal_event("exited")


def cmd_version(state: dict[str, Any], _args: list[str]) -> None:
    print(f"v{state.get('version', '3.272.0')}")


def cmd_stack(state: dict[str, Any], args: list[str]) -> None:
    stack = take_option(args, "--stack")
    sub = args.pop(0) if args else ""
    if sub == "select":
        stack_entry(state, stack)
        return
    entry = stack_entry(state, stack)
    if sub == "output":
        maybe_hang(entry, "stack output")
        show = take_flag(args, "--show-secrets")
        outputs = dict(entry.get("outputs") or {})
        if not show:
            for name in entry.get("secretOutputs") or []:
                if name in outputs:
                    outputs[name] = "[secret]"
        print(json.dumps(outputs, indent=4))
        return
    if sub == "history":
        print(json.dumps(entry.get("history") or [], indent=4))
        return
    fail(f"fake pulumi: unsupported `stack {sub}`", 2)


def cmd_config(state: dict[str, Any], args: list[str]) -> None:
    stack = take_option(args, "--stack")
    config_file = take_option(args, "--config-file")
    path = take_flag(args, "--path")
    entry = stack_entry(state, stack)
    file = stack_config_file(stack or "", config_file)
    sub = args.pop(0) if args else ""
    if sub == "get":
        take_flag(args, "--json")
        key = full_key(args[0])
        value = lookup(read_config(file), key, path)
        if value is None:
            fail(f"configuration key '{args[0]}' not found for stack '{stack}'")
        print(json.dumps({"value": value if isinstance(value, str) else json.dumps(value), "secret": False}))
        return
    if sub == "set":
        maybe_fail(entry, "config set")
        secret = take_flag(args, "--secret")
        take_flag(args, "--plaintext")
        if secret:
            fail("fake pulumi: secret config is not modelled", 2)
        key, value = (args[0], args[2]) if len(args) >= 3 and args[1] == "--" else (args[0], args[-1])
        config = read_config(file)
        assign(config, full_key(key), value, path)
        write_config(file, config)
        return
    fail(f"fake pulumi: unsupported `config {sub}`", 2)


def cmd_preview(state: dict[str, Any], args: list[str]) -> None:
    stack = take_option(args, "--stack")
    event_log = take_option(args, "--event-log")
    entry = stack_entry(state, stack)
    print(f"Previewing update ({stack}):", flush=True)
    maybe_fail(entry, "preview")
    maybe_hang(entry, "preview")
    changes = entry.get("preview") or {"same": 1}
    send_events(event_log, summary_events(changes))
    print("Resources:")
    for op, count in changes.items():
        print(f"    {count} {op}")


def cmd_up(state: dict[str, Any], args: list[str]) -> None:
    stack = take_option(args, "--stack")
    event_log = take_option(args, "--event-log")
    if not ({"--yes", "--skip-preview"} <= set(args)):
        fail("--yes or --skip-preview must be passed in to proceed when running in non-interactive mode", 255)
    entry = stack_entry(state, stack)
    print(f"Updating ({stack}):", flush=True)
    maybe_fail(entry, "up")
    maybe_hang(entry, "up")
    active = lookup(read_config(stack_config_file(stack or "", None)), full_key("secrets") + ".activeKey", True)
    changed = 0
    if active and (entry.get("outputs") or {}).get("activeKey") != active:
        entry.setdefault("outputs", {})["activeKey"] = active
        changed = 1
    if entry.get("program") == "key-secrets":
        changed += write_key_secrets(entry, active or "key1")
    changes = {"same": 1, **({"update": changed} if changed else {})}
    entry["preview"] = {"same": 1}
    entry["upCount"] = entry.get("upCount", 0) + 1
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    entry["history"] = [
        {"version": entry["upCount"], "kind": "update", "startTime": now, "endTime": now, "message": "",
         "environment": {"exec.kind": "auto.local"}, "config": {}, "result": "succeeded",
         "resourceChanges": changes}
    ]
    save_state(state)
    send_events(event_log, summary_events(changes))
    print("Resources:")
    print(f"    {changed} updated")


def write_key_secrets(entry: dict[str, Any], active: str) -> int:
    """What components/key_export.py makes `pulumi up` do, over the wire: listAccountKeys, then
    key1Name / key2Name / currentName (tagged CredentialId), each written only if it differs."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.keyvault.secrets import SecretClient

    from aisvc.rotate.account_keys import ArmAccountKeys
    from aisvc.services.credentials import build_credential, transport_kwargs

    outputs = entry["outputs"]
    credential, transport = build_credential(), transport_kwargs()
    keys = ArmAccountKeys(outputs["accountId"], credential, **transport).list_keys()
    names = outputs["keySecretNames"]
    desired = {
        names["key1"]: (keys.key1, {}),
        names["key2"]: (keys.key2, {}),
        outputs["keySecretName"]: (keys.value(active), {"CredentialId": active}),  # type: ignore[arg-type]
    }
    vault = SecretClient(outputs["keyVaultUri"], credential, verify_challenge_resource=False, **transport)
    written = 0
    for name, (value, tags) in desired.items():
        try:
            current = vault.get_secret(name)
            if current.value == value and (current.properties.tags or {}) == tags:
                continue
        except ResourceNotFoundError:
            pass
        vault.set_secret(name, value, tags=tags or None, content_type="text/plain")
        written += 1
    return written


COMMANDS = {"version": cmd_version, "stack": cmd_stack, "config": cmd_config, "preview": cmd_preview, "up": cmd_up}


def main(argv: list[str]) -> None:
    log_call(argv)
    args = list(argv)
    separator = args.index("--") if "--" in args else len(args)
    before, after = args[:separator], args[separator:]
    before = [arg for arg in before if arg != "--non-interactive"]
    args = before + after
    if not args or args[0] not in COMMANDS:
        fail(f"fake pulumi: unsupported command {args[:2]}", 2)
    state = load_state()
    command = args.pop(0)
    for flag in ("--color", "--exec-kind"):
        take_option(args, flag)
    COMMANDS[command](state, args)


if __name__ == "__main__":
    main(sys.argv[1:])
