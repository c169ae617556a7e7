"""aisvc: plan, check and rotate Azure AI services deployed by this toolkit."""
