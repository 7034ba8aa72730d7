"""Quantizers and calibration: int8 PTQ, fixed-point multipliers, FP16."""
