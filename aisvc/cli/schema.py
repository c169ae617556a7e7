"""`aisvc schema`: the JSON Schema of a stack file, for editors and CI."""
from __future__ import annotations

import json

import click


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of a stack file.

    The schema (draft 2020-12) covers stacks/Pulumi.<stack>.yaml and goes to stdout.

    Point the YAML language server at it for completion and validation, e.g.
    `aisvc schema > .vscode/ai-services.schema.json`.
    """
    from aisvc.config.schema import stack_file_schema

    click.echo(json.dumps(stack_file_schema(), indent=2))
