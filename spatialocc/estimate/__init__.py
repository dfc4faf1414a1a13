"""Fixed-effect IV estimation of the externalities (MODEL.md section 3b)."""

__all__: list[str] = []
