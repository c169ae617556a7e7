"""Azure region names a resource can be created in: data for the `location` rule.

Source: the physical regions ARM lists for a subscription
(``GET /subscriptions/{id}/locations``, as ``az account list-locations
--query "[?metadata.regionType=='Physical'].name"``), cross-checked against
Microsoft's published region list (2025). Logical names such as ``europe`` or
``global`` cannot hold a resource and are left out. Regions that only some
subscriptions may use (``norwaywest``, ``swedensouth``, the ``euap`` canaries)
are kept: refusing them would block those who may. When Azure opens a new
region, add its name here.
"""
from __future__ import annotations

PUBLIC: tuple[str, ...] = (
    "australiacentral", "australiacentral2", "australiaeast", "australiasoutheast", "austriaeast",
    "belgiumcentral", "brazilsouth", "brazilsoutheast", "brazilus",
    "canadacentral", "canadaeast", "centralindia", "centralus", "centraluseuap", "chilecentral",
    "denmarkeast", "eastasia", "eastus", "eastus2", "eastus2euap",
    "francecentral", "francesouth", "germanynorth", "germanywestcentral",
    "indonesiacentral", "israelcentral", "italynorth",
    "japaneast", "japanwest", "jioindiacentral", "jioindiawest", "koreacentral", "koreasouth",
    "malaysiawest", "mexicocentral", "newzealandnorth", "northcentralus", "northeurope", "norwayeast", "norwaywest",
    "polandcentral", "qatarcentral",
    "southafricanorth", "southafricawest", "southcentralus", "southeastasia", "southindia", "spaincentral",
    "swedencentral", "swedensouth", "switzerlandnorth", "switzerlandwest",
    "taiwannorth", "taiwannorthwest", "uaecentral", "uaenorth", "uksouth", "ukwest",
    "westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
)
# Sovereign clouds (the toolkit's ARM reads know their hosts): Azure Government and Azure operated by 21Vianet.
US_GOVERNMENT: tuple[str, ...] = ("usdodcentral", "usdodeast", "usgovarizona", "usgovtexas", "usgovvirginia")
CHINA: tuple[str, ...] = ("chinaeast", "chinaeast2", "chinaeast3", "chinanorth", "chinanorth2", "chinanorth3")

AZURE_REGIONS: tuple[str, ...] = PUBLIC + US_GOVERNMENT + CHINA
