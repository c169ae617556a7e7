"""aisvc: plan, check and rotate Azure AI services deployed by this toolkit."""

__version__ = "0.1.0"
