"""The toolkit's policy pack.

``policy.rules`` holds the rules as pure functions; ``policy.rules.evaluate`` is
the entry point `aisvc plan` calls. ``policy/__main__.py`` adapts them to
pulumi-policy for ``pulumi preview --policy-pack policy``.
"""
