"""The ai-services component package: serves AiServices to programs in any Pulumi language.

`pulumi package add <this directory>` (or a git URL ending in /components) runs this
file as a plugin: the SDK's component provider host infers the package schema from
AiServices' annotations and constructs it on request. Only AiServices is served: its
token is ``ai-services:index:AiServices`` as the host requires, while the pieces keep
their ``ai-services:<module>:<Name>`` tokens (the URNs of stacks deployed before).
"""
import sys
from pathlib import Path

VERSION = "0.1.0"


def main() -> None:
    # The project directory holds the `components` and `aisvc` packages this plugin imports.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pulumi.provider.experimental import component_provider_host

    from aisvc.contract import COMPONENT_PACKAGE
    from components.ai_services import AiServices

    component_provider_host(components=[AiServices], name=COMPONENT_PACKAGE, version=VERSION)


if __name__ == "__main__":
    main()
