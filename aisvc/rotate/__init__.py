"""`aisvc rotate`: zero-downtime key rotation with the two-key pattern (docs/rotation.md)."""
from aisvc.rotate.parts import AppSecret, RotationParts, RotationResult, StepRecord
from aisvc.rotate.rotation import Rotation

__all__ = ["AppSecret", "Rotation", "RotationParts", "RotationResult", "StepRecord"]
