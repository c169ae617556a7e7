"""Local HTTPS emulator of Entra ID, Key Vault, the AI services data plane and ARM. See README.md."""
from .certs import CertFiles, make_cert_files
from .server import DEFAULT_SECRET_NAMES, AzureEmulator
from .state import ARM_SCOPE, COGNITIVE_SCOPE, VAULT_SCOPE, RequestRecord, Scenario, SecretVersion

__all__ = [
    "ARM_SCOPE", "COGNITIVE_SCOPE", "DEFAULT_SECRET_NAMES", "VAULT_SCOPE", "AzureEmulator", "CertFiles",
    "RequestRecord", "Scenario", "SecretVersion", "make_cert_files",
]
