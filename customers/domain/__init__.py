"""The customer-cognition method (SPEC §1) as plain Python: no Django import in this package.

- classification: the dimensions of a customer and the target-positioning fit;
- sensitivity: need points, presets from the classification, pressure difference, ranking,
  key / additional needs, model accuracy and closing readiness;
- pool: when a customer returns to the public pool (公海) and who may claim it.
"""
