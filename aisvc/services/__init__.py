"""Services every command shares: console and redaction, credentials and transport,
stack outputs, the Pulumi project and stack files, the Pulumi stack driver."""
