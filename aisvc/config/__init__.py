"""The stack config of the `ai-services:` namespace: declared, parsed, validated, named."""
